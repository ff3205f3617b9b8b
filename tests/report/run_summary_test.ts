import { assertEquals } from "../support/assert.ts";
import {
  runExitCode,
  runSummaryJson,
  summaryLine,
  type TableResult,
} from "../../src/report/run_summary.ts";
import { ApiError, DownloadError } from "../../src/errors.ts";

const ok: TableResult = {
  namespace: "canvas",
  table: "courses",
  ok: true,
  jobId: "j1",
  directory: "downloads/job_j1",
  manifest: "downloads/job_j1/.dap-manifest.json",
  files: 4,
  reusedFiles: 1,
  bytes: 3 * 1024 * 1024,
  ms: 2100,
};
const failed: TableResult = {
  namespace: "canvas",
  table: "nope",
  ok: false,
  files: 0,
  reusedFiles: 0,
  bytes: 0,
  ms: 100,
  error: new ApiError("Cannot start a query for canvas.nope: gone (HTTP 404)", {
    status: 404,
    uuid: "u-1",
  }),
};

Deno.test("summaryLine() gives files, bytes, time and directory, or the failure", () => {
  assertEquals(
    summaryLine(ok),
    "canvas.courses: 4 files (1 already complete), 3.0 MiB in 2.1s -> downloads/job_j1",
  );
  assertEquals(
    summaryLine({ ...ok, files: 1, reusedFiles: 0 }),
    "canvas.courses: 1 file, 3.0 MiB in 2.1s -> downloads/job_j1",
  );
  assertEquals(
    summaryLine(failed),
    "canvas.nope: FAILED after 0.1s: Cannot start a query for canvas.nope: gone (HTTP 404) (error uuid u-1)",
  );
});

Deno.test("runExitCode() is 0, or the code of the first failed table", () => {
  assertEquals(runExitCode([ok, ok]), 0);
  assertEquals(runExitCode([ok, failed, { ...failed, error: new DownloadError("x") }]), 4);
  assertEquals(runExitCode([{ ...failed, error: new DownloadError("x") }, failed]), 5);
});

Deno.test("runSummaryJson() is machine-readable with snake_case fields", () => {
  assertEquals(JSON.parse(runSummaryJson([ok, failed])), {
    exit_code: 4,
    tables: [
      {
        namespace: "canvas",
        table: "courses",
        status: "ok",
        job_id: "j1",
        directory: "downloads/job_j1",
        manifest: "downloads/job_j1/.dap-manifest.json",
        files: 4,
        reused_files: 1,
        bytes: 3145728,
        seconds: 2.1,
        error: null,
      },
      {
        namespace: "canvas",
        table: "nope",
        status: "failed",
        job_id: null,
        directory: null,
        manifest: null,
        files: 0,
        reused_files: 0,
        bytes: 0,
        seconds: 0.1,
        error: "Cannot start a query for canvas.nope: gone (HTTP 404) (error uuid u-1)",
      },
    ],
  });
});

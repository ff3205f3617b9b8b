/** What a run did: one line per table for people, and a JSON document on request. */
import { describeError, exitCodeFor } from "../errors.ts";
import type { TableResult } from "../export/table_result.ts";
import { formatBytes, formatDuration } from "./format_units.ts";

/** "canvas.courses: 4 files, 1.2 MiB in 2.1s -> downloads/job_x" or the failure. */
export function summaryLine(result: TableResult): string {
  const name = `${result.namespace}.${result.table}`;
  if (!result.ok) {
    return `${name}: FAILED after ${formatDuration(result.ms)}: ${describeError(result.error)}`;
  }
  if (result.mergedPath !== undefined) {
    return `${name}: ${result.rows} rows, ${formatBytes(result.bytes)} in ${
      formatDuration(result.ms)
    } -> ${result.mergedPath}`;
  }
  const reused = result.reusedFiles > 0 ? ` (${result.reusedFiles} already complete)` : "";
  return `${name}: ${result.files} file${result.files === 1 ? "" : "s"}${reused}, ${
    formatBytes(result.bytes)
  } in ${formatDuration(result.ms)} -> ${result.directory}`;
}

/** The structured fields of a table's summary, for JSON log lines. */
export function summaryFields(result: TableResult): Record<string, unknown> {
  return {
    namespace: result.namespace,
    table: result.table,
    ...(result.jobId ? { job_id: result.jobId } : {}),
    status: result.ok ? "ok" : "failed",
    files: result.files,
    bytes: result.bytes,
    ...(result.rows !== undefined ? { rows: result.rows } : {}),
    ...(result.ok ? {} : { exit_code: exitCodeFor(result.error) }),
  };
}

/** The exit code of a run: 0, or the code of the first failed table. */
export function runExitCode(results: readonly TableResult[]): number {
  const failed = results.find((r) => !r.ok);
  return failed ? exitCodeFor(failed.error) : 0;
}

/** A machine-readable summary (the `--json` output). */
export function runSummaryJson(results: readonly TableResult[]): string {
  return JSON.stringify(
    {
      exit_code: runExitCode(results),
      tables: results.map((r) => ({
        namespace: r.namespace,
        table: r.table,
        status: r.ok ? "ok" : "failed",
        job_id: r.jobId ?? null,
        directory: r.directory ?? null,
        manifest: r.manifest ?? null,
        files: r.files,
        reused_files: r.reusedFiles,
        bytes: r.bytes,
        seconds: Math.round(r.ms) / 1000,
        error: r.ok ? null : describeError(r.error),
      })),
    },
    null,
    2,
  ) + "\n";
}

export type { TableResult };

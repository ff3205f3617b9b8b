/**
 * Runs snapshot and incremental exports: per table, start the job, wait for
 * it, trade its objects for URLs in one call, download them concurrently and
 * write the manifest last. Tables run at once: the API client's rate limiter
 * paces job creation and polling, and one set of download slots is shared by
 * all tables. A table that fails is reported; the others go on.
 */
import { join } from "node:path";
import type { ApiClient, QueryBody } from "../api/api_client.ts";
import type { Job } from "../api/parse_answers.ts";
import { downloadAll, type DownloadTask } from "../download/download_all.ts";
import { planFileNames } from "../download/plan_downloads.ts";
import { safeFileName } from "../safe_file_name.ts";
import { ApiError, AuthError, DownloadError, InterruptedError, UsageError } from "../errors.ts";
import { abortableSleep } from "../retry.ts";
import { waitForJob } from "../job/wait_for_job.ts";
import { type Manifest, writeManifest } from "../output/write_manifest.ts";
import { type FlattenMode, flattenSchema } from "../output/flatten_schema.ts";
import { MERGE_EXTENSIONS, type MergeFormat, mergeParts } from "../output/merge_parts.ts";
import type { Codec } from "../output/parquet_sink.ts";
import type { Logger } from "../report/logger.ts";
import type { ProgressBoard } from "../report/progress.ts";
import type { TableResult } from "../report/run_summary.ts";
import type { PollSchedule } from "../job/poll_schedule.ts";
import { VERSION } from "../version.ts";
import { Semaphore } from "../download/semaphore.ts";

/** What to export. */
export interface ExportRequest {
  namespace: string;
  tables: string[] | "all";
  /** the query body of a table (incrementals may start each table elsewhere) */
  queryFor: (table: string) => QueryBody;
  outputDirectory: string;
  /** objects downloaded at once */
  concurrency: number;
  /** one merged file per table instead of the parts as served */
  merge?: { format: MergeFormat; mode: FlattenMode; codec: Codec };
}

/** Collaborators of an export. */
export interface ExportDeps {
  client: ApiClient;
  logger: Logger;
  board: ProgressBoard;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
  poll?: PollSchedule;
  /** download slots shared by all tables @default one set of `concurrency` */
  slots?: Semaphore;
}

/** Object ids per URL call: the API takes a list; keep each call's body modest. */
const URL_BATCH = 100;

async function objectUrls(client: ApiClient, ids: readonly string[]): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (let i = 0; i < ids.length; i += URL_BATCH) {
    for (const [id, url] of await client.getObjectUrls(ids.slice(i, i + URL_BATCH))) {
      urls.set(id, url);
    }
  }
  return urls;
}

async function makeDirectory(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(" (os error")[0] : String(error);
    throw new UsageError(`Cannot create output directory ${path}: ${reason}`);
  }
}

/** Checks that the output directory can be created and written before any job starts. */
export async function checkOutputDirectory(path: string): Promise<void> {
  await makeDirectory(path);
  const probe = join(path, `.dap-write-test-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(" (os error")[0] : String(error);
    throw new UsageError(`Cannot write to output directory ${path}: ${reason}`);
  }
}

/** A reused job this close to expiry is waited out and asked for again (its objects would vanish). */
const EXPIRY_MARGIN_MS = 60_000;

/** Starts (or finds) the table's job and waits for it; restarts once if the job vanishes or is about to. */
async function runJob(request: ExportRequest, table: string, deps: ExportDeps): Promise<Job> {
  const { client, logger, board } = deps;
  const name = `${request.namespace}.${table}`;
  const now = deps.now ?? Date.now;
  for (let restarts = 0;; restarts++) {
    board.update(table, { state: "starting" });
    const started = await client.startQuery(request.namespace, table, request.queryFor(table));
    logger.info(`${name}: job ${started.id} is ${started.status}`);
    const left = started.expiresAt ? Date.parse(started.expiresAt) - now() : Infinity;
    if (restarts === 0 && left < EXPIRY_MARGIN_MS) {
      logger.info(
        `${name}: job ${started.id} expires in ${
          Math.max(0, Math.round(left / 1000))
        } s; waiting for a new one`,
      );
      await (deps.sleep ?? abortableSleep)(Math.max(0, left) + 1000, deps.signal).catch(() => {
        throw new InterruptedError();
      });
      continue;
    }
    try {
      return await waitForJob(started, {
        getJob: (id) => client.getJob(id),
        onStatus: (status) => {
          board.update(table, {
            state: status === "complete" ? "downloading" : status === "failed" ? "failed" : status,
          });
          if (status !== started.status) logger.info(`${name}: job ${started.id} is ${status}`);
        },
        schedule: deps.poll,
        sleep: deps.sleep,
        signal: deps.signal,
      });
    } catch (error) {
      if (restarts > 0 || !(error instanceof ApiError) || error.status !== 404) throw error;
      logger.warning(`${name}: job ${started.id} is gone (expired?); starting the query again`);
    }
  }
}

async function exportTable(
  request: ExportRequest,
  table: string,
  deps: ExportDeps,
): Promise<Omit<TableResult, "ms">> {
  const { client, logger, board } = deps;
  const name = `${request.namespace}.${table}`;
  const job: Job = await runJob(request, table, deps);
  const jobDirectory = `job_${safeFileName(job.id, "unnamed")}`;
  // Merged runs keep their verified parts out of sight until the merge replaces them.
  const directory = request.merge
    ? join(
      request.outputDirectory,
      safeFileName(request.namespace, "namespace"),
      ".parts",
      safeFileName(table, "table"),
      jobDirectory,
    )
    : join(request.outputDirectory, jobDirectory);
  await makeDirectory(directory);
  const urls = job.objects.length > 0 ? await objectUrls(client, job.objects) : new Map();
  const names = planFileNames(job.objects.map((id) => ({ id, url: urls.get(id)! })));
  const tasks: DownloadTask[] = job.objects.map((id) => ({
    id,
    url: urls.get(id)!,
    fileName: names.get(id)!,
  }));
  board.update(table, { state: "downloading", filesTotal: tasks.length });
  logger.info(`${name}: downloading ${tasks.length} file(s) to ${directory}`);
  let filesDone = 0;
  const results = await downloadAll(tasks, directory, {
    concurrency: request.concurrency,
    slots: deps.slots,
    logger,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    signal: deps.signal,
    refreshUrl: async (id) => (await client.getObjectUrls([id])).get(id)!,
    onBytes: (bytes) => board.addBytes(table, bytes),
    onResult: (result) => {
      board.update(table, { filesDone: ++filesDone });
      if (result.ok) logger.debug(`${name}: ${result.fileName} complete (${result.size} bytes)`);
    },
  });
  const failed = results.filter((r) => !r.ok);
  const done = results.flatMap((r) => r.ok ? [r] : []);
  const bytes = done.reduce((n, r) => n + r.size, 0);
  const base = {
    namespace: request.namespace,
    table,
    jobId: job.id,
    directory,
    files: done.length,
    reusedFiles: done.filter((r) => r.reused).length,
    bytes,
  };
  if (failed.length > 0) {
    throw Object.assign(
      new DownloadError(
        `${failed.length} of ${results.length} file(s) could not be downloaded; rerun the same command to finish`,
      ),
      { partial: base },
    );
  }
  const manifest: Manifest = {
    tool: `dap-deno ${VERSION}`,
    namespace: request.namespace,
    table,
    format: request.queryFor(table).format,
    job_id: job.id,
    ...(job.at ? { at: job.at } : {}),
    ...(job.since ? { since: job.since } : {}),
    ...(job.until ? { until: job.until } : {}),
    schema_version: job.schemaVersion,
    completed_at: new Date((deps.now ?? Date.now)()).toISOString(),
    files: done.map((r) => ({ name: r.fileName, object_id: r.id, size: r.size, md5: r.md5 })),
  };
  if (request.merge) {
    return await mergeTable(request, table, deps, { job, manifest, directory, base });
  }
  const manifestPath = await writeManifest(directory, manifest);
  return { ...base, ok: true, manifest: manifestPath };
}

/** Merges a table's verified parts into one file, writes its manifest, and removes the parts. */
async function mergeTable(
  request: ExportRequest,
  table: string,
  deps: ExportDeps,
  done: { job: Job; manifest: Manifest; directory: string; base: Omit<TableResult, "ms" | "ok"> },
): Promise<Omit<TableResult, "ms">> {
  const merge = request.merge!;
  const { client, logger, board } = deps;
  board.update(table, { state: "merging" });
  const { schema } = await client.getSchema(request.namespace, table);
  const columns = flattenSchema(schema, merge.mode);
  const namespaceDirectory = join(
    request.outputDirectory,
    safeFileName(request.namespace, "namespace"),
  );
  const destination = join(
    namespaceDirectory,
    `${safeFileName(table, "table")}.${MERGE_EXTENSIONS[merge.format]}`,
  );
  const parts = done.manifest.files.map((f) => join(done.directory, f.name));
  logger.info(`${request.namespace}.${table}: merging ${parts.length} part(s) into ${destination}`);
  const merged = await mergeParts(parts, destination, { ...merge, columns, signal: deps.signal });
  const manifest: Manifest = {
    ...done.manifest,
    format: merge.format,
    merged: {
      file: merged.path,
      rows: merged.rows,
      size: merged.size,
      mode: merge.mode,
      codec: merge.codec,
    },
  };
  const manifestPath = await writeManifest(
    namespaceDirectory,
    manifest,
    `.${safeFileName(table, "table")}.dap-manifest.json`,
  );
  await Deno.remove(done.directory, { recursive: true });
  await Deno.remove(join(namespaceDirectory, ".parts", safeFileName(table, "table"))).catch(
    () => {},
  );
  await Deno.remove(join(namespaceDirectory, ".parts")).catch(() => {});
  return {
    ...done.base,
    ok: true,
    directory: namespaceDirectory,
    manifest: manifestPath,
    files: 1,
    reusedFiles: 0,
    bytes: merged.size,
    rows: merged.rows,
    mergedPath: merged.path,
  };
}

/** Resolves `all` into the namespace's table list. */
export async function resolveTableNames(
  request: ExportRequest,
  client: ApiClient,
): Promise<string[]> {
  return request.tables === "all" ? await client.listTables(request.namespace) : request.tables;
}

/** Exports every table at once; one result per table, in the order given. */
export async function exportTables(
  request: ExportRequest,
  tables: readonly string[],
  deps: ExportDeps,
): Promise<TableResult[]> {
  const now = deps.now ?? Date.now;
  const shared = { ...deps, slots: deps.slots ?? new Semaphore(request.concurrency) };
  for (const table of tables) deps.board.update(table, { state: "queued" });
  const settled = await Promise.allSettled(tables.map(async (table): Promise<TableResult> => {
    const start = now();
    try {
      const result = await exportTable(request, table, shared);
      deps.board.update(table, { state: "done" });
      return { ...result, ms: now() - start };
    } catch (error) {
      if (error instanceof InterruptedError || deps.signal?.aborted) throw new InterruptedError();
      // Credentials refused mid-run fail every table alike: stop rather than repeat it per table.
      if (error instanceof AuthError) throw error;
      deps.board.update(table, { state: "failed" });
      const partial = (error as { partial?: Partial<TableResult> }).partial ?? {};
      const base = { namespace: request.namespace, table, files: 0, reusedFiles: 0, bytes: 0 };
      return { ...base, ...partial, ok: false, error, ms: now() - start };
    }
  }));
  const thrown = settled.find((s) => s.status === "rejected");
  if (thrown) throw (thrown as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<TableResult>).value);
}

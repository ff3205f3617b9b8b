/**
 * The export pipeline: per table, run the job, open the destination,
 * download the parts into it, commit it with the job's manifest. Tables run
 * at once: the API client's rate limiter paces job creation and polling, and
 * one set of download slots is shared by all tables. A table that fails is a
 * failed result; the others go on. Only an interruption or refused
 * credentials stop the run.
 */
import type { ApiClient } from "../api/api_client.ts";
import type { Job } from "../api/parse_answers.ts";
import { Semaphore } from "../download/semaphore.ts";
import { AuthError, DownloadError, InterruptedError } from "../errors.ts";
import { runJob } from "../job/run_job.ts";
import type { Destination, TableWriter } from "../output/destination.ts";
import type { Runtime } from "../runtime.ts";
import { buildManifest } from "./build_manifest.ts";
import { downloadParts, type PartsOutcome } from "./download_parts.ts";
import { type ExportObserver, NO_OBSERVER, type TableStage } from "./export_observer.ts";
import type { TableResult } from "./table_result.ts";

/** What to export, complete. */
export interface ExportPlan {
  namespace: string;
  tables: readonly string[];
  destination: Destination;
  /** per-table query range: incrementals start each table at its own `since` */
  range?: (table: string) => { since?: string; until?: string };
  /** objects downloaded at once, across all tables */
  concurrency: number;
}

/** Collaborators of an export. */
export interface ExportDeps {
  client: ApiClient;
  runtime: Runtime;
  observer?: ExportObserver;
  /** flush files before renaming them @default true */
  fsync?: boolean;
}

/** Exports every table at once; one result per table, in the order given. */
export async function exportTables(plan: ExportPlan, deps: ExportDeps): Promise<TableResult[]> {
  const observer = deps.observer ?? NO_OBSERVER;
  const shared = { ...deps, observer, slots: new Semaphore(plan.concurrency) };
  for (const table of plan.tables) observer.update(table, { state: "queued" });
  const settled = await Promise.allSettled(
    plan.tables.map((table) => exportTable(plan, table, shared)),
  );
  const thrown = settled.find((s) => s.status === "rejected");
  if (thrown) throw (thrown as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<TableResult>).value);
}

type TableDeps = Required<Omit<ExportDeps, "fsync">> & { fsync?: boolean; slots: Semaphore };
type Outcome = Omit<TableResult, "namespace" | "table" | "ms">;

async function exportTable(plan: ExportPlan, table: string, deps: TableDeps): Promise<TableResult> {
  const { runtime, observer } = deps;
  const start = runtime.now();
  let writer: TableWriter | undefined;
  let outcome: Outcome;
  try {
    const job = await runJob({
      namespace: plan.namespace,
      table,
      query: { ...plan.destination.query, ...plan.range?.(table) },
    }, {
      client: deps.client,
      runtime,
      onStatus: (s) => observer.update(table, { state: stage(s) }),
    });
    writer = await plan.destination.open({
      namespace: plan.namespace,
      table,
      job,
      schema: () => deps.client.getSchema(plan.namespace, table),
      signal: runtime.signal,
      log: runtime.log,
    });
    const parts = await downloadParts({ namespace: plan.namespace, table }, job, writer, {
      ...deps,
      concurrency: plan.concurrency,
    });
    outcome = parts.failed > 0
      ? await abandon(writer, job, parts)
      : await commit(plan, table, { job, writer, parts, now: runtime.now() });
  } catch (error) {
    await writer?.abort().catch(() => {});
    // Credentials refused mid-run fail every table alike: stop rather than repeat it per table.
    if (error instanceof InterruptedError || error instanceof AuthError) throw error;
    outcome = { ok: false, error, files: 0, reusedFiles: 0, bytes: 0 };
  }
  observer.update(table, { state: outcome.ok ? "done" : "failed" });
  return { namespace: plan.namespace, table, ...outcome, ms: runtime.now() - start };
}

/** Some objects failed: the destination is abandoned, the verified parts stay for a rerun. */
async function abandon(writer: TableWriter, job: Job, parts: PartsOutcome): Promise<Outcome> {
  await writer.abort();
  const total = parts.parts.length + parts.failed;
  const error = new DownloadError(
    `${parts.failed} of ${total} file(s) could not be downloaded; rerun the same command to finish`,
  );
  return { ok: false, error, jobId: job.id, directory: writer.partsDirectory, ...counts(parts) };
}

/** Every object is in: the destination commits with the job's manifest. */
async function commit(
  plan: ExportPlan,
  table: string,
  done: { job: Job; writer: TableWriter; parts: PartsOutcome; now: number },
): Promise<Outcome> {
  const format = plan.destination.query.format;
  const target = { namespace: plan.namespace, table, format };
  const written = await done.writer.commit(
    buildManifest(target, done.job, done.parts.parts, done.now),
  );
  return {
    ok: true,
    jobId: done.job.id,
    directory: written.directory,
    manifest: written.manifest,
    files: written.files,
    reusedFiles: written.path === undefined ? done.parts.reused : 0,
    bytes: written.bytes,
    ...(written.rows !== undefined ? { rows: written.rows } : {}),
    ...(written.path !== undefined ? { mergedPath: written.path } : {}),
  };
}

function counts(outcome: PartsOutcome): { files: number; reusedFiles: number; bytes: number } {
  const bytes = outcome.parts.reduce((n, p) => n + p.size, 0);
  return { files: outcome.parts.length, reusedFiles: outcome.reused, bytes };
}

function stage(status: string): TableStage {
  if (status === "complete") return "downloading";
  return status as TableStage;
}

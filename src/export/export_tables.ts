/**
 * The export pipeline: per table, run the job, open the destination,
 * download the parts into it, commit it with the job's manifest. Tables run
 * at once: the API client's rate limiter paces job creation and polling, and
 * one set of download slots is shared by all tables. A table that fails is a
 * failed result; the others go on. Only an interruption, refused
 * credentials or a spent retry budget stop the run. Two tables never share
 * a folder: a table named twice runs once, and a table whose job (or job
 * folder) another table of the run already holds fails with a protocol error.
 */
import type { ApiClient } from "../api/api_client.ts";
import type { Job } from "../api/parse_answers.ts";
import { Semaphore } from "../download/semaphore.ts";
import { AuthError, DownloadError, InterruptedError } from "../errors.ts";
import type { JobWait } from "../job/wait_for_job.ts";
import { runJob } from "../job/run_job.ts";
import type { Destination, TableWriter } from "../output/destination.ts";
import { printable } from "../printable.ts";
import { RetryBudgetError } from "../retry.ts";
import type { Runtime } from "../runtime.ts";
import { fileNameKey } from "../safe_file_name.ts";
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
  /** called after every poll that finds a table's job still at work (for a run-wide heartbeat) */
  onJobWaiting?: (table: string, wait: JobWait) => void;
  /** each job's own "still running" line at most this often (ms); Infinity when a run-wide heartbeat says it @default 30000 */
  jobHeartbeatMs?: number;
}

/** Exports every table at once; one result per table, in the order given (a name given twice runs once). */
export async function exportTables(plan: ExportPlan, deps: ExportDeps): Promise<TableResult[]> {
  const observer = deps.observer ?? NO_OBSERVER;
  const tables = [...new Set(plan.tables)];
  const claims = new FolderClaims();
  const shared = { ...deps, observer, claims, slots: new Semaphore(plan.concurrency) };
  for (const table of tables) observer.update(table, { state: "queued" });
  const settled = await Promise.allSettled(
    tables.map((table) => exportTable(plan, table, shared)),
  );
  const thrown = settled.find((s) => s.status === "rejected");
  if (thrown) throw (thrown as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<TableResult>).value);
}

type TableDeps = Required<Omit<ExportDeps, "fsync" | "onJobWaiting" | "jobHeartbeatMs">> & {
  fsync?: boolean;
  onJobWaiting?: ExportDeps["onJobWaiting"];
  jobHeartbeatMs?: number;
  slots: Semaphore;
  claims: FolderClaims;
};

/**
 * Which table holds which job and which folder in this run. A job id the
 * API answers for a second table, or a folder two tables would share (ids
 * that sanitise alike, names that differ only in case or normalization),
 * would let one table's files replace the other's: the later table fails.
 */
class FolderClaims {
  readonly #held = new Map<string, string>();

  /** Takes `key` for `table`; throws SyntaxError when another table holds it. */
  claim(kind: "job" | "folder", key: string, table: string, what: string): void {
    const id = `${kind}:${kind === "folder" ? fileNameKey(key) : key}`;
    const holder = this.#held.get(id);
    if (holder !== undefined && holder !== table) {
      throw new SyntaxError(
        `Cannot export ${printable(table)}: the API answered ${what}, which table ${
          printable(holder)
        } already uses in this run; two tables never share a folder`,
      );
    }
    this.#held.set(id, table);
  }
}

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
      onWaiting: (wait) => deps.onJobWaiting?.(table, wait),
      heartbeatMs: deps.jobHeartbeatMs,
    });
    deps.claims.claim("job", job.id, `${plan.namespace}.${table}`, `job ${printable(job.id)}`);
    writer = await plan.destination.open({
      namespace: plan.namespace,
      table,
      job,
      schema: () => deps.client.getSchema(plan.namespace, table),
      signal: runtime.signal,
      log: runtime.log,
    });
    const folder = writer.partsDirectory;
    const what = `job ${printable(job.id)}, whose folder ${printable(folder)}`;
    deps.claims.claim("folder", folder, `${plan.namespace}.${table}`, what);
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
    if (
      error instanceof InterruptedError || error instanceof AuthError ||
      error instanceof RetryBudgetError
    ) throw error;
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

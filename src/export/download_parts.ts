/**
 * The download step of a table: trade the job's objects for URLs, plan safe
 * file names, download them concurrently (sharing the run's download slots)
 * into the destination's parts directory, and hand each verified part to
 * the destination in object order as soon as it and those before it are in.
 */
import type { ApiClient } from "../api/api_client.ts";
import type { Job } from "../api/parse_answers.ts";
import { downloadAll, type DownloadResult } from "../download/download_all.ts";
import { planFileNames } from "../download/plan_downloads.ts";
import type { Semaphore } from "../download/semaphore.ts";
import type { TableWriter, VerifiedPart } from "../output/destination.ts";
import { printable } from "../printable.ts";
import { RetryBudgetError } from "../retry.ts";
import type { Runtime } from "../runtime.ts";
import type { ExportObserver } from "./export_observer.ts";
import { InOrder } from "./in_order.ts";

/** What the download step came to. */
export interface PartsOutcome {
  /** verified parts, in object order */
  parts: VerifiedPart[];
  /** objects that could not be downloaded */
  failed: number;
  /** parts already complete from an earlier run */
  reused: number;
}

/** Collaborators of the download step. */
export interface PartsDeps {
  client: Pick<ApiClient, "getObjectUrls">;
  runtime: Runtime;
  observer: ExportObserver;
  slots: Semaphore;
  concurrency: number;
  /** flush files before renaming them @default true */
  fsync?: boolean;
}

/** Downloads `job`'s objects and feeds them to `writer`. */
export async function downloadParts(
  name: { namespace: string; table: string },
  job: Job,
  writer: TableWriter,
  deps: PartsDeps,
): Promise<PartsOutcome> {
  const { client, runtime, observer } = deps;
  const label = printable(`${name.namespace}.${name.table}`);
  // An id listed twice would be two downloads racing on one .partial.
  const objects = [...new Set(job.objects)];
  const urls = objects.length > 0 ? await client.getObjectUrls(objects) : new Map();
  const names = planFileNames(objects.map((id) => ({ id, url: urls.get(id)! })));
  const tasks = objects.map((id) => ({ id, url: urls.get(id)!, fileName: names.get(id)! }));
  observer.update(name.table, { state: "downloading", filesTotal: tasks.length });
  runtime.log.info(`${label}: downloading ${tasks.length} file(s) to ${writer.partsDirectory}`);
  const feeder = new InOrder<DownloadResult>(async (result) => {
    if (result.ok) await writer.write(toPart(result));
    return result.ok;
  });
  let filesDone = 0;
  const results = await downloadAll(tasks, writer.partsDirectory, {
    runtime,
    slots: deps.slots,
    concurrency: deps.concurrency,
    fsync: deps.fsync,
    refreshUrl: async (id) => (await client.getObjectUrls([id])).get(id)!,
    onBytes: (bytes) => observer.addBytes(name.table, bytes),
    onResult: (result, index) => {
      observer.update(name.table, { filesDone: ++filesDone });
      if (result.ok) {
        runtime.log.debug(`${label}: ${result.fileName} complete (${result.size} bytes)`);
      }
      feeder.push(index, result);
    },
  });
  await feeder.done();
  // The run is out of retries: stop it rather than report this table alone.
  const exhausted = results.find((r) => !r.ok && r.error instanceof RetryBudgetError);
  if (exhausted && !exhausted.ok) throw exhausted.error;
  const parts = results.flatMap((r) => r.ok ? [toPart(r)] : []);
  const reused = results.filter((r) => r.ok && r.reused).length;
  return { parts, failed: results.length - parts.length, reused };
}

function toPart(result: Extract<DownloadResult, { ok: true }>): VerifiedPart {
  return {
    objectId: result.id,
    name: result.fileName,
    path: result.path,
    size: result.size,
    md5: result.md5,
  };
}

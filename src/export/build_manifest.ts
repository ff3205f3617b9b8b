/** The manifest of a finished job: what it is and the verified parts it produced. */
import type { Job } from "../api/parse_answers.ts";
import type { VerifiedPart } from "../output/destination.ts";
import type { Manifest } from "../output/write_manifest.ts";
import { VERSION } from "../version.ts";

/** Builds the manifest of `job`'s parts, in object order. */
export function buildManifest(
  target: { namespace: string; table: string; format: string },
  job: Job,
  parts: readonly VerifiedPart[],
  now: number,
): Manifest {
  return {
    tool: `dap-deno ${VERSION}`,
    namespace: target.namespace,
    table: target.table,
    format: target.format,
    job_id: job.id,
    ...(job.at ? { at: job.at } : {}),
    ...(job.since ? { since: job.since } : {}),
    ...(job.until ? { until: job.until } : {}),
    schema_version: job.schemaVersion,
    completed_at: new Date(now).toISOString(),
    files: parts.map((p) => ({ name: p.name, object_id: p.objectId, size: p.size, md5: p.md5 })),
  };
}

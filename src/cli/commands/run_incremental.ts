/** `dap incremental`'s work: each table's start (a timestamp, a manifest, or the latest run), then the export. */
import { UsageError } from "../../errors.ts";
import { findLatestManifest, manifestEnd, readManifest } from "../../output/find_manifest.ts";
import type { CliDeps } from "../cli_deps.ts";
import { parseTimestamp } from "../parse_timestamp.ts";
import type { GlobalFlags } from "../resolve_config.ts";
import type { ExportFlags } from "./export_options.ts";
import { type RangeFor, runExport } from "./run_export.ts";

/** The flags of `incremental`. */
export interface IncrementalFlags extends ExportFlags, GlobalFlags {
  since: string;
  until?: string;
}

/** Runs an incremental export; resolves with the exit code. */
export function runIncremental(flags: IncrementalFlags, deps: CliDeps): Promise<number> {
  const note = (text: string) => deps.stderr(`note: ${text}\n`);
  const until = flags.until === undefined ? undefined : parseTimestamp("--until", flags.until);
  if (until?.assumedUtc) {
    note(`--until ${flags.until} has no time zone; reading it as UTC: ${until.iso}`);
  }
  const since = flags.since.trim();
  if (!/\.json$/i.test(since) && since !== "latest") {
    parseTimestamp("--since", since); // refuse a bad --since before logging in
  }
  return runExport(flags, deps, async (_session, tables): Promise<RangeFor> => {
    const starts = await sinceByTable(flags, tables, note);
    for (const [table, start] of starts) {
      if (until && Date.parse(until.iso) <= Date.parse(start)) {
        throw new UsageError(
          `Cannot read --until '${flags.until}': it is not after --since (${start}) for ${table}`,
        );
      }
    }
    return (table) => ({ since: starts.get(table)!, ...(until ? { until: until.iso } : {}) });
  });
}

/** Resolves `--since` per table: a timestamp, a manifest file, or `latest`. */
async function sinceByTable(
  flags: IncrementalFlags,
  tables: string[],
  note: (text: string) => void,
): Promise<Map<string, string>> {
  const since = flags.since.trim();
  if (since === "latest") return await latestByTable(flags, tables, note);
  if (/\.json$/i.test(since)) {
    const manifest = await readManifest(since);
    const stray = tables.find((t) => t !== manifest.table);
    if (stray || manifest.namespace !== flags.namespace) {
      throw new UsageError(
        `Cannot start ${flags.namespace}.${stray ?? tables[0]} from ${since}: ` +
          `that manifest is for ${manifest.namespace}.${manifest.table}`,
      );
    }
    return new Map(tables.map((table) => [table, manifestEnd(manifest)!]));
  }
  const parsed = parseTimestamp("--since", since);
  if (parsed.assumedUtc) {
    note(`--since ${since} has no time zone; reading it as UTC: ${parsed.iso}`);
  }
  return new Map(tables.map((table) => [table, parsed.iso]));
}

async function latestByTable(
  flags: IncrementalFlags,
  tables: string[],
  note: (text: string) => void,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const table of tables) {
    const found = await findLatestManifest(flags.outputDirectory, flags.namespace, table);
    if (!found) {
      throw new UsageError(
        `Cannot start ${flags.namespace}.${table} from the latest manifest: none in ${flags.outputDirectory} (run a snapshot first)`,
      );
    }
    const end = manifestEnd(found.manifest)!;
    note(`${flags.namespace}.${table}: starting from ${end} (${found.path})`);
    out.set(table, end);
  }
  return out;
}

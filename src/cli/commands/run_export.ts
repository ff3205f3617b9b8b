/**
 * What `snapshot` and `incremental` share once their flags are read: open a
 * session, check the output directory, log in, resolve the tables, choose
 * the destination, run the export pipeline, and report per table.
 */
import { UsageError } from "../../errors.ts";
import { exportTables } from "../../export/export_tables.ts";
import { createDestination, type DestinationConfig } from "../../output/destinations.ts";
import { checkOutputDirectory } from "../../output/output_directory.ts";
import { type Codec, CODECS } from "../../output/parquet_sink.ts";
import type { CliDeps } from "../cli_deps.ts";
import { openSession, type Session } from "../open_session.ts";
import {
  type GlobalFlags,
  parseFormat,
  parsePositiveInteger,
  parseTables,
} from "../resolve_config.ts";
import type { ExportFlags } from "./export_options.ts";
import { reportResults } from "./report_results.ts";

/** A table's query range, for incrementals. */
export type RangeFor = (table: string) => { since?: string; until?: string };

/** Runs an export; `rangeFor` resolves each table's range once the tables are known. */
export async function runExport(
  flags: ExportFlags & GlobalFlags,
  deps: CliDeps,
  rangeFor?: (session: Session, tables: string[]) => Promise<RangeFor>,
): Promise<number> {
  const tables = parseTables(flags.table);
  const concurrency = parsePositiveInteger("--concurrency", flags.concurrency);
  const destination = destinationConfig(flags);
  const session = openSession(flags, deps);
  const { client, board, runtime } = session;
  await checkOutputDirectory(flags.outputDirectory);
  await client.authenticate();
  const names = tables === "all" ? await client.listTables(flags.namespace) : tables;
  const range = await rangeFor?.(session, names);
  const results = await exportTables({
    namespace: flags.namespace,
    tables: names,
    destination: createDestination(destination),
    range,
    concurrency,
  }, { client, runtime, observer: board, jobHeartbeatMs: Infinity }).finally(() => board.stop());
  return await reportResults(results, session, flags, deps);
}

/** Parts as served, or one merged file per table (--merge with --format, --mode, --codec). */
function destinationConfig(flags: ExportFlags): DestinationConfig {
  const format = parseFormat(flags.format);
  const outputDirectory = flags.outputDirectory;
  if (!flags.merge) return { kind: "parts", format, outputDirectory };
  if (flags.mode !== "expanded" && flags.mode !== "condensed") {
    throw new UsageError(`Cannot use --mode '${flags.mode}': use expanded or condensed`);
  }
  const codec = flags.codec.toLowerCase() as Codec;
  if (!CODECS.includes(codec)) {
    throw new UsageError(`Cannot use --codec '${flags.codec}': use ${CODECS.join(", ")}`);
  }
  return { kind: "merged", format, mode: flags.mode, codec, outputDirectory };
}

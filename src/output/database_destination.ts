/**
 * A database as a destination: each table is one session of an engine
 * (`db/engine.ts`), opened with the table's schema (created by initdb,
 * migrated by syncdb), fed each verified TSV part as it arrives, committed
 * with its `table_sync` row. The API is asked for TSV in condensed mode,
 * which is PostgreSQL's COPY text format with nested objects as one JSON
 * column. Parts wait in a private directory only until they are loaded.
 */
import { join } from "node:path";
import type { Engine } from "../db/engine.ts";
import { TableSync } from "../db/sync_table.ts";
import { tableModel } from "../db/table_model.ts";
import { safeFileName } from "../safe_file_name.ts";
import type { Destination, TableTarget, TableWriter } from "./destination.ts";
import { makeDirectory } from "./output_directory.ts";

/** Settings of the database destination. */
export interface DatabaseConfig {
  kind: "database";
  /** initdb creates tables (reinit: replacing one already kept); syncdb applies changes */
  command: "initdb" | "syncdb" | "reinit";
  engine: Engine;
  /** the connection string without its password, for summaries */
  display: string;
  /** where parts wait until loaded (a private temporary directory) */
  partsRoot: string;
}

/** Loads tables into a database. */
export function databaseDestination(config: DatabaseConfig): Destination {
  return {
    query: { format: "tsv", mode: "condensed" },
    open: (target) => openTable(config, target),
  };
}

async function openTable(config: DatabaseConfig, target: TableTarget): Promise<TableWriter> {
  const model = tableModel(target.namespace, target.table, await target.schema());
  const mode = config.command === "syncdb" ? "sync" : "init";
  const session = await config.engine.begin(target.namespace, target.table, mode);
  const sync = new TableSync(session, model, target.log);
  try {
    if (config.command === "syncdb") await sync.migrate();
    else await sync.create({ replace: config.command === "reinit" });
  } catch (error) {
    await sync.rollback();
    throw error;
  }
  const partsDirectory = join(
    config.partsRoot,
    safeFileName(target.namespace, "namespace"),
    safeFileName(target.table, "table"),
    `job_${safeFileName(target.job.id, "unnamed")}`,
  );
  await makeDirectory(partsDirectory);
  return {
    partsDirectory,
    async write(part) {
      await sync.addPart(part.path);
      await Deno.remove(part.path);
    },
    async commit(manifest) {
      const counts = await sync.commit(target.job);
      await Deno.remove(partsDirectory, { recursive: true }).catch(() => {});
      return {
        directory: config.display,
        files: manifest.files.length,
        bytes: manifest.files.reduce((n, f) => n + f.size, 0),
        rows: counts.upserted + counts.deleted,
        path: `${config.display} (${target.namespace}.${target.table})`,
      };
    },
    abort: () => sync.rollback(),
  };
}

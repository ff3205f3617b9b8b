/**
 * The destination seam: where a table's verified parts go. The export
 * pipeline downloads a job's objects into the directory the destination
 * names, hands each verified part over in object order, and then commits
 * (or aborts). Parts as served, merged files and databases are
 * destinations; each is one file, chosen from the registry in
 * `destinations.ts`.
 */
import type { Log } from "../runtime.ts";
import type { DataFormat } from "./data_format.ts";
import type { FlattenMode } from "./flatten_schema.ts";
import type { Manifest } from "./write_manifest.ts";

/** A finished job, as a destination sees it. */
export interface TableJob {
  id: string;
  objects: readonly string[];
  schemaVersion?: number;
  /** snapshot: the table state it represents */
  at?: string;
  /** incremental: the range it covers */
  since?: string;
  until?: string;
}

/** A table's schema as the API serves it. */
export interface TableSchema {
  schema: Record<string, unknown>;
  version: number;
}

/** One downloaded, verified object. */
export interface VerifiedPart {
  objectId: string;
  /** file name inside the parts directory */
  name: string;
  path: string;
  size: number;
  md5: string;
}

/** The table a destination opens. */
export interface TableTarget {
  namespace: string;
  table: string;
  job: TableJob;
  /** the table's schema (asked for on first use) */
  schema: () => Promise<TableSchema>;
  signal: AbortSignal;
  log: Log;
}

/** What a committed table produced. */
export interface TableWritten {
  /** where the output is */
  directory: string;
  /** the manifest written, if any */
  manifest?: string;
  files: number;
  bytes: number;
  /** merged files and databases: rows written */
  rows?: number;
  /** merged files: the file */
  path?: string;
}

/** One table's output in progress. */
export interface TableWriter {
  /** where the pipeline downloads this job's parts */
  readonly partsDirectory: string;
  /** takes one verified part; parts come in object order */
  write(part: VerifiedPart): Promise<void>;
  /** makes the output final; `manifest` describes the job and its parts */
  commit(manifest: Manifest): Promise<TableWritten>;
  /** abandons the output after a failure; downloaded parts stay for a rerun */
  abort(): Promise<void>;
}

/** Where tables go. */
export interface Destination {
  /** the format (and CSV/TSV mode) to ask the API for */
  readonly query: { format: DataFormat; mode?: FlattenMode };
  open(target: TableTarget): Promise<TableWriter>;
}

/**
 * A table's columns and schema version as of an instant. With a schema bump
 * (`schemaBumpAt`), every table gains one nullable value column at that
 * instant and its version goes up by one; schemas only grow, as DAP's do.
 */
import { findTable, schemaVersion } from "./catalogue.ts";
import type { Column, TableSpec } from "./columns.ts";

/** The value column every table gains at a schema bump (nullable, last). */
export const SCHEMA_BUMP_COLUMN: Column = {
  name: "schema_bump_note",
  kind: "string",
  maxLength: 255,
};

/** A table as served at an instant. */
export interface TableVersion {
  spec: TableSpec;
  version: number;
  /** when the bump column appeared, if it has */
  bumpedAt?: number;
}

/** The table at `instant`, or undefined when it does not exist. */
export function tableAt(
  namespace: string,
  table: string,
  instant: number,
  schemaBumpAt?: number,
): TableVersion | undefined {
  const spec = findTable(namespace, table);
  if (!spec) return undefined;
  const version = schemaVersion(namespace, table);
  if (schemaBumpAt === undefined || instant < schemaBumpAt) return { spec, version };
  return {
    spec: { key: spec.key, value: [...spec.value, SCHEMA_BUMP_COLUMN] },
    version: version + 1,
    bumpedAt: schemaBumpAt,
  };
}

/**
 * What the MySQL engine reads from the server about itself and its tables:
 * the server's settings, a table's columns as they stand
 * (information_schema), `table_sync` rows, and how a model column's TSV
 * field becomes a value of the column it meets (dap's layout or the
 * official client's).
 */
import { syncRowFrom } from "./sync_row.ts";
import type { SyncRow } from "./engine.ts";
import type { MysqlLink } from "./mysql_link.ts";
import type { TableColumn } from "./mysql_sql.ts";
import { type Conversion, fromMysqlDatetime } from "./mysql_values.ts";
import type { DbColumn } from "./table_model.ts";

/** What the engine knows of its server, shared by its sessions. */
export interface ServerInfo {
  database: string;
  /** whether LOAD DATA LOCAL INFILE works (turned off at the first refusal) */
  localInfile: boolean;
  /** bytes an INSERT statement may have */
  maxStatementBytes: number;
  /** fractional digits of `table_sync.timestamp` (0 as the official client creates it) */
  syncPrecision: number;
  /** ` DEFAULT CHARSET=utf8mb4` when the database's default is something else */
  tableOptions: string;
}

/** The columns of a table as the server describes them, in order (none when it does not exist). */
export async function tableColumns(link: MysqlLink, table: string): Promise<TableColumn[]> {
  const rows = await link.rows<Record<string, unknown>>(
    `read the columns of ${table}`,
    "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType, " +
      "IS_NULLABLE AS nullable, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation " +
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? " +
      "ORDER BY ORDINAL_POSITION",
    [table],
  );
  return rows.map((r) => ({
    name: String(r.name),
    columnType: String(r.columnType),
    dataType: String(r.dataType).toLowerCase(),
    nullable: r.nullable === "YES",
    charset: r.charset === null ? null : String(r.charset),
    collation: r.collation === null ? null : String(r.collation),
  }));
}

/** A `table_sync` row as the seam describes it. */
export function toSyncRow(row: Record<string, unknown>): SyncRow {
  return syncRowFrom(row, fromMysqlDatetime);
}

/** How a model column's TSV field becomes a value of the column as it stands (dap's layout or the official client's). */
export function conversionOf(column: DbColumn, target: TableColumn): Conversion {
  const binary = target.dataType === "binary" || target.dataType === "varbinary";
  switch (column.type.kind) {
    case "boolean":
      return "boolean";
    case "timestamp":
      return target.dataType === "datetime" || target.dataType === "timestamp"
        ? "timestamp"
        : "plain";
    case "uuid":
      return binary ? "uuid-binary" : "plain";
    case "text":
      return binary ? "inet-binary" : "plain";
    default:
      return "plain";
  }
}

/** The columns of `table_sync` the contract reads and writes, in order. */
export const SYNC_COLUMNS = "`source_namespace`, `source_table`, `timestamp`, `schema_version`, " +
  "`target_schema`, `target_table`, `schema_description_format`, `schema_description`";

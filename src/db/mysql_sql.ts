/**
 * The SQL the MySQL/MariaDB engine sends, as pure builders: names, the
 * contract's column types, the metadata and data tables, the staging table,
 * `LOAD DATA` and multi-row INSERT statements, and the newest-wins merge.
 * Identifiers are always backquoted, so the session's sql_mode may or may
 * not have ANSI_QUOTES (the official client sets it).
 */
import { createHash } from "node:crypto";
import type { DbColumn, TableModel } from "./table_model.ts";
import { type Conversion, loadExpression, sqlString } from "./mysql_values.ts";

/** The metadata tables: MySQL has no schemas, so `instructure_dap.x` is `instructure_dap__x`. */
export const SYNC_TABLE = "instructure_dap__table_sync";
export const VERSION_TABLE = "instructure_dap__database_version";
/** The connection's temporary tables of a sync: the staged records, and the newest per key. */
export const STAGE_TABLE = "dap__stage";
export const LATEST_TABLE = "dap__latest";
/** The staging table's own columns, before the model's. */
export const STAGE_SEQ = "dap__seq";
export const STAGE_ACTION = "dap__action";
export const STAGE_TS = "dap__ts";

const MAX_NAME = 64;

/** `name`, backquotes doubled. */
export function quoteName(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** The data table's name, as the official client names it: `<namespace>__<table>`. */
export function mysqlTableName(namespace: string, table: string): string {
  return `${namespace}__${table}`;
}

function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * The name of a table's stand-in while initdb builds it (`new`) and of the
 * table it replaces until it is dropped (`old`): `<name>__dap_new`, within
 * MySQL's 64 characters (long names are cut and keep a hash).
 */
export function helperName(name: string, role: "new" | "old"): string {
  const full = `${name}__dap_${role}`;
  if (full.length <= MAX_NAME) return full;
  const suffix = `__${shortHash(name, 12)}__dap_${role}`;
  return name.slice(0, MAX_NAME - suffix.length) + suffix;
}

/** The server-wide lock a session holds on its table (GET_LOCK names have at most 64 characters). */
export function lockName(database: string, name: string): string {
  const full = `dap:${database}.${name}`;
  return full.length <= MAX_NAME ? full : `dap:${shortHash(full, 56)}`;
}

/** `ENUM('a','b')`, without a character set. */
export function enumList(values: readonly string[]): string {
  return `ENUM(${values.map(sqlString).join(",")})`;
}

/** `ENUM('a','b')`, ASCII with a binary collation as the official client makes it (utf8mb4_bin if a value is not ASCII). */
export function enumType(values: readonly string[]): string {
  // deno-lint-ignore no-control-regex
  const ascii = values.every((v) => /^[\x00-\x7f]*$/.test(v));
  const charset = ascii ? "ascii COLLATE ascii_bin" : "utf8mb4 COLLATE utf8mb4_bin";
  return `${enumList(values)} CHARACTER SET ${charset}`;
}

/** The longest key varchar InnoDB can index in utf8mb4 (3072 bytes). */
const MAX_KEY_CHARS = 768;
/** The longest varchar kept as varchar (longer ones are mediumtext, as the official client does past 65535 bytes). */
const MAX_VARCHAR = 16383;

/** A column's type per the contract's type table. */
export function columnType(column: DbColumn, isKey = false): string {
  const type = column.type;
  switch (type.kind) {
    case "int64":
      return "bigint";
    case "int32":
      return "int";
    case "int16":
      return "smallint";
    case "double":
      return "double";
    case "boolean":
      return "tinyint(1)";
    case "varchar":
      if (isKey) return `varchar(${Math.min(type.length, MAX_KEY_CHARS)})`;
      return type.length <= MAX_VARCHAR ? `varchar(${type.length})` : "mediumtext";
    case "text":
      // A primary key cannot be a TEXT column.
      return isKey ? "varchar(255)" : "mediumtext";
    case "timestamp":
      return "datetime(6)";
    case "date":
      return "date";
    case "json":
      return "json";
    case "uuid":
      return "varchar(36)";
    case "enum":
      return enumType(type.values);
  }
}

/** The data table, empty: key columns then value columns, NOT NULL per model, the key as primary key. */
export function createTableSql(name: string, model: TableModel, options = ""): string {
  const columns = model.columns.map((c) => {
    const isKey = model.keys.includes(c.name);
    return `${quoteName(c.name)} ${columnType(c, isKey)} ${c.nullable ? "NULL" : "NOT NULL"}`;
  });
  const key = `CONSTRAINT ${quoteName(`pk_${model.table}`)} PRIMARY KEY (${
    model.keys.map(quoteName).join(", ")
  })`;
  return `CREATE TABLE ${quoteName(name)} (${
    [...columns, key].join(", ")
  }) ENGINE=InnoDB${options}`;
}

/**
 * The metadata tables as the official client creates them (through pysqlsync:
 * identity -> bigint AUTO_INCREMENT, unbounded text -> mediumtext, a naive
 * UTC datetime), and its one database_version row.
 */
export function metadataSql(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteName(VERSION_TABLE)} (` +
    "`version` bigint NOT NULL AUTO_INCREMENT, " +
    `CONSTRAINT ${quoteName(`pk_${VERSION_TABLE}`)} PRIMARY KEY (\`version\`)) ENGINE=InnoDB`,
    `INSERT IGNORE INTO ${quoteName(VERSION_TABLE)} (\`version\`) SELECT 1 FROM DUAL ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${quoteName(VERSION_TABLE)})`,
    `CREATE TABLE IF NOT EXISTS ${quoteName(SYNC_TABLE)} (` +
    "`id` bigint NOT NULL AUTO_INCREMENT, " +
    "`source_namespace` varchar(64) NOT NULL, " +
    "`source_table` varchar(64) NOT NULL, " +
    "`timestamp` datetime NOT NULL, " +
    "`schema_version` bigint NOT NULL, " +
    "`target_schema` varchar(64) NULL, " +
    "`target_table` varchar(64) NOT NULL, " +
    "`schema_description_format` varchar(64) NOT NULL, " +
    "`schema_description` mediumtext NOT NULL, " +
    `CONSTRAINT ${quoteName(`pk_${SYNC_TABLE}`)} PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
  ];
}

/** A column of a table as the server describes it (information_schema.COLUMNS). */
export interface TableColumn {
  name: string;
  /** e.g. `varchar(255)`, `enum('a','b')`, `bigint(20)` */
  columnType: string;
  /** e.g. `varchar`, `enum`, `longtext` */
  dataType: string;
  nullable: boolean;
  charset: string | null;
  collation: string | null;
}

/** A column definition as it stands, nullable or not (for MODIFY, and for the staging table). */
export function columnDefinition(column: TableColumn, nullable: boolean): string {
  const charset = column.charset && column.collation
    ? ` CHARACTER SET ${column.charset} COLLATE ${column.collation}`
    : "";
  return `${quoteName(column.name)} ${column.columnType}${charset} ${
    nullable ? "NULL" : "NOT NULL"
  }`;
}

/** The temporary table a sync stages its records in: sequence, action, meta.ts, then the target's columns, all nullable. */
export function createStageSql(columns: readonly TableColumn[]): string {
  const defs = columns.map((c) => columnDefinition(c, true));
  return `CREATE TEMPORARY TABLE ${quoteName(STAGE_TABLE)} (` +
    `${quoteName(STAGE_SEQ)} bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, ` +
    `${quoteName(STAGE_ACTION)} char(1) CHARACTER SET ascii NOT NULL, ` +
    `${quoteName(STAGE_TS)} datetime(6) NOT NULL, ${defs.join(", ")}) ENGINE=InnoDB`;
}

/** A model column and how its TSV field becomes its value. */
export interface PlannedColumn {
  name: string;
  conversion: Conversion;
}

/**
 * `LOAD DATA LOCAL INFILE` of normalized lines (`action, meta.ts, columns`):
 * into the new table (initdb: a repeated key keeps its last line, REPLACE
 * being upsert) or into the staging table (syncdb: every line kept, its
 * key being a sequence). Always REPLACE: LOCAL alone means IGNORE, which
 * stores a bad value with a warning, where REPLACE under a strict sql_mode
 * fails the statement.
 */
export function loadDataSql(
  into: string,
  columns: readonly PlannedColumn[],
  stage: boolean,
): string {
  const targets = [stage ? quoteName(STAGE_ACTION) : "@dap_action", "@dap_ts"];
  const sets = stage ? [`${quoteName(STAGE_TS)} = ${loadExpression("@dap_ts", "timestamp")}`] : [];
  columns.forEach((column, i) => {
    if (column.conversion === "plain") {
      targets.push(quoteName(column.name));
    } else {
      targets.push(`@dap_${i}`);
      sets.push(`${quoteName(column.name)} = ${loadExpression(`@dap_${i}`, column.conversion)}`);
    }
  });
  return `LOAD DATA LOCAL INFILE 'dap-records.tsv' REPLACE INTO TABLE ` +
    `${quoteName(into)} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ` +
    `(${targets.join(", ")})${sets.length > 0 ? ` SET ${sets.join(", ")}` : ""}`;
}

/** `col = VALUES(col)` for every non-key column (a key-only table updates a key to itself). */
function upsertClause(table: string, model: TableModel): string {
  const rest = model.columns.filter((c) => !model.keys.includes(c.name)).map((c) => c.name);
  const names = rest.length > 0 ? rest : [model.keys[0]!];
  return "ON DUPLICATE KEY UPDATE " +
    names.map((n) => `${quoteName(table)}.${quoteName(n)} = VALUES(${quoteName(n)})`).join(", ");
}

/** The head of a multi-row INSERT: into the new table (upsert) or into the staging table; rows follow. */
export function insertHeadSql(into: string, model: TableModel, stage: boolean): string {
  const names = model.columns.map((c) => quoteName(c.name));
  if (stage) names.unshift(quoteName(STAGE_ACTION), quoteName(STAGE_TS));
  return `INSERT INTO ${quoteName(into)} (${names.join(", ")}) VALUES `;
}

/** The tail of a multi-row INSERT into the new table: a repeated key keeps its last row. */
export function insertTailSql(into: string, model: TableModel, stage: boolean): string {
  return stage ? "" : ` ${upsertClause(into, model)}`;
}

function keyJoin(model: TableModel, left: string, right: string): string {
  return model.keys.map((k) => `${left}.${quoteName(k)} = ${right}.${quoteName(k)}`).join(
    " AND ",
  );
}

/**
 * The newest-wins merge of the staged records into the table, in set form:
 * the newest record of each key (by meta.ts, then by arrival), the deletes,
 * the upserts, and how many upserts there were. Each statement names each
 * temporary table once (MySQL cannot reopen one within a statement).
 */
export function mergeSql(table: string, model: TableModel): {
  latest: string[];
  remove: string;
  upsert: string;
  count: string;
} {
  const keys = model.keys.map(quoteName).join(", ");
  const [stage, latest, seq] = [
    quoteName(STAGE_TABLE),
    quoteName(LATEST_TABLE),
    quoteName(STAGE_SEQ),
  ];
  const action = `s.${quoteName(STAGE_ACTION)}`;
  const newest = `JOIN ${latest} AS l ON l.${seq} = s.${seq}`;
  const columns = model.columns.map((c) => quoteName(c.name));
  return {
    // CREATE and INSERT apart: servers enforcing GTID consistency refuse CREATE ... SELECT.
    latest: [
      `CREATE TEMPORARY TABLE ${latest} (${seq} bigint NOT NULL PRIMARY KEY) ENGINE=InnoDB`,
      `INSERT INTO ${latest} (${seq}) SELECT ${seq} FROM (SELECT ${seq}, ROW_NUMBER() OVER ` +
      `(PARTITION BY ${keys} ORDER BY ${quoteName(STAGE_TS)} DESC, ${seq} DESC) AS dap__rank ` +
      `FROM ${stage}) AS ranked WHERE dap__rank = 1`,
    ],
    remove: `DELETE t FROM ${quoteName(table)} AS t JOIN ${stage} AS s ON ${
      keyJoin(model, "t", "s")
    } ${newest} WHERE ${action} = 'D'`,
    upsert: `INSERT INTO ${quoteName(table)} (${columns.join(", ")}) SELECT ${
      columns.map((c) => `s.${c}`).join(", ")
    } FROM ${stage} AS s ${newest} WHERE ${action} = 'U' ${upsertClause(table, model)}`,
    count: `SELECT COUNT(*) AS n FROM ${stage} AS s ${newest} WHERE ${action} = 'U'`,
  };
}

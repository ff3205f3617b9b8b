/**
 * The SQL text of the PostgreSQL engine, as the official client lays a
 * database out (`dap-db-sync.md`): the metadata schema `instructure_dap`, a
 * data table `"<namespace>"."<table>"` per DAP table with the key fields then
 * the value fields under their bare names, the primary key `pk_<table>`, and
 * an enum type `"<namespace>"."<table>__<column>"` per enum column. Builds
 * text only; it runs nothing. Pure.
 */
import type { DbColumn, TableModel } from "./table_model.ts";

/** The metadata schema, shared with the official client. */
export const META_SCHEMA = "instructure_dap";
/** `"instructure_dap"."table_sync"` */
export const SYNC_TABLE = `"${META_SCHEMA}"."table_sync"`;
/** `"instructure_dap"."database_version"` */
export const VERSION_TABLE = `"${META_SCHEMA}"."database_version"`;
/** The temporary table a session stages records in (one per connection, dropped at commit). */
export const STAGE_TABLE = "pg_temp.dap_stage";

/** `"name"`, quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'`, quotes doubled (standard_conforming_strings: backslashes are plain). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** The data table of a model: `"<namespace>"."<table>"`. */
export function tableName(model: Pick<TableModel, "namespace" | "table">): string {
  return qualified(model.namespace, model.table);
}

/** The enum type of a column, as the official client names it: `"<namespace>"."<table>__<column>"`. */
export function enumTypeName(
  model: Pick<TableModel, "namespace" | "table">,
  column: string,
): string {
  return qualified(model.namespace, `${model.table}__${column}`);
}

/** The column's SQL type per the contract's type table. */
export function columnType(
  model: Pick<TableModel, "namespace" | "table">,
  column: DbColumn,
): string {
  const type = column.type;
  switch (type.kind) {
    case "int64":
      return "bigint";
    case "int32":
      return "integer";
    case "int16":
      return "smallint";
    case "double":
      return "double precision";
    case "boolean":
      return "boolean";
    case "varchar":
      return `varchar(${type.length})`;
    case "text":
      return "text";
    case "timestamp":
      return "timestamp without time zone";
    case "date":
      return "date";
    case "json":
      return "jsonb";
    case "uuid":
      return "uuid";
    case "enum":
      return enumTypeName(model, column.name);
  }
}

/** The enum columns of a model. */
export function enumColumns(model: TableModel): DbColumn[] {
  return model.columns.filter((c) => c.type.kind === "enum");
}

/** `CREATE TYPE ... AS ENUM (...)` for one enum column, every value in schema order. */
export function createEnumSql(model: TableModel, column: DbColumn): string {
  const values = column.type.kind === "enum" ? column.type.values : [];
  return `CREATE TYPE ${enumTypeName(model, column.name)} AS ENUM (${
    values.map(quoteLiteral).join(", ")
  })`;
}

/** `DROP TYPE IF EXISTS` for one enum column's type. */
export function dropEnumSql(model: TableModel, column: DbColumn): string {
  return `DROP TYPE IF EXISTS ${enumTypeName(model, column.name)}`;
}

/** `ALTER TYPE ... ADD VALUE IF NOT EXISTS` for each new value (idempotent). */
export function addEnumValueSql(model: TableModel, column: DbColumn, values: string[]): string[] {
  return values.map((value) =>
    `ALTER TYPE ${enumTypeName(model, column.name)} ADD VALUE IF NOT EXISTS ${quoteLiteral(value)}`
  );
}

/** One column's definition in `CREATE TABLE`. */
function columnDefinition(model: TableModel, column: DbColumn): string {
  return `${quoteIdent(column.name)} ${columnType(model, column)}${
    column.nullable ? "" : " NOT NULL"
  }`;
}

/** The statements that (re)create a data table: enum types, then the table with `pk_<table>`. */
export function createTableSql(model: TableModel): string[] {
  const enums = enumColumns(model);
  const key = `CONSTRAINT ${quoteIdent(`pk_${model.table}`)} PRIMARY KEY (${
    model.keys.map(quoteIdent).join(", ")
  })`;
  const columns = model.columns.map((c) => columnDefinition(model, c));
  return [
    `DROP TABLE IF EXISTS ${tableName(model)}`,
    ...enums.map((c) => dropEnumSql(model, c)),
    ...enums.map((c) => createEnumSql(model, c)),
    `CREATE TABLE ${tableName(model)} (${[...columns, key].join(", ")})`,
  ];
}

/** `COPY` straight into the data table, its columns in model order. */
export function copyTableSql(model: TableModel): string {
  const names = model.columns.map((c) => quoteIdent(c.name)).join(", ");
  return `COPY ${tableName(model)} (${names}) FROM STDIN`;
}

/**
 * A data table's column as the catalog describes it. The official client
 * creates native arrays (`text[]`, `bigint[]`, ...) for arrays of simple
 * types where dap creates `jsonb`, and a table may differ from dap's layout
 * in other ways (`json`, `text` for an enum or a `varchar(n)`); loading
 * follows the table as it stands.
 */
export interface TableColumn {
  /** as `format_type` writes it: `text`, `character varying(8)[]`, `canvas.things__state` */
  type: string;
  /** a native array's element type without its length (`character varying`); null otherwise */
  element: string | null;
}

/** A data table's columns by name. */
export type TableColumns = ReadonlyMap<string, TableColumn>;

/** The columns of a table ($1 = its quoted, qualified name), in order; none when it does not exist. */
export const SELECT_TABLE_COLUMNS =
  `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
  CASE WHEN t.typcategory = 'A' THEN format_type(t.typelem, NULL) END AS element
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;

/** The model's columns that are native arrays in the table (DAP delivers them as JSON text). */
export function arrayColumns(model: TableModel, actual?: TableColumns): string[] {
  return model.columns.filter((c) => (actual?.get(c.name)?.element ?? null) !== null)
    .map((c) => c.name);
}

/**
 * A column's type in the staging table: the table's own, which takes DAP's
 * TSV text as it is (`json`, `text`, an enum, `varchar(n)`); `jsonb` for a
 * native array, converted when applied (`stagedValue`); the model's type for
 * a column the table does not have.
 */
function stageType(model: TableModel, column: DbColumn, actual?: TableColumns): string {
  const found = actual?.get(column.name);
  if (!found) return columnType(model, column);
  return found.element === null ? found.type : "jsonb";
}

/** The staging table: action, meta.ts, then the model's columns, all nullable, no key. */
export function createStageSql(model: TableModel, actual?: TableColumns): string {
  const columns = model.columns.map((c) => `${quoteIdent(c.name)} ${stageType(model, c, actual)}`);
  return `CREATE TEMPORARY TABLE dap_stage (dap_action text, dap_ts timestamptz, ${
    columns.join(", ")
  }) ON COMMIT DROP`;
}

/**
 * A staged column (of `newest`) as the table's value: as it is, or for a
 * native array the elements of its JSON array in order, each cast to the
 * element type (the column's own length is checked on insert). SQL NULL and
 * JSON null stay NULL, `[]` stays an empty array, a JSON scalar is refused.
 */
export function stagedValue(name: string, actual?: TableColumn): string {
  const column = quoteIdent(name);
  if (!actual || actual.element === null) return column;
  const staged = `newest.${column}`;
  const elements = /^jsonb?$/.test(actual.element)
    ? "jsonb_array_elements"
    : "jsonb_array_elements_text";
  return `CASE WHEN jsonb_typeof(${staged}) <> 'null' THEN ARRAY(SELECT dap_item.value::${actual.element} ` +
    `FROM ${elements}(${staged}) WITH ORDINALITY AS dap_item(value, ord) ORDER BY dap_item.ord) END`;
}

/** `COPY` of normalized lines, as they are, into the staging table. */
export const COPY_STAGE_SQL = `COPY ${STAGE_TABLE} FROM STDIN`;

/** `ON CONFLICT (keys) DO UPDATE SET ...` (DO NOTHING when every column is a key). */
function onConflict(model: TableModel): string {
  const keys = model.keys.map(quoteIdent).join(", ");
  const rest = model.columns.filter((c) => !model.keys.includes(c.name));
  if (rest.length === 0) return `ON CONFLICT (${keys}) DO NOTHING`;
  const sets = rest.map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  return `ON CONFLICT (${keys}) DO UPDATE SET ${sets.join(", ")}`;
}

/**
 * One statement that applies the staged records in set form: the newest
 * record of each key (latest `meta.ts`, then the later one staged) deletes
 * the key (`D`) or is upserted (`U`), native array columns converted from
 * their staged JSON (`stagedValue`). Answers `deleted` and `upserted`.
 */
export function mergeSql(model: TableModel, actual?: TableColumns): string {
  const keys = model.keys.map(quoteIdent);
  const names = model.columns.map((c) => quoteIdent(c.name)).join(", ");
  const values = model.columns.map((c) => stagedValue(c.name, actual?.get(c.name))).join(", ");
  const matches = keys.map((k) => `t.${k} = n.${k}`).join(" AND ");
  return [
    `WITH newest AS MATERIALIZED (SELECT DISTINCT ON (${keys.join(", ")}) * FROM ${STAGE_TABLE}`,
    `ORDER BY ${keys.join(", ")}, dap_ts DESC NULLS LAST, ctid DESC),`,
    `deleted AS (DELETE FROM ${tableName(model)} AS t USING newest AS n`,
    `WHERE n.dap_action = 'D' AND ${matches} RETURNING 1),`,
    `upserted AS (INSERT INTO ${tableName(model)} (${names})`,
    `SELECT ${values} FROM newest WHERE dap_action = 'U'`,
    `${onConflict(model)} RETURNING 1)`,
    "SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM upserted)::int AS upserted",
  ].join(" ");
}

/** `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` (nullable: old rows have no value). */
export function addColumnSql(model: TableModel, column: DbColumn): string {
  return `ALTER TABLE ${tableName(model)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${
    columnType(model, column)
  }`;
}

/** `ALTER TABLE ... DROP COLUMN IF EXISTS`. */
export function dropColumnSql(model: TableModel, column: DbColumn): string {
  return `ALTER TABLE ${tableName(model)} DROP COLUMN IF EXISTS ${quoteIdent(column.name)}`;
}

/** The metadata tables, with the official client's DDL (identity columns, `pk_` constraints). */
export const CREATE_VERSION_TABLE = `CREATE TABLE ${VERSION_TABLE} (
  "version" bigint GENERATED BY DEFAULT AS IDENTITY,
  CONSTRAINT "pk_database_version" PRIMARY KEY ("version"))`;

/** One row, version 1, when the table has none. */
export const INSERT_VERSION =
  `INSERT INTO ${VERSION_TABLE} ("version") SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM ${VERSION_TABLE})`;

/** `instructure_dap.table_sync` as the contract shows it. */
export const CREATE_SYNC_TABLE = `CREATE TABLE ${SYNC_TABLE} (
  "id" bigint GENERATED BY DEFAULT AS IDENTITY,
  "source_namespace" varchar(64) NOT NULL,
  "source_table" varchar(64) NOT NULL,
  "timestamp" timestamp NOT NULL,
  "schema_version" bigint NOT NULL,
  "target_schema" varchar(64),
  "target_table" varchar(64) NOT NULL,
  "schema_description_format" varchar(64) NOT NULL,
  "schema_description" text NOT NULL,
  CONSTRAINT "pk_table_sync" PRIMARY KEY ("id"))`;

/** The columns of a `table_sync` row as the engine reads them (`timestamp` as RFC 3339 text). */
const SYNC_COLUMNS = `source_namespace, source_table,
  to_char("timestamp", 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "timestamp", schema_version::text AS schema_version,
  target_schema, target_table, schema_description`;

/** Every `table_sync` row of a namespace ($1). */
export const SELECT_SYNC_ROWS =
  `SELECT ${SYNC_COLUMNS} FROM ${SYNC_TABLE} WHERE source_namespace = $1 ORDER BY source_table, id`;

/** The `table_sync` row of one table ($1, $2), locked for the session. */
export const SELECT_SYNC_ROW = `SELECT ${SYNC_COLUMNS} FROM ${SYNC_TABLE}
  WHERE source_namespace = $1 AND source_table = $2 ORDER BY id LIMIT 1 FOR UPDATE`;

/**
 * Updates a table's row, or inserts it when it has none: $1 namespace, $2
 * table, $3 timestamp (RFC 3339, stored naive UTC), $4 schema version, $5
 * schema description. target_schema = namespace, target_table = table.
 */
export const UPSERT_SYNC_ROW = `WITH updated AS (UPDATE ${SYNC_TABLE} SET
    "timestamp" = ($3::timestamptz AT TIME ZONE 'UTC'), schema_version = $4, target_schema = $1,
    target_table = $2, schema_description_format = 'json', schema_description = $5
    WHERE source_namespace = $1 AND source_table = $2 RETURNING 1)
  INSERT INTO ${SYNC_TABLE} (source_namespace, source_table, "timestamp", schema_version,
    target_schema, target_table, schema_description_format, schema_description)
  SELECT $1, $2, ($3::timestamptz AT TIME ZONE 'UTC'), $4, $1, $2, 'json', $5
  WHERE NOT EXISTS (SELECT 1 FROM updated)`;

/** Deletes a table's `table_sync` rows ($1, $2). */
export const DELETE_SYNC_ROW =
  `DELETE FROM ${SYNC_TABLE} WHERE source_namespace = $1 AND source_table = $2`;

/** The advisory lock key of one table ($1 = `<namespace>.<table>`), shared by every dap run. */
export const LOCK_TABLE_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('dap ' || $1, 0))";

/** The advisory lock that serializes creating schemas and the metadata tables. */
export const LOCK_DDL_SQL =
  "SELECT pg_advisory_xact_lock(hashtextextended('dap instructure_dap', 0))";

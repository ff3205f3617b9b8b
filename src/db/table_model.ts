/**
 * A DAP table as a database table, engine-neutral: the columns (the fields
 * of `key` and of `value`, under their bare names; `meta` dropped), their
 * types per the contract's type table, nullability (`required`), and the
 * primary key. Nested objects below the first level are one JSON column, as
 * the condensed TSV the loader asks for delivers them. Pure.
 */

/** A column's type, engine-neutral; each engine maps it to its own SQL type. */
export type DbType =
  | { kind: "int64" | "int32" | "int16" | "double" | "boolean" }
  | { kind: "text" | "timestamp" | "date" | "json" | "uuid" }
  | { kind: "varchar"; length: number }
  | { kind: "enum"; values: readonly string[] };

/** One column of a data table. */
export interface DbColumn {
  /** the bare field name: `key.id` -> `id`, `value.name` -> `name` */
  name: string;
  /** the section it comes from, and its dotted name in DAP's TSV header */
  source: "key" | "value";
  header: string;
  type: DbType;
  nullable: boolean;
}

/** A DAP table as a database table. */
export interface TableModel {
  namespace: string;
  table: string;
  /** key columns first, then value columns, in schema order */
  columns: readonly DbColumn[];
  /** names of the primary key columns */
  keys: readonly string[];
  /** the schema version the model was made from */
  version: number;
  /** the schema as served (stored in table_sync.schema_description) */
  schema: Record<string, unknown>;
}

/** The enum member DAP substitutes for values it does not know; every enum type has it. */
export const UNSPECIFIED = "__dap_unspecified__";

type Schema = Record<string, unknown>;

/** The engine-neutral type of one property's schema. */
export function dbType(schema: Schema): DbType {
  switch (schema.type) {
    case "integer":
      return {
        kind: schema.format === "int32" ? "int32" : schema.format === "int16" ? "int16" : "int64",
      };
    case "number":
      return { kind: "double" };
    case "boolean":
      return { kind: "boolean" };
    case "string":
      return stringType(schema);
  }
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants.every((v) => v?.type === "string")) {
    // the oversized-text placeholder (a const) beside the real text: the text's type
    const text = variants.find((v) => v.const === undefined);
    return text ? stringType(text) : { kind: "text" };
  }
  return { kind: "json" };
}

function stringType(schema: Schema): DbType {
  if (Array.isArray(schema.enum)) {
    const values = (schema.enum as unknown[]).map(String);
    return {
      kind: "enum",
      values: values.includes(UNSPECIFIED) ? values : [...values, UNSPECIFIED],
    };
  }
  if (schema.format === "date-time") return { kind: "timestamp" };
  if (schema.format === "date") return { kind: "date" };
  if (schema.format === "uuid") return { kind: "uuid" };
  if (typeof schema.maxLength === "number") return { kind: "varchar", length: schema.maxLength };
  return { kind: "text" };
}

function sectionColumns(section: Schema | undefined, source: "key" | "value"): DbColumn[] {
  const properties = (section?.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(section?.required) ? section.required as string[] : []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    source,
    header: `${source}.${name}`,
    type: dbType(property),
    nullable: source === "value" && !required.has(name),
  }));
}

/** The model of a table from its schema answer (`{schema, version}`). */
export function tableModel(
  namespace: string,
  table: string,
  answer: { schema: Record<string, unknown>; version: number },
): TableModel {
  const sections = (answer.schema.properties ?? {}) as Record<string, Schema>;
  const keyColumns = sectionColumns(sections.key, "key");
  if (keyColumns.length === 0) {
    throw new SyntaxError(`Cannot read the schema of ${namespace}.${table}: it has no key fields`);
  }
  const valueColumns = sectionColumns(sections.value, "value")
    .filter((c) => !keyColumns.some((k) => k.name === c.name));
  return {
    namespace,
    table,
    columns: [...keyColumns, ...valueColumns],
    keys: keyColumns.map((c) => c.name),
    version: answer.version,
    schema: answer.schema,
  };
}

/** What changed between two models of one table, for migrations. */
export interface ModelChanges {
  added: DbColumn[];
  removed: DbColumn[];
  /** enum columns whose new model has values the old one lacks */
  enumValues: { column: DbColumn; values: string[] }[];
}

/** Columns added and removed, and enum values added, from `before` to `after`. */
export function modelChanges(before: TableModel, after: TableModel): ModelChanges {
  const old = new Map(before.columns.map((c) => [c.name, c]));
  const added = after.columns.filter((c) => !old.has(c.name));
  const removed = before.columns.filter((c) => !after.columns.some((n) => n.name === c.name));
  const enumValues = after.columns.flatMap((column) => {
    const previous = old.get(column.name)?.type;
    if (column.type.kind !== "enum" || previous?.kind !== "enum") return [];
    const values = column.type.values.filter((v) => !previous.values.includes(v));
    return values.length > 0 ? [{ column, values }] : [];
  });
  return { added, removed, enumValues };
}

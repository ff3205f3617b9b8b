/**
 * Flattens a DAP table's JSON Schema into the columns of a merged file, as the
 * contract's CSV/TSV rules say: the schema decides, not the data. `meta` and
 * `key` are always expanded; in `value`, nested objects with fixed
 * properties become dotted columns (`expanded`) or one JSON column
 * (`condensed`); arrays and free-form values are always one JSON column.
 */

/** The kind of values a column holds. */
export type ColumnType =
  | "int64"
  | "int32"
  | "double"
  | "boolean"
  | "timestamp"
  | "date"
  | "string"
  | "json";

/** One output column. */
export interface FlatColumn {
  /** dotted name, e.g. `value.settings.course_format` */
  name: string;
  path: string[];
  type: ColumnType;
  /** required along its whole path (meta.ts and the key, in practice) */
  required: boolean;
}

/** CSV/TSV flattening mode. */
export type FlattenMode = "expanded" | "condensed";

type Schema = Record<string, unknown>;

/** The value type of one property's schema. */
export function columnType(schema: Schema): ColumnType {
  const type = schema.type;
  if (type === "integer") return schema.format === "int32" ? "int32" : "int64";
  if (type === "number") return "double";
  if (type === "boolean") return "boolean";
  if (type === "string") {
    if (schema.format === "date-time") return "timestamp";
    if (schema.format === "date") return "date";
    return "string";
  }
  // oneOf/anyOf of strings (e.g. the oversized-truncated placeholder) is a string
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants.every((v) => v?.type === "string")) return "string";
  return "json";
}

function hasFixedProperties(schema: Schema): boolean {
  return schema.type === "object" && !!schema.properties && typeof schema.properties === "object" &&
    Object.keys(schema.properties).length > 0;
}

function walk(
  prefix: string[],
  schema: Schema,
  expand: boolean,
  required: boolean,
  out: FlatColumn[],
): void {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const requiredNames = new Set(Array.isArray(schema.required) ? schema.required as string[] : []);
  for (const [name, property] of Object.entries(properties)) {
    const path = [...prefix, name];
    const isRequired = required && requiredNames.has(name);
    if (expand && hasFixedProperties(property)) walk(path, property, expand, isRequired, out);
    else out.push({ name: path.join("."), path, type: columnType(property), required: isRequired });
  }
}

/**
 * The flat columns of a table schema (`{"type": "object", "properties": {meta, key, value}}`).
 * Snapshot records carry no `meta.action` (only incrementals do): `withAction: false` leaves
 * that column out, as the service's own snapshot CSV/TSV do.
 */
export function flattenSchema(
  schema: Schema,
  mode: FlattenMode = "expanded",
  options: { withAction?: boolean } = {},
): FlatColumn[] {
  const sections = (schema.properties ?? {}) as Record<string, Schema>;
  const out: FlatColumn[] = [];
  // meta.ts and the key are always present; value columns can be absent (deletes), so never required.
  if (sections.meta) walk(["meta"], sections.meta, true, true, out);
  if (options.withAction === false) {
    out.splice(
      0,
      out.length,
      ...out.filter((c) => c.name !== "meta.action"),
    );
  }
  if (sections.key) walk(["key"], sections.key, true, true, out);
  if (sections.value) walk(["value"], sections.value, mode === "expanded", false, out);
  return out;
}

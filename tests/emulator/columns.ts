/**
 * A compact description of a DAP table's columns and its conversion to the
 * JSON Schema the Query API serves (contract §3.2). The emulator's catalogue
 * and data generator both work from these descriptions.
 */

/** The column kinds seen in DAP schemas. */
export type ColumnKind =
  | "int64"
  | "int32"
  | "number"
  | "boolean"
  | "string"
  | "date-time"
  | "date"
  | "uuid"
  | "ipv4"
  | "enum"
  | "truncatable"
  | "object"
  | "array"
  | "json";

/** One column (or nested property) of a table. */
export interface Column {
  name: string;
  kind: ColumnKind;
  required?: boolean;
  maxLength?: number;
  /** enum members, without `__dap_unspecified__` (always added) */
  values?: string[];
  /** fixed properties of an `object` column */
  properties?: Column[];
}

/** A table: its key columns and value columns. */
export interface TableSpec {
  key: Column[];
  value: Column[];
}

/** The enum member DAP substitutes for values it does not know. */
export const UNSPECIFIED = "__dap_unspecified__";
/** The text DAP substitutes for values that are too long. */
export const TRUNCATED = "__dap_oversized_truncated__";

type JsonSchema = Record<string, unknown>;

/** Builds the JSON Schema of one column. */
export function columnSchema(column: Column): JsonSchema {
  switch (column.kind) {
    case "int64":
    case "int32":
      return { type: "integer", format: column.kind };
    case "number":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "string":
      return column.maxLength
        ? { type: "string", maxLength: column.maxLength }
        : { type: "string" };
    case "date-time":
    case "date":
    case "uuid":
    case "ipv4":
      return { type: "string", format: column.kind };
    case "enum":
      return { type: "string", enum: [...(column.values ?? []), UNSPECIFIED] };
    case "truncatable":
      return { oneOf: [{ type: "string", const: TRUNCATED }, { type: "string" }] };
    case "object":
      return objectSchema(column.properties ?? []);
    case "array":
      return { type: "array", items: { type: "string" } };
    case "json":
      return { type: "object" };
  }
}

function objectSchema(columns: Column[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const column of columns) properties[column.name] = columnSchema(column);
  const required = columns.filter((c) => c.required).map((c) => c.name);
  return {
    type: "object",
    properties,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
  };
}

/** The meta section every DAP record carries. */
export const META_COLUMNS: Column[] = [
  { name: "ts", kind: "date-time", required: true },
  { name: "action", kind: "enum", values: ["U", "D"] },
];

/** Builds the whole-record JSON Schema of a table, as endpoint 2 serves it. */
export function tableSchema(spec: TableSpec): JsonSchema {
  const meta = objectSchema(META_COLUMNS);
  // `action` is U or D only: no __dap_unspecified__ member in meta.
  (meta.properties as Record<string, JsonSchema>).action = { type: "string", enum: ["U", "D"] };
  return {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      meta,
      key: objectSchema(spec.key.map((c) => ({ ...c, required: true }))),
      value: objectSchema(spec.value),
    },
    additionalProperties: false,
    required: ["key"],
  };
}

/** Reading `table_sync` rows and driver messages, the same way in every engine. */
import type { SyncRow } from "./engine.ts";

/** A `table_sync` row as the seam describes it; `timestamp` reads the engine's own spelling. */
export function syncRowFrom(
  row: Record<string, unknown>,
  timestamp: (raw: string) => string = (raw) => raw,
): SyncRow {
  return {
    namespace: String(row.source_namespace),
    table: String(row.source_table),
    timestamp: timestamp(String(row.timestamp)),
    schemaVersion: Number(row.schema_version),
    schemaDescription: String(row.schema_description),
    targetSchema: row.target_schema === null ? null : String(row.target_schema),
    targetTable: String(row.target_table),
  };
}

/** A driver message made safe for one line: no password (plain or URL-encoded), no line breaks, bounded. */
export function sanitize(text: string, secrets: readonly string[], maxChars = 500): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === "") continue;
    out = out.replaceAll(secret, "***").replaceAll(encodeURIComponent(secret), "***");
  }
  // deno-lint-ignore no-control-regex
  out = out.replace(/[\x00-\x1f\x7f]+/g, " ").replace(/\s+/g, " ").trim();
  return out.length > maxChars ? `${out.slice(0, maxChars)}...` : out;
}

/** Saves a table schema as the official client does: `<dir>/<table>_schema_version_<N>.json`. */
import { join } from "node:path";
import { safeFileName } from "../safe_file_name.ts";

/** Writes the JSON schema (indented by 4) atomically; returns its path. */
export async function writeSchemaFile(
  directory: string,
  table: string,
  answer: { schema: Record<string, unknown>; version: number },
): Promise<string> {
  const path = join(
    directory,
    safeFileName(`${table}_schema_version_${answer.version}.json`, "schema.json"),
  );
  await Deno.writeTextFile(`${path}.partial`, JSON.stringify(answer.schema, null, 4) + "\n");
  await Deno.rename(`${path}.partial`, path);
  return path;
}

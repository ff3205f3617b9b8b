/** Saves a table schema as the official client does: `<dir>/<table>_schema_version_<N>.json`. */
import { join } from "node:path";
import { safeFileName } from "../safe_file_name.ts";
import { writeAtomically } from "./write_atomically.ts";

/** Writes the whole answer, `{"schema": ..., "version": N}` indented by 4, atomically; returns its path. */
export async function writeSchemaFile(
  directory: string,
  table: string,
  answer: { schema: Record<string, unknown>; version: number },
): Promise<string> {
  const path = join(
    directory,
    safeFileName(`${table}_schema_version_${answer.version}.json`, "schema.json"),
  );
  const whole = { schema: answer.schema, version: answer.version };
  await writeAtomically(path, JSON.stringify(whole, null, 4) + "\n");
  return path;
}

/** `dap schema`'s work: each table's whole schema answer, saved as the official client names it. */
import { EXIT } from "../../errors.ts";
import { checkOutputDirectory } from "../../output/output_directory.ts";
import { writeSchemaFile } from "../../output/write_schema_file.ts";
import type { CliDeps } from "../cli_deps.ts";
import { openSession } from "../open_session.ts";
import { type GlobalFlags, parseTables } from "../resolve_config.ts";

/** The flags of `schema`. */
export interface SchemaFlags extends GlobalFlags {
  namespace: string;
  table: string;
  outputDirectory: string;
}

/** Saves the schemas; resolves with the exit code. */
export async function saveSchemas(flags: SchemaFlags, deps: CliDeps): Promise<number> {
  const tables = parseTables(flags.table);
  const { client, tell } = openSession(flags, deps);
  await checkOutputDirectory(flags.outputDirectory);
  const names = tables === "all" ? await client.listTables(flags.namespace) : tables;
  for (const table of names) {
    const answer = await client.getSchema(flags.namespace, table);
    const path = await writeSchemaFile(flags.outputDirectory, table, answer);
    const line = `${flags.namespace}.${table}: schema version ${answer.version} -> ${path}`;
    tell(line, "info", { namespace: flags.namespace, table, version: answer.version, file: path });
  }
  return EXIT.OK;
}

/** `dap schema`: saves the JSON schema of one or more tables, as the official client names them. */
import { mandatory } from "../mandatory_option.ts";
import { EXIT } from "../../errors.ts";
import { checkOutputDirectory } from "../../output/output_directory.ts";
import { writeSchemaFile } from "../../output/write_schema_file.ts";
import type { DapProgram } from "../build_program.ts";
import { examples } from "./examples.ts";
import type { CliDeps } from "../cli_deps.ts";
import type { CommandRunner } from "../command_runner.ts";
import { openSession } from "../open_session.ts";
import { type GlobalFlags, parseTables } from "../resolve_config.ts";

/** Adds `schema` to the program. */
export function registerSchema(program: DapProgram, run: CommandRunner): void {
  program.command("schema")
    .description("Save the JSON schema of one or more tables")
    .addHelpText(
      "after",
      examples(
        "schema --namespace canvas --table courses",
        "schema --namespace canvas --table all --output-directory schemas",
      ),
    )
    .addOption(mandatory("--namespace <namespace>", "data namespace"))
    .addOption(mandatory("--table <table>", "table name, comma-separated list, or 'all'"))
    .option("--output-directory <dir>", "where to save the schema files", "downloads")
    .action(async (_flags, command) => {
      await run(saveSchemas, command.optsWithGlobals());
    });
}

interface SchemaFlags extends GlobalFlags {
  namespace: string;
  table: string;
  outputDirectory: string;
}

async function saveSchemas(flags: SchemaFlags, deps: CliDeps): Promise<number> {
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

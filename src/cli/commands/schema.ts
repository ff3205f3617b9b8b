/** `dap schema`: saves the JSON schema of one or more tables, as the official client names them. */
import { defineCommand } from "../dap_command.ts";
import { TARGET_OPTIONS } from "./export_options.ts";

/** The `schema` command. */
export const SCHEMA = defineCommand({
  name: "schema",
  description: "Save the JSON schema of one or more tables",
  options: {
    namespace: { ...TARGET_OPTIONS.namespace, description: "data namespace" },
    table: TARGET_OPTIONS.table,
    outputDirectory: {
      flags: "--output-directory <dir>",
      description: "where to save the schema files",
      default: "downloads",
    },
  },
  examples: [
    "schema --namespace canvas --table courses",
    "schema --namespace canvas --table all --output-directory schemas",
  ],
  run: async ({ flags }, deps) => (await import("./save_schemas.ts")).saveSchemas(flags, deps),
});

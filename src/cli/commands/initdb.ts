/** `dap initdb`: creates tables in a database and loads a snapshot into each. */
import { defineCommand } from "../dap_command.ts";
import { DATABASE_OPTIONS } from "./database_options.ts";

/** The `initdb` command. */
export const INITDB = defineCommand({
  name: "initdb",
  description: "Create tables in a database and load a full snapshot",
  options: DATABASE_OPTIONS,
  examples: [
    "initdb --namespace canvas --table courses --connection-string sqlite:///canvas.db",
    "initdb --namespace canvas --table courses,users --connection-string postgresql://dap:secret@localhost/canvas",
  ],
  run: async ({ flags }, deps) =>
    (await import("./run_database_export.ts")).runDatabaseExport(flags, deps, "initdb"),
});

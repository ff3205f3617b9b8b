/** `dap syncdb`: brings tables initialised by initdb (dap's or the official client's) up to date. */
import { defineCommand } from "../dap_command.ts";
import { DATABASE_OPTIONS } from "./database_options.ts";

/** The `syncdb` command. */
export const SYNCDB = defineCommand({
  name: "syncdb",
  description: "Apply the changes since the last sync to database tables",
  options: {
    ...DATABASE_OPTIONS,
    reinit: {
      flags: "--reinit",
      description:
        "when the API no longer keeps the changes since the last sync, rebuild the table from a new snapshot",
    },
  },
  examples: [
    "syncdb --namespace canvas --table all --connection-string sqlite:///canvas.db",
    "syncdb --namespace canvas --table courses --reinit  # rebuild when the changes are gone",
  ],
  run: async ({ flags }, deps) =>
    (await import("./run_database_export.ts")).runDatabaseExport(flags, deps, "syncdb"),
});

/** `dap dropdb`: removes tables, their enum types and their sync rows from a database. */
import { defineCommand } from "../dap_command.ts";

/** The `dropdb` command. */
export const DROPDB = defineCommand({
  name: "dropdb",
  description: "Drop tables kept by initdb/syncdb, with their enum types and sync rows",
  options: {
    namespace: { flags: "--namespace <namespace>", description: "data namespace", required: true },
    table: {
      flags: "--table <table>",
      description: "table name, comma-separated list, or 'all' (the tables the database holds)",
      required: true,
    },
    connectionString: {
      flags: "--connection-string <url>",
      description: "the database (env DAP_CONNECTION_STRING)",
    },
  },
  examples: [
    "dropdb --namespace canvas --table courses --connection-string sqlite:///canvas.db",
  ],
  run: async ({ flags }, deps) => (await import("./drop_tables.ts")).dropTables(flags, deps),
});

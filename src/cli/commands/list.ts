/** `dap list`: the tables of a namespace, one per line on stdout. */
import { defineCommand } from "../dap_command.ts";

/** The `list` command. */
export const LIST = defineCommand({
  name: "list",
  description: "List the tables of a namespace, one per line on stdout",
  options: {
    namespace: { flags: "--namespace <namespace>", description: "data namespace", required: true },
  },
  examples: ["list --namespace canvas", "list --namespace canvas_logs"],
  run: async ({ flags }, deps) => (await import("./list_tables.ts")).listTables(flags, deps),
});

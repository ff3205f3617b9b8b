/** `dap snapshot`: a full copy of one or more tables. */
import { defineCommand } from "../dap_command.ts";
import { EXPORT_OPTIONS } from "./export_options.ts";

/** The `snapshot` command. */
export const SNAPSHOT = defineCommand({
  name: "snapshot",
  description: "Download a full copy of one or more tables",
  options: EXPORT_OPTIONS,
  examples: [
    "snapshot --namespace canvas --table courses",
    "snapshot --namespace canvas --table courses,users --format csv --merge",
    "snapshot --namespace canvas_logs --table all --output-directory /data/dap",
  ],
  run: async ({ flags }, deps) => (await import("./run_export.ts")).runExport(flags, deps),
});

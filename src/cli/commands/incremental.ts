/** `dap incremental`: the changes of one or more tables since a timestamp, a manifest, or the latest run. */
import { defineCommand } from "../dap_command.ts";
import { EXPORT_OPTIONS } from "./export_options.ts";

/** The `incremental` command. */
export const INCREMENTAL = defineCommand({
  name: "incremental",
  description: "Download the changes of one or more tables since a point in time",
  options: {
    ...EXPORT_OPTIONS,
    since: {
      flags: "--since <when>",
      description:
        "RFC 3339 timestamp, a manifest file, or 'latest' (the newest manifest of each table in the output directory)",
      required: true,
    },
    until: {
      flags: "--until <when>",
      description: "RFC 3339 timestamp (default: the newest change)",
    },
  },
  examples: [
    "incremental --namespace canvas --table courses --since 2026-11-19T08:00:00Z",
    "incremental --namespace canvas --table courses --since latest",
    "incremental --namespace canvas --table all --since downloads/job_1234/.dap-manifest.json",
  ],
  run: async ({ flags }, deps) =>
    (await import("./run_incremental.ts")).runIncremental(flags, deps),
});

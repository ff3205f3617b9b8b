/** The flags `initdb`, `syncdb` and `dropdb` share, declared once. */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import { mandatory } from "../mandatory_option.ts";
import { DEFAULT_CONCURRENCY } from "./export_options.ts";

/** Adds the database flags to a command (its type carries every flag, as commander infers it). */
// deno-lint-ignore explicit-module-boundary-types ban-types -- `{}` is commander's "no options yet"
export function withDatabaseOptions<G extends OptionValues>(command: Command<[], {}, G>) {
  return command
    .addOption(
      mandatory("--namespace <namespace>", "data namespace: canvas, canvas_logs, catalog, ..."),
    )
    .addOption(mandatory("--table <table>", "table name, comma-separated list, or 'all'"))
    .option(
      "--connection-string <url>",
      "postgresql://user:pass@host:port/db, mysql://..., or sqlite:///path/file.db (env DAP_CONNECTION_STRING)",
    )
    .option(
      "--concurrency <n>",
      "objects downloaded at once, across all tables",
      String(DEFAULT_CONCURRENCY),
    )
    .option(
      "--rate-limits <limits>",
      "override API rate limits, e.g. query=5/60s,job=500/60s,urls=200/60s",
    )
    .option(
      "--job-timeout <seconds>",
      "give up on a job still running after this long (env DAP_JOB_TIMEOUT; default: wait as long as it runs)",
    )
    .option("--json", "print a machine-readable run summary on stdout");
}

/** The database flags as parsed. */
export type DatabaseFlags = ReturnType<ReturnType<typeof withDatabaseOptions>["opts"]>;

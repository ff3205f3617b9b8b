/** The flags `initdb`, `syncdb` and `dropdb` share, declared once. */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import { mandatory } from "../mandatory_option.ts";
import { withRunOptions } from "./run_options.ts";

/** Adds the database flags to a command (its type carries every flag, as commander infers it). */
// deno-lint-ignore explicit-module-boundary-types ban-types -- `{}` is commander's "no options yet"
export function withDatabaseOptions<G extends OptionValues>(command: Command<[], {}, G>) {
  return withRunOptions(
    command
      .addOption(
        mandatory("--namespace <namespace>", "data namespace: canvas, canvas_logs, catalog, ..."),
      )
      .addOption(mandatory("--table <table>", "table name, comma-separated list, or 'all'"))
      .option(
        "--connection-string <url>",
        "postgresql://user:pass@host:port/db, mysql://..., or sqlite:///path/file.db (env DAP_CONNECTION_STRING)",
      ),
  );
}

/** The database flags as parsed. */
export type DatabaseFlags = ReturnType<ReturnType<typeof withDatabaseOptions>["opts"]>;

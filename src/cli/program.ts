/**
 * The `dap` command tree, declared once: the global flags and one command
 * per file in `commands/`. Parsing and help are `command_tree/`'s; what each
 * command does is its own `run`.
 */
import { VERSION } from "../version.ts";
import type { ProgramShape } from "./command_tree/program_shape.ts";
import { COMPLETIONS } from "./commands/completions.ts";
import { DROPDB } from "./commands/dropdb.ts";
import { INCREMENTAL } from "./commands/incremental.ts";
import { INITDB } from "./commands/initdb.ts";
import { LIST } from "./commands/list.ts";
import { SCHEMA } from "./commands/schema.ts";
import { SNAPSHOT } from "./commands/snapshot.ts";
import { SYNCDB } from "./commands/syncdb.ts";
import type { DapCommand } from "./dap_command.ts";
import { GLOBAL_OPTIONS } from "./global_options.ts";

/** The `dap` program. */
export const DAP_PROGRAM: ProgramShape<DapCommand> = {
  name: "dap",
  description: "Fast, dependable client for the Instructure Data Access Platform (Canvas Data 2)",
  version: VERSION,
  options: GLOBAL_OPTIONS,
  globalsTitle: "Global options (before or after the command)",
  commands: [SNAPSHOT, INCREMENTAL, LIST, SCHEMA, INITDB, SYNCDB, DROPDB, COMPLETIONS],
  examples: [
    "snapshot --namespace canvas --table courses",
    "incremental --namespace canvas --table courses --since latest",
    "initdb --namespace canvas --table courses --connection-string sqlite:///canvas.db",
    "syncdb --namespace canvas --table all --connection-string sqlite:///canvas.db",
  ],
  epilogue: `Credentials come from --client-id/--client-secret or DAP_CLIENT_ID/DAP_CLIENT_SECRET.
Exit codes: 0 ok, 1 bug, 2 usage, 3 auth, 4 API, 5 some files missing, 6 database, 130 interrupted.`,
};

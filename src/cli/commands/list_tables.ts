/** `dap list`'s work: the tables of a namespace, one inert name per line on stdout. */
import { EXIT } from "../../errors.ts";
import { printable } from "../../printable.ts";
import type { CliDeps } from "../cli_deps.ts";
import { openSession } from "../open_session.ts";
import type { GlobalFlags } from "../resolve_config.ts";

/** Lists the tables; a name from the server cannot forge lines or escapes. */
export async function listTables(
  flags: GlobalFlags & { namespace: string },
  deps: CliDeps,
): Promise<number> {
  const { client } = openSession(flags, deps);
  const tables = await client.listTables(flags.namespace);
  deps.stdout(tables.map((t) => `${printable(t)}\n`).join(""));
  return EXIT.OK;
}

/** Connects to the database a command names, with one-line errors that never carry the password. */
import { type Connection, parseConnectionString } from "../../db/connection_string.ts";
import type { Engine } from "../../db/engine.ts";
import { openEngine } from "../../db/open_engine.ts";
import { UsageError } from "../../errors.ts";
import type { Runtime } from "../../runtime.ts";
import type { CliDeps } from "../cli_deps.ts";

/** Reads `--connection-string` over `DAP_CONNECTION_STRING`; its password joins the secrets. */
export function resolveConnection(flag: string | undefined, deps: CliDeps): Connection {
  const text = flag || deps.env.DAP_CONNECTION_STRING;
  if (!text) {
    throw new UsageError(
      "Cannot connect to a database: no connection string; pass --connection-string or set DAP_CONNECTION_STRING (e.g. sqlite:///dap.db)",
    );
  }
  const connection = parseConnectionString(text);
  if (connection.password) deps.secrets?.add(connection.password);
  return connection;
}

/** Opens the engine and prepares its metadata tables. */
export async function openDatabase(connection: Connection, runtime: Runtime): Promise<Engine> {
  const engine = await openEngine(connection, { log: runtime.log, signal: runtime.signal });
  try {
    await engine.prepare();
  } catch (error) {
    await engine.close().catch(() => {});
    throw error;
  }
  return engine;
}

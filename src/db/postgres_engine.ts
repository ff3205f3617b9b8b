/** Placeholder until the Postgres engine lands. */
import { UsageError } from "../errors.ts";
import type { Connection } from "./connection_string.ts";
import type { Engine, EngineOptions } from "./engine.ts";

/** Not available yet. */
export function createPostgresEngine(
  connection: Connection,
  _options: EngineOptions,
): Promise<Engine> {
  return Promise.reject(new UsageError(`Cannot use ${connection.display}: not available yet`));
}

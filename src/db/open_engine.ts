/**
 * The registry of database engines: a connection string's scheme picks one.
 * Drivers load only when their engine is used, so a run that never touches
 * a database never loads them. Adding an engine is one file plus its line.
 */
import type { Connection, EngineName } from "./connection_string.ts";
import type { Engine, EngineOptions } from "./engine.ts";

const ENGINES: Record<EngineName, (c: Connection, o: EngineOptions) => Promise<Engine>> = {
  sqlite: async (c, o) => (await import("./sqlite_engine.ts")).createSqliteEngine(c, o),
  postgresql: async (c, o) => (await import("./postgres_engine.ts")).createPostgresEngine(c, o),
  mysql: async (c, o) => (await import("./mysql_engine.ts")).createMysqlEngine(c, o),
};

/** Connects to the database a connection string names. */
export function openEngine(connection: Connection, options: EngineOptions): Promise<Engine> {
  return ENGINES[connection.engine](connection, options);
}

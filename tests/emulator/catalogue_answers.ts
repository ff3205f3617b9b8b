/** The catalogue endpoints: a namespace's table list and a table's schema. */
import { findTable, listTables, schemaVersion } from "./catalogue.ts";
import { tableSchema } from "./columns.ts";
import type { SharedState } from "./shared_state.ts";

/** Answers `GET .../table` and `GET .../table/{table}/schema`. */
export class CatalogueAnswers {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  /** `{"tables": [...]}`, or 404 for an unknown namespace. */
  tables(namespace: string): Response {
    const tables = listTables(namespace);
    const { respond } = this.#state;
    return tables ? respond.json(200, { tables }) : respond.notFound("namespace", namespace);
  }

  /** `{"schema": ..., "version": ...}`, or 404 for an unknown namespace or table. */
  schema(namespace: string, table: string): Response {
    const { respond } = this.#state;
    if (!listTables(namespace)) return respond.notFound("namespace", namespace);
    const spec = findTable(namespace, table);
    if (!spec) return respond.notFound("table", table);
    return respond.json(200, {
      schema: tableSchema(spec),
      version: schemaVersion(namespace, table),
    });
  }
}

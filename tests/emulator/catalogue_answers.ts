/** The catalogue endpoints: a namespace's table list and a table's schema. */
import { listTables } from "./catalogue.ts";
import { tableSchema } from "./columns.ts";
import type { SharedState } from "./shared_state.ts";
import { tableAt } from "./table_at.ts";

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

  /** `{"schema": ..., "version": ...}` as of `dataAt`, or 404 for an unknown namespace or table. */
  schema(namespace: string, table: string): Response {
    const { options, respond } = this.#state;
    if (!listTables(namespace)) return respond.notFound("namespace", namespace);
    const served = tableAt(namespace, table, options.dataAt, options.schemaBumpAt);
    if (!served) return respond.notFound("table", table);
    return respond.json(200, { schema: tableSchema(served.spec), version: served.version });
  }
}

/** After a run: for tables the server does not know, suggest the closest names it does know. */
import type { ApiClient } from "../../api/api_client.ts";
import { ApiError } from "../../errors.ts";
import { printable } from "../../printable.ts";
import type { TableResult } from "../../export/table_result.ts";
import { closestNames } from "../closest_names.ts";

/** One hint line per unknown table with close names; none when the list cannot be had. */
export async function suggestTables(
  client: Pick<ApiClient, "listTables">,
  namespace: string,
  results: readonly TableResult[],
): Promise<string[]> {
  const unknown = results.filter((r) =>
    !r.ok && r.jobId === undefined && r.error instanceof ApiError && r.error.status === 404
  );
  if (unknown.length === 0) return [];
  const known = await client.listTables(namespace).catch(() => undefined);
  if (!known) return [];
  return unknown.flatMap((result) => {
    const close = closestNames(result.table, known);
    if (close.length === 0) return [];
    return [
      `${namespace}.${result.table}: did you mean ${
        close.map((name) => printable(name)).join(", ")
      }? — dap list --namespace ${namespace} shows all`,
    ];
  });
}

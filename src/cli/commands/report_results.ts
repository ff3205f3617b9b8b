/** The end of a run for people: one summary line per table, hints, and the `--json` document. */
import type { TableResult } from "../../export/table_result.ts";
import {
  runExitCode,
  runSummaryJson,
  summaryFields,
  summaryLine,
} from "../../report/run_summary.ts";
import type { CliDeps } from "../cli_deps.ts";
import type { Session } from "../open_session.ts";
import { suggestTables } from "./suggest_tables.ts";

/** Reports the results and returns the run's exit code. */
export async function reportResults(
  results: readonly TableResult[],
  session: Session,
  options: { namespace: string; json?: boolean },
  deps: CliDeps,
): Promise<number> {
  for (const result of results) {
    session.tell(summaryLine(result), result.ok ? "info" : "error", summaryFields(result));
  }
  for (const hint of await suggestTables(session.client, options.namespace, results)) {
    session.tell(`hint: ${hint}`, "warning");
  }
  if (options.json) deps.stdout(session.logger.redact(runSummaryJson(results)));
  session.logger.debug(
    `API calls: ${JSON.stringify(Object.fromEntries(session.client.calls))}`,
  );
  return runExitCode(results);
}

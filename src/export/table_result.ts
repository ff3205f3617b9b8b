/** The outcome of one table in a run: a value, never fields riding on an error. */

/** What became of one table. */
export interface TableResult {
  namespace: string;
  table: string;
  ok: boolean;
  jobId?: string;
  /** where the output (or, after a failure, the downloaded parts) is */
  directory?: string;
  manifest?: string;
  files: number;
  /** files already complete from an earlier run */
  reusedFiles: number;
  bytes: number;
  ms: number;
  /** why the table failed */
  error?: unknown;
  /** merged files and databases: rows written */
  rows?: number;
  /** merged files: the file */
  mergedPath?: string;
}

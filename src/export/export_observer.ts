/** What the export pipeline reports as it goes; `report/ProgressBoard` is one implementation. */

/** Where a table is in its run. */
export type TableStage =
  | "queued"
  | "starting"
  | "waiting"
  | "running"
  | "downloading"
  | "merging"
  | "done"
  | "failed";

/** Receives progress for people. */
export interface ExportObserver {
  update(
    table: string,
    patch: { state?: TableStage; filesDone?: number; filesTotal?: number },
  ): void;
  addBytes(table: string, bytes: number): void;
}

/** An observer that ignores everything. */
export const NO_OBSERVER: ExportObserver = { update() {}, addBytes() {} };

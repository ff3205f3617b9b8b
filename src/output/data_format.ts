/** The four DAP data formats, as the API names them and as merged files are written. */

/** Every data format. */
export const FORMATS = ["jsonl", "csv", "tsv", "parquet"] as const;
/** One data format. */
export type DataFormat = typeof FORMATS[number];

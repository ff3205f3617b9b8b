/** The flags `snapshot` and `incremental` share, declared once. */
import type { FlagsOf } from "../command_tree/option_spec.ts";
import { RUN_OPTIONS } from "./run_options.ts";

/** Default Parquet codec for merged files (see README, "Merged output"). */
export const DEFAULT_CODEC = "zstd";

/** The namespace and tables, which most commands take. */
export const TARGET_OPTIONS = {
  namespace: {
    flags: "--namespace <namespace>",
    description: "data namespace: canvas, canvas_logs, catalog, ...",
    required: true,
  },
  table: {
    flags: "--table <table>",
    description: "table name, comma-separated list, or 'all'",
    required: true,
  },
} as const;

/** The export flags. */
export const EXPORT_OPTIONS = {
  ...TARGET_OPTIONS,
  format: {
    flags: "--format <format>",
    description: "CSV, JSONL, Parquet or TSV (any case)",
    default: "jsonl",
  },
  outputDirectory: {
    flags: "--output-directory <dir>",
    description: "where to save the files",
    default: "downloads",
  },
  ...RUN_OPTIONS,
  merge: {
    flags: "--merge",
    description:
      "write one file per table, <output-directory>/<namespace>/<table>.<ext>, in --format",
  },
  mode: {
    flags: "--mode <mode>",
    description:
      "with --merge, CSV/TSV nested objects: expanded (dotted columns) or condensed (JSON)",
    default: "expanded",
  },
  codec: {
    flags: "--codec <codec>",
    description: "with --merge --format parquet: zstd, snappy, gzip or none",
    default: DEFAULT_CODEC,
  },
} as const;

/** The export flags as parsed. */
export type ExportFlags = FlagsOf<typeof EXPORT_OPTIONS>;

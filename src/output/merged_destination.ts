/**
 * Merged files: one file per table, `<output>/<namespace>/<table>.<ext>`, in
 * any format, made from parts (JSONL, CSV or TSV) kept out of sight in
 * `<output>/<namespace>/.parts/<table>/job_<id>/` while they are merged and
 * removed once the merged file and its manifest are final.
 */
import { join } from "node:path";
import { safeFileName } from "../safe_file_name.ts";
import type { DataFormat } from "./data_format.ts";
import type { Destination, TableJob, TableTarget, TableWriter } from "./destination.ts";
import { type FlattenMode, flattenSchema } from "./flatten_schema.ts";
import { MergedFile } from "./merge_parts.ts";
import { PART_FORMATS } from "./merged_format.ts";
import { makeDirectory } from "./output_directory.ts";
import type { Codec } from "./parquet_sink.ts";
import { type Manifest, MANIFEST_NAME, writeManifest } from "./write_manifest.ts";

/** Settings of the merged destination. */
export interface MergedConfig {
  kind: "merged";
  format: DataFormat;
  mode: FlattenMode;
  codec: Codec;
  outputDirectory: string;
}

/**
 * Merges each table's parts into one file. It asks the API for the parts
 * that cost least to merge (`PART_FORMATS`): CSV and TSV as they will be
 * written, TSV for Parquet, JSONL for JSONL; in the merged file's mode.
 */
export function mergedDestination(config: MergedConfig): Destination {
  const format = PART_FORMATS[config.format];
  return {
    query: format === "jsonl" ? { format } : { format, mode: config.mode },
    open: (target) => openMerged(config, target),
  };
}

/** `20261119T080000Z` (or with milliseconds): a timestamp that is a safe file-name part everywhere. */
export function compactTimestamp(iso: string): string {
  return iso.replace(/[-:]/g, "").replace(/\.000Z$/, "Z");
}

/**
 * The stem of a table's merged file: `<table>` for a snapshot, and
 * `<table>.incremental.<since>-<until>` for changes, which never replace
 * the snapshot's file (applying changes to a table is what syncdb is for).
 */
export function mergedStem(table: string, job: TableJob): string {
  const name = safeFileName(table, "table");
  if (job.since === undefined) return name;
  const range = `${compactTimestamp(job.since)}-${compactTimestamp(job.until ?? "")}`;
  return safeFileName(`${name}.incremental.${range}`, name);
}

/** Where a merged table's files go. */
function mergedPaths(config: MergedConfig, target: TableTarget) {
  const namespaceDirectory = join(
    config.outputDirectory,
    safeFileName(target.namespace, "namespace"),
  );
  const table = safeFileName(target.table, "table");
  const partsRoot = join(namespaceDirectory, ".parts");
  const stem = mergedStem(target.table, target.job);
  return {
    namespaceDirectory,
    partsRoot,
    tableParts: join(partsRoot, table),
    partsDirectory: join(partsRoot, table, `job_${safeFileName(target.job.id, "unnamed")}`),
    fileName: `${stem}.${config.format}`,
    manifestName: `.${stem}${MANIFEST_NAME}`,
  };
}

async function openMerged(config: MergedConfig, target: TableTarget): Promise<TableWriter> {
  const paths = mergedPaths(config, target);
  const path = join(paths.namespaceDirectory, paths.fileName);
  await makeDirectory(paths.partsDirectory);
  let file: MergedFile | undefined;
  const open = async () => {
    const withAction = target.job.since !== undefined;
    const columns = flattenSchema((await target.schema()).schema, config.mode, { withAction });
    target.log.info(
      `${target.namespace}.${target.table}: merging ${target.job.objects.length} part(s) into ${path}`,
    );
    return await MergedFile.open(path, {
      ...config,
      columns,
      partFormat: PART_FORMATS[config.format],
      signal: target.signal,
    });
  };
  return {
    partsDirectory: paths.partsDirectory,
    async write(part) {
      await (file ??= await open()).add(part.path);
    },
    async commit(manifest: Manifest) {
      const merged = await (file ??= await open()).commit();
      const { files: _parts, ...described } = manifest;
      const manifestPath = await writeManifest(paths.namespaceDirectory, {
        ...described,
        format: config.format,
        merged: {
          file: paths.fileName,
          rows: merged.rows,
          size: merged.size,
          mode: config.mode,
          codec: config.codec,
        },
      }, paths.manifestName);
      await Deno.remove(paths.partsDirectory, { recursive: true });
      await Deno.remove(paths.tableParts).catch(() => {});
      await Deno.remove(paths.partsRoot).catch(() => {});
      return {
        directory: paths.namespaceDirectory,
        manifest: manifestPath,
        files: 1,
        bytes: merged.size,
        rows: merged.rows,
        path: merged.path,
      };
    },
    abort: async () => await file?.abort(),
  };
}

/**
 * Merged files: one file per table, `<output>/<namespace>/<table>.<ext>`, in
 * any format, made from JSONL parts kept out of sight in
 * `<output>/<namespace>/.parts/<table>/job_<id>/` while they are merged and
 * removed once the merged file and its manifest are final.
 */
import { join } from "node:path";
import { safeFileName } from "../safe_file_name.ts";
import type { DataFormat } from "./data_format.ts";
import type { Destination, TableTarget, TableWriter } from "./destination.ts";
import { type FlattenMode, flattenSchema } from "./flatten_schema.ts";
import { MergedFile } from "./merge_parts.ts";
import { makeDirectory } from "./output_directory.ts";
import type { Codec } from "./parquet_sink.ts";
import { type Manifest, writeManifest } from "./write_manifest.ts";

/** Settings of the merged destination. */
export interface MergedConfig {
  kind: "merged";
  format: DataFormat;
  mode: FlattenMode;
  codec: Codec;
  outputDirectory: string;
}

/** Merges each table's parts into one file; asks the API for JSONL, lossless and fully structured. */
export function mergedDestination(config: MergedConfig): Destination {
  return {
    query: { format: "jsonl" },
    open: (target) => openMerged(config, target),
  };
}

async function openMerged(config: MergedConfig, target: TableTarget): Promise<TableWriter> {
  const table = safeFileName(target.table, "table");
  const namespaceDirectory = join(
    config.outputDirectory,
    safeFileName(target.namespace, "namespace"),
  );
  const partsRoot = join(namespaceDirectory, ".parts");
  const partsDirectory = join(partsRoot, table, `job_${safeFileName(target.job.id, "unnamed")}`);
  const path = join(namespaceDirectory, `${table}.${config.format}`);
  await makeDirectory(partsDirectory);
  let file: MergedFile | undefined;
  const open = async () => {
    const columns = flattenSchema((await target.schema()).schema, config.mode);
    target.log.info(
      `${target.namespace}.${target.table}: merging ${target.job.objects.length} part(s) into ${path}`,
    );
    return await MergedFile.open(path, { ...config, columns, signal: target.signal });
  };
  return {
    partsDirectory,
    async write(part) {
      await (file ??= await open()).add(part.path);
    },
    async commit(manifest: Manifest) {
      const merged = await (file ??= await open()).commit();
      const manifestPath = await writeManifest(namespaceDirectory, {
        ...manifest,
        format: config.format,
        merged: {
          file: merged.path,
          rows: merged.rows,
          size: merged.size,
          mode: config.mode,
          codec: config.codec,
        },
      }, `.${table}.dap-manifest.json`);
      await Deno.remove(partsDirectory, { recursive: true });
      await Deno.remove(join(partsRoot, table)).catch(() => {});
      await Deno.remove(partsRoot).catch(() => {});
      return {
        directory: namespaceDirectory,
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

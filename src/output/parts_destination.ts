/**
 * Parts as served: the objects stay as the server sent them (still gzipped)
 * in `<output>/job_<id>/`, with the job's manifest written last beside them,
 * as the official client lays them out.
 */
import { join } from "node:path";
import { safeFileName } from "../safe_file_name.ts";
import type { DataFormat } from "./data_format.ts";
import type { Destination, TableWriter } from "./destination.ts";
import { makeDirectory } from "./output_directory.ts";
import { writeManifest } from "./write_manifest.ts";

/** Settings of the parts destination. */
export interface PartsConfig {
  kind: "parts";
  format: DataFormat;
  outputDirectory: string;
}

/** Saves each job's parts as served in its own directory. */
export function partsDestination(config: PartsConfig): Destination {
  return {
    query: { format: config.format },
    async open(target): Promise<TableWriter> {
      const partsDirectory = join(
        config.outputDirectory,
        `job_${safeFileName(target.job.id, "unnamed")}`,
      );
      await makeDirectory(partsDirectory);
      return {
        partsDirectory,
        write: () => Promise.resolve(),
        async commit(manifest) {
          return {
            directory: partsDirectory,
            manifest: await writeManifest(partsDirectory, manifest),
            files: manifest.files.length,
            bytes: manifest.files.reduce((n, f) => n + f.size, 0),
          };
        },
        abort: () => Promise.resolve(),
      };
    },
  };
}

/**
 * The per-job manifest: written last, beside the data files, under a name that
 * no glob for data files matches (`.dap-manifest.json`). Its presence means the
 * job's files are all there; it is what a later incremental run starts from.
 */
import { join } from "node:path";
import { writeAtomically } from "./write_atomically.ts";

/** The manifest's file name. */
export const MANIFEST_NAME = ".dap-manifest.json";

/** One data file of a job. */
export interface ManifestFile {
  name: string;
  object_id: string;
  size: number;
  md5: string;
}

/** What a job produced. Field names follow the API's snake_case. */
export interface Manifest {
  tool: string;
  namespace: string;
  table: string;
  format: string;
  job_id: string;
  /** snapshot: the table state it represents */
  at?: string;
  /** incremental: the range it covers */
  since?: string;
  until?: string;
  schema_version?: number;
  completed_at: string;
  /** the parts as served */
  files: ManifestFile[];
  /** merged runs: the one file, named relative to the manifest */
  merged?: { file: string; rows: number; size: number; mode: string; codec: string };
}

/** A manifest as stored: merged runs list no parts (they are gone once merged). */
export type StoredManifest = Omit<Manifest, "files"> & { files?: ManifestFile[] };

/** Writes the manifest atomically; returns its path. */
export async function writeManifest(
  directory: string,
  manifest: StoredManifest,
  name = MANIFEST_NAME,
): Promise<string> {
  const path = join(directory, name);
  await writeAtomically(path, JSON.stringify(manifest, null, 2) + "\n");
  return path;
}

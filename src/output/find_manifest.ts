/**
 * Reads manifests back, for incremental runs that start where the last run
 * ended: a manifest named on the command line, or the latest one of a table
 * in the output directory.
 */
import { join } from "node:path";
import { reasonOf, UsageError } from "../errors.ts";
import { type Manifest, MANIFEST_NAME } from "./write_manifest.ts";

/** Where the next incremental should start: the manifest's `until`, or its snapshot `at`. */
export function manifestEnd(manifest: Manifest): string | undefined {
  return manifest.until ?? manifest.at;
}

/** Reads and checks one manifest file. */
export async function readManifest(path: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    const reason = error instanceof SyntaxError ? "it is not JSON" : reasonOf(error);
    throw new UsageError(`Cannot read manifest ${path}: ${reason}`);
  }
  if (!manifest || typeof manifest.table !== "string" || !manifestEnd(manifest)) {
    throw new UsageError(`Cannot read manifest ${path}: it has no table and no 'at' or 'until'`);
  }
  return manifest;
}

/** The merged-run manifests of a table in a namespace directory. */
async function mergedManifests(directory: string, table: string): Promise<string[]> {
  const snapshot = `.${table}.dap-manifest.json`;
  const incremental = `.${table}.incremental.`;
  try {
    return (await Array.fromAsync(Deno.readDir(directory)))
      .filter((e) =>
        e.isFile &&
        (e.name === snapshot || (e.name.startsWith(incremental) && e.name.endsWith(MANIFEST_NAME)))
      )
      .map((e) => join(directory, e.name));
  } catch {
    return [];
  }
}

/** The latest manifest (by `until`/`at`) of a table under `directory`, or undefined. */
export async function findLatestManifest(
  directory: string,
  namespace: string,
  table: string,
): Promise<{ path: string; manifest: Manifest } | undefined> {
  let best: { path: string; manifest: Manifest; end: number } | undefined;
  const consider = (path: string, manifest: Manifest) => {
    if (manifest.namespace !== namespace || manifest.table !== table) return;
    const end = Date.parse(manifestEnd(manifest) ?? "");
    if (!Number.isNaN(end) && (!best || end > best.end)) best = { path, manifest, end };
  };
  // Merged runs' manifests sit beside their files: <dir>/<namespace>/.<table>[.<range>].dap-manifest.json
  for (const path of await mergedManifests(join(directory, namespace), table)) {
    try {
      consider(path, JSON.parse(await Deno.readTextFile(path)));
    } catch {
      // an unreadable manifest: others may still say where the table stands
    }
  }
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(directory));
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith("job_")) continue;
    const path = join(directory, entry.name, MANIFEST_NAME);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readRegularText(path));
    } catch {
      continue;
    }
    consider(path, manifest);
  }
  return best && { path: best.path, manifest: best.manifest };
}

/** A file's text, never through a symlink (one to /dev/zero would be read forever). */
async function readRegularText(path: string): Promise<string> {
  if (!(await Deno.lstat(path)).isFile) throw new Error(`${path} is not a regular file`);
  return await Deno.readTextFile(path);
}

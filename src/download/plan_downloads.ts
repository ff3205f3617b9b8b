/**
 * File names for downloaded objects. The server never chooses a path: a name
 * taken from a URL or an id is reduced to one safe path segment that works on
 * Linux, macOS and Windows, and two objects never get the same name.
 */
import { fileNameKey, safeFileName, splitExtension } from "../safe_file_name.ts";

/** The last path segment of a URL, percent-decoded when that is valid. */
export function urlFileName(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split(/[?#]/)[0] ?? "";
  }
  const segment = path.split("/").filter((s) => s !== "").pop() ?? "";
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Names that must never be produced for data files (compared as `fileNameKey`s). */
const RESERVED_NAMES = new Set([".dap-manifest.json"]);

/**
 * Plans one unique, safe file name per object, in the given order, from the
 * URL path (as the official client does). Names are unique ignoring letter
 * case and Unicode normalization, so that no file system can merge two objects.
 */
export function planFileNames(
  objects: readonly { id: string; url: string }[],
): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  objects.forEach((object, index) => {
    let base = safeFileName(urlFileName(object.url), `object-${String(index).padStart(5, "0")}`);
    const key = fileNameKey(base);
    if (key.endsWith(".partial") || RESERVED_NAMES.has(key)) base = `_${base}_`;
    let name = base;
    for (let n = 2; taken.has(fileNameKey(name)); n++) {
      const [stem, extension] = splitExtension(base);
      name = `${stem}-${n}${extension}`;
    }
    taken.add(fileNameKey(name));
    names.set(object.id, name);
  });
  return names;
}

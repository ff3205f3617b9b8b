/**
 * File names for downloaded objects. The server never chooses a path: a name
 * taken from a URL or an id is reduced to one safe path segment that works on
 * Linux, macOS and Windows, and two objects never get the same name.
 */

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const MAX_NAME_BYTES = 200;
const encoder = new TextEncoder();

function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

function truncateBytes(text: string, maxBytes: number): string {
  let out = "";
  let bytes = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

/** The known multi-part extensions, kept whole when a name is shortened or made unique. */
function splitExtension(name: string): [string, string] {
  const match = name.match(/(\.(?:json|csv|tsv|jsonl|txt)\.gz|\.[A-Za-z0-9]{1,10})$/);
  return match ? [name.slice(0, -match[0].length), match[0]] : [name, ""];
}

/**
 * One safe path segment from untrusted text: no separators, no control
 * characters, nothing Windows reserves, not `.`/`..`, at most 200 bytes.
 * `fallback` is used when nothing usable is left.
 */
export function safeFileName(raw: string, fallback: string): string {
  let name = raw
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, "_")
    .replace(/^[\s.]+/, "")
    .replace(/[\s.]+$/, "");
  if (name === "" || /^_+$/.test(name)) name = fallback;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    const [stem, extension] = splitExtension(name);
    const suffix = `-${shortHash(raw)}${extension}`;
    name = truncateBytes(stem, MAX_NAME_BYTES - encoder.encode(suffix).length) + suffix;
  }
  return name;
}

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

/** Names that must never be produced for data files. */
const RESERVED_NAMES = new Set([".dap-manifest.json"]);

/**
 * Plans one unique, safe file name per object, in the given order, from the
 * URL path (as the official client does). Names are unique ignoring letter
 * case, so that case-insensitive file systems cannot merge two objects.
 */
export function planFileNames(
  objects: readonly { id: string; url: string }[],
): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  objects.forEach((object, index) => {
    let base = safeFileName(urlFileName(object.url), `object-${String(index).padStart(5, "0")}`);
    if (base.endsWith(".partial") || RESERVED_NAMES.has(base)) base = `_${base}_`;
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) {
      const [stem, extension] = splitExtension(base);
      name = `${stem}-${n}${extension}`;
    }
    taken.add(name.toLowerCase());
    names.set(object.id, name);
  });
  return names;
}

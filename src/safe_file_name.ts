/**
 * One safe path segment from untrusted text, for file names the server
 * influences. Pure: used by download/ and output/ alike.
 */

const WINDOWS_RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
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

/** Splits a name into stem and extension; known multi-part extensions, kept whole when a name is shortened or made unique. */
export function splitExtension(name: string): [string, string] {
  const match = name.match(/(\.(?:json|csv|tsv|jsonl|txt)\.gz|\.[A-Za-z0-9]{1,10})$/);
  return match ? [name.slice(0, -match[0].length), match[0]] : [name, ""];
}

/**
 * The key under which two names are the same file somewhere: macOS compares
 * names normalization-insensitively (composed and decomposed `café`), macOS
 * and Windows case-insensitively.
 */
export function fileNameKey(name: string): string {
  return name.normalize("NFC").toLowerCase().normalize("NFC");
}

/**
 * One safe path segment from untrusted text: no separators, no control
 * characters (C0, DEL, C1), nothing Windows reserves (`CON`, `CONIN$`, ...),
 * not `.`/`..`, at most 200 bytes.
 * `fallback` is used when nothing usable is left.
 */
export function safeFileName(raw: string, fallback: string): string {
  let name = raw
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"/\\|?*]/g, "_")
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

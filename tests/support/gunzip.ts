/** Decompresses gzip bytes to text (tests only). */
import { gunzipSync } from "node:zlib";

/** gzip bytes -> UTF-8 text */
export function gunzipText(bytes: Uint8Array): string {
  return new TextDecoder().decode(gunzipSync(bytes));
}

/**
 * Server text made safe to print. Error messages, uuids, job ids, table and
 * object names come from the server; printed raw, an ESC could recolour or
 * clear the terminal, a CR or LF could forge a log line. Every message built
 * from server text goes through `printable()`. Pure.
 */

/** C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what is shown. */
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Longest server text kept in one message (characters) @default 500 */
const MAX_CHARS = 500;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ??
    (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
}

/**
 * `text` with every control character escaped (`\x1b`, `\r`, `\n`, `\x9b`,
 * `\u202e`) and shortened to `maxChars`, so it prints as one inert line.
 */
export function printable(text: string, maxChars: number = MAX_CHARS): string {
  const chars = [...text];
  const kept = chars.length > maxChars ? chars.slice(0, maxChars).join("") : text;
  const more = chars.length > maxChars ? `... (${chars.length - maxChars} more characters)` : "";
  return kept.replace(UNPRINTABLE, escape) + more;
}

/** Merged JSONL: lossless as served, so the decompressed bytes pass through untouched. */
import type { MergedFormat } from "./merged_format.ts";
import { partBytes } from "./part_lines.ts";
import { writeAll } from "./write_atomically.ts";

const NEWLINE = 0x0a;

/** A JSONL writer: one line per record, a newline added where a part lacks its last one. */
export function jsonlFormat(file: Deno.FsFile): MergedFormat {
  return {
    async addPart(path, signal) {
      let rows = 0;
      let last = NEWLINE;
      for await (const chunk of partBytes(path)) {
        signal.throwIfAborted();
        for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) rows++;
        await writeAll(file, chunk);
        if (chunk.length > 0) last = chunk[chunk.length - 1]!;
      }
      if (last !== NEWLINE) {
        await writeAll(file, new Uint8Array([NEWLINE]));
        rows++;
      }
      return rows;
    },
    finish: () => Promise.resolve(),
  };
}

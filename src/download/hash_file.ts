/** MD5 of a file's bytes, streaming. */
import { createHash, type Hash } from "node:crypto";

/** An MD5 fed with the bytes already in `path`, and their count. */
export async function hashFile(path: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("md5");
  let size = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash, size };
}

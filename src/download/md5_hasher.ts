/**
 * Incremental MD5 behind a small interface, so that where hashing runs is a
 * dependency. (Measured: a worker pool, with chunks copied and transferred,
 * was slower than hashing on the main thread and tripled peak RSS; see the
 * README's benchmark notes.)
 */
import { createHash } from "node:crypto";

/** An incremental MD5. */
export interface Hasher {
  /** adds bytes; the chunk may be reused by the caller once this returns */
  update(chunk: Uint8Array): Promise<void>;
  /** the hex digest; the hasher is done */
  digest(): Promise<string>;
}

/** Makes hashers. */
export type HasherFactory = () => Hasher;

/** A hasher on the calling thread. */
export function localHasher(): Hasher {
  const hash = createHash("md5");
  return {
    update(chunk) {
      hash.update(chunk);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(hash.digest("hex")),
  };
}

/**
 * The encoded-object cache: each object's bytes are made once, on first use,
 * and the least recently used are dropped beyond `cacheBytes`. Synthetic
 * objects (benchmarks) are a seeded block repeated, not records.
 */
import { createHash } from "node:crypto";
import { encodeObject } from "./encode.ts";
import type { JobEntry, ObjectEntry } from "./jobs.ts";
import { Random } from "./random.ts";
import { recordAt } from "./rows.ts";
import type { SharedState } from "./shared_state.ts";

/** An object's bytes as served and their MD5 (the ETag). */
export interface EncodedObject {
  bytes: Uint8Array;
  md5: string;
}

/** Makes and keeps the bytes of objects, least recently used dropped first. */
export class ObjectCache {
  readonly #state: SharedState;
  readonly #cache = new Map<string, EncodedObject>();
  #cacheSize = 0;
  #block?: Uint8Array;

  constructor(state: SharedState) {
    this.#state = state;
  }

  /** The bytes of one object of a job. */
  get(job: JobEntry, object: ObjectEntry): EncodedObject {
    const { options } = this.#state;
    const key = `${job.id}|${object.fileName}`;
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const bytes = options.synthetic
      ? this.#syntheticBytes(object.rows[0] ?? 0, options.synthetic.objectBytes)
      : this.#encode(job, object);
    const entry = { bytes, md5: createHash("md5").update(bytes).digest("hex") };
    this.#cache.set(key, entry);
    this.#cacheSize += bytes.length;
    for (const [oldKey, old] of this.#cache) {
      if (this.#cacheSize <= options.cacheBytes || oldKey === key) break;
      this.#cache.delete(oldKey);
      this.#cacheSize -= old.bytes.length;
    }
    return entry;
  }

  /** Records as of the job's instant: a snapshot's `at`, an incremental's `until`. */
  #encode(job: JobEntry, object: ObjectEntry): Uint8Array {
    const kind = job.since === undefined ? "snapshot" : "incremental";
    const t = job.until ?? job.at;
    const records = object.rows.map((k) => recordAt(job.source, k, t, kind));
    return encodeObject(records, job.source.spec, {
      format: job.format,
      mode: job.mode,
      kind,
      gzipLevel: this.#state.options.gzipLevel,
    });
  }

  /** Opaque bytes: a seeded 1 MiB block repeated, stamped with the object's index. */
  #syntheticBytes(index: number, size: number): Uint8Array {
    if (!this.#block) {
      const random = new Random(this.#state.options.seed);
      const words = new Uint32Array(1 << 18);
      for (let i = 0; i < words.length; i++) words[i] = random.int(0x100000000);
      this.#block = new Uint8Array(words.buffer);
    }
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += this.#block.length) {
      bytes.set(this.#block.subarray(0, Math.min(this.#block.length, size - offset)), offset);
    }
    new DataView(bytes.buffer).setUint32(0, index);
    return bytes;
  }
}

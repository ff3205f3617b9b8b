/**
 * The one way requests are sent (api/ and download/ alike): every request
 * under two deadlines. The answer's headers must arrive within
 * `requestMs` of sending (connecting included); after that the body must
 * deliver a byte at least every `idleMs`. A missed deadline aborts the
 * request with a `DeadlineError`, which callers classify as retryable like
 * any network failure. Ctrl-C (the run's signal) still aborts at once with
 * its own reason. Bodies are read in chunks or up to a cap, never whole.
 */

/** How long a request may wait. */
export interface Deadlines {
  /** from sending to the answer's headers, connecting included (ms) @default 60000 */
  requestMs: number;
  /** longest silence inside a body (ms) @default 60000 */
  idleMs: number;
}

/** The default deadlines: generous for the API gateway (which itself answers 504 after ~30 s) and S3. */
export const DEFAULT_DEADLINES: Deadlines = { requestMs: 60_000, idleMs: 60_000 };

/** A request that missed one of its deadlines. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
}

/** Read size for byte streams: one reused 256 KiB buffer, so no garbage per chunk. */
const READ_BYTES = 1 << 18;

/** `ms` in words: "60 s", "0.5 s". */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Aborts its signal with a DeadlineError when armed and not cleared in time. */
class Watchdog {
  readonly #controller = new AbortController();
  #timer?: ReturnType<typeof setTimeout>;

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The DeadlineError, once fired. */
  get error(): unknown {
    return this.#controller.signal.aborted ? this.#controller.signal.reason : undefined;
  }

  arm(ms: number, message: string): void {
    this.clear();
    this.#timer = setTimeout(() => this.#controller.abort(new DeadlineError(message)), ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** What a request needs. */
export interface DeadlineOptions {
  fetch: typeof fetch;
  /** the run's signal (Ctrl-C) */
  signal: AbortSignal;
  deadlines: Deadlines;
}

/** An answer whose body is read under the idle deadline. Read it with `chunks()` or `readBody()`, or `cancel()` it. */
export class TimedResponse {
  readonly response: Response;
  readonly #dog: Watchdog;
  readonly #options: DeadlineOptions;

  constructor(response: Response, dog: Watchdog, options: DeadlineOptions) {
    this.response = response;
    this.#dog = dog;
    this.#options = options;
  }

  get status(): number {
    return this.response.status;
  }

  get headers(): Headers {
    return this.response.headers;
  }

  /**
   * The body's chunks, each awaited under the idle deadline (not while the
   * caller handles a chunk). A chunk is valid only until the next is asked for.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    const { idleMs } = this.#options.deadlines;
    const reader = this.response.body ? readChunks(this.response.body) : undefined;
    try {
      for (;;) {
        this.#dog.arm(idleMs, `no data for ${seconds(idleMs)}`);
        const next = await reader?.next();
        this.#dog.clear();
        if (!next || next.done) return;
        yield next.value;
      }
    } catch (error) {
      this.#options.signal.throwIfAborted();
      throw this.#dog.error ?? error;
    } finally {
      this.#dog.clear();
      await reader?.return(undefined);
    }
  }

  /** Drops the body unread. */
  async cancel(): Promise<void> {
    this.#dog.clear();
    await this.response.body?.cancel().catch(() => {});
  }
}

/** Sends a request under `options.deadlines`; rejects with a DeadlineError when no answer comes in time. */
export async function fetchWithDeadlines(
  input: string | URL,
  init: Omit<RequestInit, "signal">,
  options: DeadlineOptions,
): Promise<TimedResponse> {
  const dog = new Watchdog();
  const { requestMs } = options.deadlines;
  dog.arm(requestMs, `no answer within ${seconds(requestMs)}`);
  try {
    const signal = AbortSignal.any([options.signal, dog.signal]);
    return new TimedResponse(await options.fetch(input, { ...init, signal }), dog, options);
  } catch (error) {
    options.signal.throwIfAborted();
    throw dog.error ?? error;
  } finally {
    dog.clear();
  }
}

/** A body read whole, up to `maxBytes`; `truncated` when it had more (the rest is dropped). */
export async function readBody(
  answer: TimedResponse,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of answer.chunks()) {
    if (size + chunk.length > maxBytes) {
      parts.push(chunk.slice(0, maxBytes - size));
      return { bytes: concat(parts, maxBytes), truncated: true };
    }
    parts.push(chunk.slice());
    size += chunk.length;
  }
  return { bytes: concat(parts, size), truncated: false };
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The chunks of a body. A byte stream (what fetch gives) is read into one
 * reused buffer, so memory stays flat whatever the object size; the chunk
 * handed out is only valid until the next one is asked for. Other streams
 * are read as they come.
 */
export async function* readChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    yield* body;
    return;
  }
  try {
    let buffer = new Uint8Array(READ_BYTES);
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) return;
      yield value;
      buffer = new Uint8Array(value.buffer);
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Client-side rate limiting per endpoint, so that many tables at once never
 * provoke a 429 on their own: a sliding window per endpoint with a small
 * safety margin (the server counts arrivals, a little later than sends), and
 * a pause for the whole endpoint when a 429 comes anyway.
 */
import { abortableSleep, MAX_SERVER_WAIT_MS } from "../retry.ts";
import type { ApiEndpoint } from "./api_client.ts";
import { UsageError } from "../errors.ts";

/** Calls allowed per window. */
export interface Limit {
  limit: number;
  windowMs: number;
}

/** The documented limits of the Query API (per minute). */
export const DOCUMENTED_LIMITS: Partial<Record<ApiEndpoint, Limit>> = {
  tables: { limit: 5, windowMs: 60_000 },
  schema: { limit: 500, windowMs: 60_000 },
  query: { limit: 5, windowMs: 60_000 },
  job: { limit: 500, windowMs: 60_000 },
  urls: { limit: 200, windowMs: 60_000 },
};

const ENDPOINTS: readonly ApiEndpoint[] = ["tables", "schema", "query", "job", "urls"];

/**
 * Reads `--rate-limits`: `endpoint=N/duration` pairs separated by commas, e.g.
 * `query=5/60s,job=500/1m`; durations in ms, s or m. Unnamed endpoints keep
 * the documented limits.
 */
export function parseRateLimits(text: string): Partial<Record<ApiEndpoint, Limit>> {
  const limits = { ...DOCUMENTED_LIMITS };
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p)) {
    const match = part.match(/^([a-z]+)=(\d+)\/(\d+(?:\.\d+)?)(ms|s|m)$/);
    const endpoint = match?.[1] as ApiEndpoint | undefined;
    if (!match || !endpoint || !ENDPOINTS.includes(endpoint) || Number(match[2]) < 1) {
      throw new UsageError(
        `Cannot read --rate-limits '${part}': expected <endpoint>=<calls>/<duration> such as query=5/60s, with endpoint one of ${
          ENDPOINTS.join(", ")
        }`,
      );
    }
    const unit = { ms: 1, s: 1000, m: 60_000 }[match[4] as "ms" | "s" | "m"];
    limits[endpoint] = { limit: Number(match[2]), windowMs: Number(match[3]) * unit };
  }
  return limits;
}

/** Options of a limiter. */
export interface RateLimiterOptions {
  /** @default Date.now */
  now?: () => number;
  /** @default abortableSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Sliding-window limits per endpoint; `acquire` resolves when a call may be sent. */
export class RateLimiter {
  readonly #limits: Partial<Record<ApiEndpoint, Limit>>;
  readonly #sent = new Map<ApiEndpoint, number[]>();
  readonly #queue = new Map<ApiEndpoint, Promise<void>>();
  readonly #pausedUntil = new Map<ApiEndpoint, number>();
  readonly #waitingUntil = new Map<ApiEndpoint, number>();
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #signal?: AbortSignal;

  constructor(limits: Partial<Record<ApiEndpoint, Limit>>, options: RateLimiterOptions = {}) {
    this.#limits = limits;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#signal = options.signal;
  }

  /** Waits for a free slot of `endpoint`, in arrival order, and takes it. */
  acquire(endpoint: ApiEndpoint): Promise<void> {
    const limit = this.#limits[endpoint];
    if (!limit) return Promise.resolve();
    const previous = this.#queue.get(endpoint) ?? Promise.resolve();
    const next = previous.then(() => this.#take(endpoint, limit));
    this.#queue.set(endpoint, next.catch(() => {}));
    return next;
  }

  /** When the next call of `endpoint` may go, while a caller waits for it; undefined when none waits. */
  nextSlotAt(endpoint: ApiEndpoint): number | undefined {
    return this.#waitingUntil.get(endpoint);
  }

  /** After a 429: no call of `endpoint` for `ms` (at most `MAX_SERVER_WAIT_MS`, whatever the server asked). */
  pause(endpoint: ApiEndpoint, ms: number): void {
    const until = this.#now() + Math.min(Math.max(0, ms), MAX_SERVER_WAIT_MS);
    if (until > (this.#pausedUntil.get(endpoint) ?? 0)) this.#pausedUntil.set(endpoint, until);
  }

  async #take(endpoint: ApiEndpoint, limit: Limit): Promise<void> {
    // The server counts a call when it arrives: keep a margin of 5% of the window (at least 50 ms).
    const window = limit.windowMs + Math.max(50, limit.windowMs * 0.05);
    for (;;) {
      const now = this.#now();
      const sent = (this.#sent.get(endpoint) ?? []).filter((t) => t > now - window);
      this.#sent.set(endpoint, sent);
      const paused = (this.#pausedUntil.get(endpoint) ?? 0) - now;
      const wait = Math.max(paused, sent.length < limit.limit ? 0 : sent[0]! + window - now);
      if (wait <= 0) {
        this.#waitingUntil.delete(endpoint);
        sent.push(now);
        return;
      }
      this.#waitingUntil.set(endpoint, now + wait);
      await this.#sleep(wait, this.#signal).catch((error) => {
        this.#waitingUntil.delete(endpoint);
        throw error;
      });
    }
  }
}

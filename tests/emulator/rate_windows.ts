/** Per-endpoint rate limits over sliding windows, answered with 429 and Retry-After. */
import type { Endpoint } from "./faults.ts";
import type { SharedState } from "./shared_state.ts";

/** Counts requests per endpoint against the configured limits. */
export class RateWindows {
  readonly #state: SharedState;
  readonly #windows = new Map<Endpoint, number[]>();

  constructor(state: SharedState) {
    this.#state = state;
  }

  /** Counts one request; the 429 to answer when over the limit, else undefined. */
  check(endpoint: Endpoint): Response | undefined {
    const { options, respond } = this.#state;
    const limit = options.rateLimits[endpoint];
    if (!limit) return undefined;
    const now = options.now();
    const window = (this.#windows.get(endpoint) ?? []).filter((t) => t > now - limit.windowMs);
    this.#windows.set(endpoint, window);
    if (window.length < limit.limit) {
      window.push(now);
      return undefined;
    }
    const wait = Math.max(1, Math.ceil((window[0]! + limit.windowMs - now) / 1000));
    return respond.error(429, "TooManyRequests", "Rate limit exceeded", {}, {
      "retry-after": String(wait),
    });
  }
}

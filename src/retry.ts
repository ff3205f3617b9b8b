/**
 * The retry policy shared by API calls and downloads: which failures are worth
 * another attempt and how long to wait before it (capped exponential backoff
 * with jitter, or the server's `Retry-After`).
 */

/** How many attempts and how long between them. */
export interface RetryPolicy {
  /** attempts in all, the first included @default 6 */
  maxAttempts: number;
  /** first backoff step (ms) @default 250 */
  baseDelayMs: number;
  /** longest wait between two attempts (ms) @default 20000 */
  maxDelayMs: number;
}

/** The default policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 20_000 };

/** 408, 429 and every 5xx are retryable; other statuses are answers. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Reads `Retry-After` (seconds or an HTTP date) as milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1). A server's
 * Retry-After wins, capped at `maxDelayMs`; otherwise "equal jitter" (half fixed, half random) over an
 * exponentially growing window.
 */
export function retryDelay(
  attempt: number,
  options: { policy?: RetryPolicy; retryAfterMs?: number; random?: () => number } = {},
): number {
  const policy = options.policy ?? DEFAULT_RETRY;
  if (options.retryAfterMs !== undefined) return Math.min(options.retryAfterMs, policy.maxDelayMs);
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(window / 2 + random() * window / 2);
}

/** Waits `ms`, or rejects at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

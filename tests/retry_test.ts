import { assertEquals } from "./support/assert.ts";
import { isRetryableStatus, parseRetryAfter, retryDelay } from "../src/retry.ts";

Deno.test("isRetryableStatus() retries 408, 429 and 5xx only", () => {
  const statuses = [200, 400, 401, 403, 404, 408, 416, 429, 500, 502, 503, 504, 599];
  assertEquals(statuses.filter(isRetryableStatus), [408, 429, 500, 502, 503, 504, 599]);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  assertEquals(parseRetryAfter("3", now), 3000);
  assertEquals(parseRetryAfter("0.5", now), 500);
  assertEquals(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now), 7000);
  assertEquals(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
  assertEquals(parseRetryAfter(null, now), undefined);
  assertEquals(parseRetryAfter("soon", now), undefined);
});

Deno.test("retryDelay() grows exponentially with jitter, capped, and honours Retry-After", () => {
  const policy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
  assertEquals([1, 2, 3, 4, 5].map((a) => retryDelay(a, { policy, random: () => 0 })), [
    50,
    100,
    200,
    400,
    500,
  ]);
  assertEquals([1, 2, 3, 4, 5].map((a) => retryDelay(a, { policy, random: () => 0.999999 })), [
    100,
    200,
    400,
    800,
    1000,
  ]);
  assertEquals(retryDelay(1, { policy, retryAfterMs: 700 }), 700);
  // The server's wait is honoured beyond our own backoff cap, up to 5 minutes and no more.
  assertEquals(retryDelay(1, { policy, retryAfterMs: 60_000 }), 60_000);
  assertEquals(retryDelay(1, { policy, retryAfterMs: 999_999_000 }), 300_000);
});

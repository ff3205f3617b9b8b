import { assertEquals, assertThrows } from "../support/assert.ts";
import { DOCUMENTED_LIMITS, parseRateLimits, RateLimiter } from "../../src/api/rate_limiter.ts";
import { UsageError } from "../../src/errors.ts";

function fakeClock() {
  const clock = { now: 0, waits: [] as number[] };
  return {
    clock,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.waits.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  };
}

Deno.test("RateLimiter lets `limit` calls through per window, then waits out the window plus a margin", async () => {
  const { clock, now, sleep } = fakeClock();
  const limiter = new RateLimiter({ query: { limit: 5, windowMs: 60_000 } }, { now, sleep });
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    await limiter.acquire("query");
    times.push(clock.now);
  }
  assertEquals(times, [0, 0, 0, 0, 0, 63_000, 63_000, 63_000, 63_000, 63_000, 126_000, 126_000]);
  await limiter.acquire("job");
  assertEquals(clock.now, 126_000, "endpoints without a limit pass at once");
});

Deno.test("RateLimiter serves concurrent callers in order without exceeding the limit", async () => {
  const { clock, now, sleep } = fakeClock();
  const limiter = new RateLimiter({ urls: { limit: 2, windowMs: 1000 } }, { now, sleep });
  const order: [number, number][] = [];
  await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
    await limiter.acquire("urls");
    order.push([i, clock.now]);
  }));
  assertEquals(order, [[0, 0], [1, 0], [2, 1050], [3, 1050], [4, 2100]]);
});

Deno.test("RateLimiter.pause() holds an endpoint after a 429", async () => {
  const { clock, now, sleep } = fakeClock();
  const limiter = new RateLimiter({ job: { limit: 100, windowMs: 1000 } }, { now, sleep });
  limiter.pause("job", 3000);
  await limiter.acquire("job");
  assertEquals(clock.now, 3000);
});

Deno.test("parseRateLimits() overrides named endpoints and keeps the documented rest", () => {
  const limits = parseRateLimits("query=5/2s, job=50/500ms,urls=10/1m");
  assertEquals(limits.query, { limit: 5, windowMs: 2000 });
  assertEquals(limits.job, { limit: 50, windowMs: 500 });
  assertEquals(limits.urls, { limit: 10, windowMs: 60_000 });
  assertEquals(limits.tables, DOCUMENTED_LIMITS.tables);
  assertThrows(
    () => parseRateLimits("login=5/1s"),
    UsageError,
    "Cannot read --rate-limits 'login=5/1s'",
  );
  assertThrows(
    () => parseRateLimits("query=0/1s"),
    UsageError,
    "Cannot read --rate-limits 'query=0/1s'",
  );
  assertThrows(
    () => parseRateLimits("query=5"),
    UsageError,
    "expected <endpoint>=<calls>/<duration>",
  );
});

Deno.test("RateLimiter.nextSlotAt() says when a waiting caller's slot comes, and nothing when none waits", async () => {
  let now = 0;
  const seen: (number | undefined)[] = [];
  const limiter: RateLimiter = new RateLimiter({ query: { limit: 1, windowMs: 60_000 } }, {
    now: () => now,
    sleep: (ms) => {
      seen.push(limiter.nextSlotAt("query"));
      now += ms;
      return Promise.resolve();
    },
  });
  await limiter.acquire("query");
  assertEquals(limiter.nextSlotAt("query"), undefined);
  await limiter.acquire("query");
  assertEquals(seen, [63_000]);
  assertEquals(limiter.nextSlotAt("query"), undefined);
});

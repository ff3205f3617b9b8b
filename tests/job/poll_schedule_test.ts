import { assertEquals } from "../support/assert.ts";
import { pollDelay } from "../../src/job/poll_schedule.ts";

Deno.test("pollDelay() starts at 250 ms and backs off by 1.5x to 4 s", () => {
  assertEquals([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => pollDelay(n)), [
    250,
    375,
    563,
    844,
    1266,
    1898,
    2848,
    4000,
    4000,
  ]);
});

Deno.test("pollDelay() stays inside the job-status rate limit (500/min) for one job", () => {
  const first = Array.from({ length: 60 }, (_, i) => pollDelay(i + 1));
  let elapsed = 0, polls = 0;
  for (const delay of first) if ((elapsed += delay) <= 60_000) polls++;
  assertEquals(polls, 19); // a tenth of a minute's budget of 500, leaving room for many tables
});

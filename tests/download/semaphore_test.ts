import { assertEquals } from "../support/assert.ts";
import { Semaphore } from "../../src/download/semaphore.ts";

Deno.test("Semaphore never lets more than `permits` run at once, and releases on errors", async () => {
  const semaphore = new Semaphore(2);
  let running = 0, peak = 0;
  const task = (fail: boolean) =>
    semaphore.run(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (fail) throw new Error("boom");
      return 1;
    });
  const results = await Promise.allSettled([
    task(false),
    task(true),
    task(false),
    task(true),
    task(false),
  ]);
  assertEquals(results.map((r) => r.status), [
    "fulfilled",
    "rejected",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  assertEquals(peak, 2);
});

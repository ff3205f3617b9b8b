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

Deno.test("Semaphore.acquire() hands a permit to the next waiter in order; a second release does nothing", async () => {
  const semaphore = new Semaphore(1);
  const order: string[] = [];
  const release = await semaphore.acquire();
  const second = semaphore.acquire().then((r) => (order.push("second"), r));
  const third = semaphore.acquire().then((r) => (order.push("third"), r));
  release();
  release();
  const releaseSecond = await second;
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(order, ["second"], "one release lets one waiter in");
  releaseSecond();
  (await third)();
  assertEquals(order, ["second", "third"]);
  const again = await semaphore.acquire();
  again();
});

import { assertEquals } from "../support/assert.ts";
import { ProgressBoard, renderProgress } from "../../src/report/progress.ts";
import { formatBytes, formatDuration } from "../../src/report/format_units.ts";

Deno.test("renderProgress() shows one table's state, files, bytes and rate", () => {
  const line = renderProgress(
    [{
      table: "courses",
      state: "downloading",
      filesDone: 3,
      filesTotal: 8,
      bytesDone: 5 * 1024 * 1024,
    }],
    2.5 * 1024 * 1024,
  );
  assertEquals(line, "courses: downloading, 3/8 files, 5.0 MiB, 2.5 MiB/s");
});

Deno.test("renderProgress() counts many tables by state", () => {
  const line = renderProgress([
    { table: "a", state: "done", filesDone: 2, filesTotal: 2, bytesDone: 2048 },
    { table: "b", state: "running", filesDone: 0, filesTotal: 0, bytesDone: 0 },
    { table: "c", state: "done", filesDone: 1, filesTotal: 1, bytesDone: 1024 },
  ], 0);
  assertEquals(line, "3 tables (2 done, 1 running), 3/3 files, 3.0 KiB, 0 B/s");
});

Deno.test("ProgressBoard draws only when enabled, throttled, and clears before printing", () => {
  let now = 0;
  const out: string[] = [];
  const board = new ProgressBoard({ write: (t) => out.push(t), enabled: true, now: () => now });
  board.update("t", { state: "downloading", filesTotal: 2 });
  board.addBytes("t", 10);
  now = 150;
  board.addBytes("t", 10);
  board.print("log line\n");
  board.stop();
  assertEquals(out, [
    "\r\x1b[2Kt: downloading, 0/2 files, 0 B, 0 B/s",
    "\r\x1b[2Kt: downloading, 0/2 files, 20 B, 133 B/s",
    "\r\x1b[2K",
    "log line\n",
    "\r\x1b[2Kt: downloading, 0/2 files, 20 B, 133 B/s",
    "\r\x1b[2K",
  ]);
  const quiet: string[] = [];
  const off = new ProgressBoard({ write: (t) => quiet.push(t), enabled: false });
  off.update("t", { state: "running" });
  off.print("only this\n");
  assertEquals(quiet, ["only this\n"]);
});

Deno.test("formatBytes() and formatDuration() read well", () => {
  assertEquals([0, 1023, 1536, 5 * 1024 ** 3].map(formatBytes), [
    "0 B",
    "1023 B",
    "1.5 KiB",
    "5.0 GiB",
  ]);
  assertEquals([0, 2300, 61_500].map(formatDuration), ["0.0s", "2.3s", "1m01.5s"]);
});

Deno.test("ProgressBoard says what each waiting table waits for, and off a terminal beats at most every 30 s", () => {
  let now = 0;
  const beats: string[] = [];
  const board = new ProgressBoard({
    write: () => {},
    enabled: false,
    now: () => now,
    describeWait: (_table, state) =>
      state === "starting" ? "rate limit: next job slot in 41s" : undefined,
    heartbeat: { everyMs: 30_000, write: (line) => beats.push(line) },
  });
  board.update("courses", { state: "running" });
  board.update("users", { state: "starting" });
  board.update("roles", { state: "downloading" });
  now = 130_000;
  assertEquals(board.waits(), [
    "courses: job running 2m10s",
    "users: starting 2m10s, rate limit: next job slot in 41s",
  ]);
  board.tick();
  now = 150_000;
  board.tick(); // 20 s after the last beat: not yet
  board.update("courses", { state: "downloading" });
  board.update("users", { state: "downloading" });
  now = 200_000;
  board.tick(); // nothing waits: no beat
  board.stop();
  assertEquals(beats, [
    "still waiting after 2m10s: courses: job running 2m10s; users: starting 2m10s, rate limit: next job slot in 41s",
  ]);
  assertEquals(
    renderProgress([], 0, ["courses: job running 5s"]),
    "0 tables (), 0/0 files, 0 B, 0 B/s | courses: job running 5s",
  );
});

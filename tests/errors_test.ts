import { assertEquals } from "./support/assert.ts";
import {
  ApiError,
  AuthError,
  DatabaseError,
  describeError,
  DownloadError,
  exitCodeFor,
  InterruptedError,
  JobFailedError,
  reasonOf,
  UsageError,
  WriteError,
} from "../src/errors.ts";

Deno.test("exitCodeFor() maps each error class to its documented code", () => {
  const cases: [unknown, number][] = [
    [new UsageError("x"), 2],
    [new AuthError("x"), 3],
    [new ApiError("x", { status: 500 }), 4],
    [new JobFailedError("x"), 4],
    [new SyntaxError("x"), 4],
    [new DownloadError("x"), 5],
    [new WriteError("x"), 5],
    [new DatabaseError("x"), 6],
    [new InterruptedError(), 130],
    [new DOMException("x", "AbortError"), 130],
    [new TypeError("bug"), 1],
    ["a string", 1],
  ];
  assertEquals(cases.map(([error]) => exitCodeFor(error)), cases.map(([, code]) => code));
});

Deno.test("describeError() adds the server's uuid when there is one", () => {
  assertEquals(
    describeError(new ApiError("Cannot x: y", { status: 400, uuid: "abc" })),
    "Cannot x: y (error uuid abc)",
  );
  assertEquals(describeError(new UsageError("Cannot x: y")), "Cannot x: y");
  assertEquals(describeError(42), "42");
});

Deno.test("reasonOf() keeps a file-system error's reason without Deno's os-error tail", () => {
  assertEquals(
    reasonOf(new Error("No space left on device (os error 28): write '/x/y.partial'")),
    "No space left on device",
  );
  assertEquals(reasonOf("plain"), "plain");
});

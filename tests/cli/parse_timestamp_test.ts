import { assertEquals, assertThrows } from "../support/assert.ts";
import { parseTimestamp } from "../../src/cli/parse_timestamp.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseTimestamp() normalizes zoned RFC 3339 to UTC with Z", () => {
  assertEquals(parseTimestamp("--since", "2026-11-19T08:00:00Z"), {
    iso: "2026-11-19T08:00:00Z",
    assumedUtc: false,
  });
  assertEquals(parseTimestamp("--since", "2026-11-19T10:00:00+02:00").iso, "2026-11-19T08:00:00Z");
  assertEquals(
    parseTimestamp("--since", "2026-11-19T03:00:00.250-05:00").iso,
    "2026-11-19T08:00:00.250Z",
  );
  assertEquals(
    parseTimestamp("--since", "2026-11-19t08:00:00.123456z").iso,
    "2026-11-19T08:00:00.123Z",
  );
  assertEquals(parseTimestamp("--since", "2026-11-19T10:00+0200").iso, "2026-11-19T08:00:00Z");
});

Deno.test("parseTimestamp() reads a timestamp or date without a zone as UTC, and says so", () => {
  assertEquals(parseTimestamp("--since", "2026-11-19T08:00:00"), {
    iso: "2026-11-19T08:00:00Z",
    assumedUtc: true,
  });
  assertEquals(parseTimestamp("--since", "2026-11-19 08:00"), {
    iso: "2026-11-19T08:00:00Z",
    assumedUtc: true,
  });
  assertEquals(parseTimestamp("--until", "2028-02-29").iso, "2028-02-29T00:00:00Z", "a leap day");
  assertEquals(parseTimestamp("--until", "2026-11-19"), {
    iso: "2026-11-19T00:00:00Z",
    assumedUtc: true,
  });
});

Deno.test("parseTimestamp() refuses what it cannot read, naming the flag", () => {
  for (
    const bad of [
      "yesterday",
      "2026-13-01T00:00:00Z",
      "2026-11-19T25:00:00Z",
      "1700000000",
      "",
      "2026-02-30T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2025-02-29",
      "2026-11-19T23:60:00Z",
    ]
  ) {
    assertThrows(
      () => parseTimestamp("--since", bad),
      UsageError,
      `Cannot read --since '${bad}': expected an RFC 3339 timestamp`,
    );
  }
  assertThrows(
    () => parseTimestamp("--until", "x"),
    UsageError,
    "Cannot read --until 'x': expected an RFC 3339 timestamp such as 2026-11-19T08:00:00Z",
  );
});

import { assertEquals, assertRejects } from "../support/assert.ts";
import { UsageError } from "../../src/errors.ts";
import {
  parseBaseUrl,
  parseFormat,
  parsePositiveInteger,
  parseTables,
  resolveConfig,
} from "../../src/cli/resolve_config.ts";

const reject = (fn: () => unknown, message: string) =>
  assertRejects(async () => await fn(), UsageError, message);

Deno.test("resolveConfig() takes flags over env over defaults", () => {
  const env = {
    DAP_CLIENT_ID: "env-id",
    DAP_CLIENT_SECRET: "env-secret",
    DAP_API_URL: "https://env.example",
  };
  const fromEnv = resolveConfig({}, env);
  assertEquals(fromEnv, {
    baseUrl: new URL("https://env.example"),
    clientId: "env-id",
    clientSecret: "env-secret",
    logLevel: "info",
    logFormat: "plain",
    logFile: undefined,
  });
  const fromFlags = resolveConfig({
    clientId: "flag-id",
    baseUrl: "https://flag.example",
    loglevel: "debug",
  }, env);
  assertEquals([
    fromFlags.clientId,
    fromFlags.clientSecret,
    fromFlags.baseUrl.href,
    fromFlags.logLevel,
  ], [
    "flag-id",
    "env-secret",
    "https://flag.example/",
    "debug",
  ]);
  assertEquals(
    resolveConfig({ clientId: "a", clientSecret: "b" }, {}).baseUrl.href,
    "https://api-gateway.instructure.com/",
  );
});

Deno.test("resolveConfig() names both the flag and the env var of missing credentials", async () => {
  await reject(
    () => resolveConfig({}, {}),
    "Cannot authenticate: no client id and no client secret; pass --client-id and --client-secret or set DAP_CLIENT_ID and DAP_CLIENT_SECRET",
  );
  await reject(
    () => resolveConfig({ clientId: "x" }, { DAP_CLIENT_SECRET: "" }),
    "Cannot authenticate: no client secret; pass --client-secret or set DAP_CLIENT_SECRET",
  );
});

Deno.test("parseBaseUrl() refuses malformed, non-HTTP and clear-text non-loopback URLs", async () => {
  await reject(
    () => parseBaseUrl("not a url"),
    "Cannot use base URL 'not a url': it is not a valid URL",
  );
  await reject(() => parseBaseUrl("ftp://x.example"), "only https:// URLs are supported");
  await reject(
    () => parseBaseUrl("http://api.example.com"),
    "Cannot use base URL 'http://api.example.com': plain HTTP would send the client secret in clear",
  );
  for (
    const ok of [
      "http://127.0.0.1:8787",
      "http://localhost:1",
      "http://[::1]:2",
      "https://api.example.com",
    ]
  ) {
    assertEquals(parseBaseUrl(ok).origin, new URL(ok).origin);
  }
});

Deno.test("parseFormat() accepts any letter case and refuses the rest", async () => {
  assertEquals(["CSV", "Jsonl", "parquet", "TSV"].map(parseFormat), [
    "csv",
    "jsonl",
    "parquet",
    "tsv",
  ]);
  await reject(() => parseFormat("xml"), "Cannot use format 'xml': use CSV, JSONL, Parquet or TSV");
});

Deno.test("parseTables() reads one name, a list with spaces and duplicates, or all", async () => {
  assertEquals(parseTables("courses"), ["courses"]);
  assertEquals(parseTables(" courses, users,courses ,"), ["courses", "users"]);
  assertEquals(parseTables("all"), "all");
  await reject(() => parseTables(" , "), "Cannot read --table: no table name given");
  await reject(() => parseTables("all,users"), "'all' cannot be combined");
});

Deno.test("parsePositiveInteger() refuses zero, fractions, words and too much", async () => {
  assertEquals(parsePositiveInteger("--concurrency", "16"), 16);
  for (const bad of ["0", "1.5", "x", "-2", "1000"]) {
    await reject(
      () => parsePositiveInteger("--concurrency", bad),
      `Cannot use --concurrency '${bad}'`,
    );
  }
});

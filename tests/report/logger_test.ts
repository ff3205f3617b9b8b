import { assertEquals } from "../support/assert.ts";
import { Logger, redact } from "../../src/report/logger.ts";

Deno.test("redact() removes known secrets and secret-shaped text", () => {
  assertEquals(redact("Authorization: Bearer abc.def-ghi"), "Authorization: Bearer [redacted]");
  assertEquals(redact("basic dXNlcjpwYXNz"), "basic [redacted]");
  assertEquals(
    redact("GET https://s3/x.gz?X-Amz-Date=1&X-Amz-Signature=deadbeef&a=b"),
    "GET https://s3/x.gz?X-Amz-Date=1&X-Amz-Signature=[redacted]&a=b",
  );
  assertEquals(redact("token eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln here"), "token [redacted] here");
  assertEquals(redact('{"access_token":"abc","x":1}'), '{"access_token":"[redacted]","x":1}');
  assertEquals(redact("the secret hunter2 leaked", ["hunter2"]), "the secret [redacted] leaked");
  assertEquals(
    redact("short abc", ["abc"]),
    "short abc",
    "secrets under 4 characters are not replaced",
  );
});

Deno.test("Logger writes plain or JSON lines at or above its level, redacted", () => {
  const lines: string[] = [];
  const now = () => Date.UTC(2026, 0, 2, 3, 4, 5);
  const plain = new Logger({ level: "info", write: (l) => lines.push(l), now });
  plain.addSecret("s3cr3t-value");
  plain.debug("hidden");
  plain.info("login with s3cr3t-value", { table: "courses" });
  plain.warning("careful");
  const json = new Logger({ level: "warning", format: "json", write: (l) => lines.push(l), now });
  json.info("hidden");
  json.error("Bearer abc failed", { code: 4 });
  assertEquals(lines, [
    '2026-01-02T03:04:05.000Z INFO    login with [redacted] {"table":"courses"}\n',
    "2026-01-02T03:04:05.000Z WARNING careful\n",
    '{"time":"2026-01-02T03:04:05.000Z","level":"error","message":"Bearer [redacted] failed","code":4}\n',
  ]);
});

Deno.test("redact() removes passwords in any URL and other stores' URL signatures", () => {
  assertEquals(redact("ftp://u:PW@h/x"), "ftp://u:[redacted]@h/x");
  assertEquals(redact("bad https://u:PW@[bad"), "bad https://u:[redacted]@[bad");
  assertEquals(
    redact("to postgresql://dap:p@ss@db:5432/x ok"),
    "to postgresql://dap:[redacted]@db:5432/x ok",
  );
  assertEquals(
    redact("GET https://h/o?AWSAccessKeyId=A&Signature=abc%2F&Expires=1"),
    "GET https://h/o?AWSAccessKeyId=A&Signature=[redacted]&Expires=1",
  );
  assertEquals(
    redact("https://storage.googleapis.com/b/o?X-Goog-Signature=beef"),
    "https://storage.googleapis.com/b/o?X-Goog-Signature=[redacted]",
  );
  assertEquals(
    redact("https://a.blob.core.windows.net/c/b?sv=1&sig=Zm9v%3D"),
    "https://a.blob.core.windows.net/c/b?sv=1&sig=[redacted]",
  );
  assertEquals(redact("mail me@example.org"), "mail me@example.org");
});

Deno.test("Logger redacts before JSON escapes: a secret with quotes or backslashes never leaks", () => {
  const secret = 'se"cr\\et-value';
  const lines: string[] = [];
  const logger = new Logger({
    format: "json",
    write: (l) => lines.push(l),
    secrets: new Set([secret]),
  });
  logger.warning(`refused ${secret}`, { detail: `was ${secret}` });
  assertEquals(lines.length, 1);
  assertEquals(lines[0]!.includes("cr\\\\et"), false);
  const parsed = JSON.parse(lines[0]!);
  assertEquals([parsed.message, parsed.detail], ["refused [redacted]", "was [redacted]"]);
});

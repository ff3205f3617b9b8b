import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  parseErrorBody,
  parseJob,
  parseObjectUrls,
  parseTableList,
  parseToken,
} from "../../src/api/parse_answers.ts";

Deno.test("parseJob() reads every state and ignores unknown keys", () => {
  assertEquals(parseJob({ id: "j", status: "running", expires_at: null, extra: 1 }), {
    id: "j",
    status: "running",
    expiresAt: undefined,
    objects: [],
    at: undefined,
    since: undefined,
    until: undefined,
  });
  const done = parseJob({
    id: "j",
    status: "complete",
    objects: [{ id: "a/b" }],
    schema_version: 2,
    at: "2026-01-01T00:00:00Z",
  });
  assertEquals([done.objects, done.schemaVersion, done.at], [["a/b"], 2, "2026-01-01T00:00:00Z"]);
  const failed = parseJob({
    id: "j",
    status: "failed",
    error: { type: "ProcessingError", uuid: "u", message: "m" },
  });
  assertEquals(failed.error, { type: "ProcessingError", uuid: "u", message: "m" });
  assertEquals(parseJob({ id: "j", status: "complete", objects: [] }).objects, []);
});

Deno.test("parsers throw SyntaxError for answers of the wrong shape", () => {
  assertThrows(() => parseJob({ id: "j", status: "done" }), SyntaxError, 'unknown status "done"');
  assertThrows(() => parseJob([]), SyntaxError, "Cannot read the job: expected a JSON object");
  assertThrows(() => parseTableList({ tables: [1] }), SyntaxError, "expected tables to be strings");
  assertThrows(() => parseObjectUrls({ urls: { a: {} } }), SyntaxError, "the URL of a");
  assertThrows(() => parseToken({}), SyntaxError, "access_token");
});

Deno.test("parseErrorBody() reads the DAP envelope, gateway messages, S3 XML and anything else", () => {
  assertEquals(
    parseErrorBody(400, '{"error":{"type":"ValidationError","uuid":"u","message":"bad"}}'),
    {
      message: "bad",
      type: "ValidationError",
      uuid: "u",
    },
  );
  assertEquals(parseErrorBody(504, '{"message":"Endpoint request timed out"}'), {
    message: "Endpoint request timed out",
  });
  assertEquals(
    parseErrorBody(
      403,
      "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
    ),
    {
      message: "AccessDenied: Request has expired",
      type: "AccessDenied",
    },
  );
  assertEquals(parseErrorBody(502, "<html>Bad Gateway</html>"), {
    message: "HTTP 502 with a non-JSON body",
  });
  assertEquals(parseErrorBody(500, ""), { message: "HTTP 500 with a non-JSON body" });
});

import { assertEquals } from "./support/assert.ts";
import { printable } from "../src/printable.ts";
import { objectUrlProblem } from "../src/object_url.ts";

Deno.test("printable() escapes C0, DEL, C1 and bidi controls, and shortens very long text", () => {
  assertEquals(printable("ok: plain text, ünïcödé"), "ok: plain text, ünïcödé");
  assertEquals(printable("a\x1b[31mb\rc\nd\te\x00f\x7fg"), "a\\x1b[31mb\\rc\\nd\\te\\x00f\\x7fg");
  assertEquals(printable("csi\u009b2J osc\u009d"), "csi\\x9b2J osc\\x9d");
  assertEquals(printable("evil\u202egpj.exe"), "evil\\u202egpj.exe");
  assertEquals(printable("x".repeat(510)), "x".repeat(500) + "... (10 more characters)");
  assertEquals(printable("abcdef", 3), "abc... (3 more characters)");
});

Deno.test("objectUrlProblem() allows https:// and http:// to loopback only", () => {
  for (
    const ok of [
      "https://bucket.s3.amazonaws.com/x?sig=1",
      "http://127.0.0.1:8080/objects/a",
      "http://localhost/x",
      "http://[::1]:9/x",
    ]
  ) assertEquals(objectUrlProblem(ok), undefined, ok);
  assertEquals(
    objectUrlProblem("http://example.com/x"),
    "it is plain http:// to another host; only https:// (or http:// to this machine) is allowed",
  );
  assertEquals(
    objectUrlProblem("file:///etc/passwd"),
    "its scheme is file:; only https:// (or http:// to this machine) is allowed",
  );
  assertEquals(objectUrlProblem("not a url"), "it is not a valid URL");
});

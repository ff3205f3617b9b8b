import { assert, assertEquals } from "../support/assert.ts";
import { planFileNames, urlFileName } from "../../src/download/plan_downloads.ts";
import { safeFileName } from "../../src/safe_file_name.ts";

const u = (path: string) => `https://s3.example/bucket/${path}?X-Amz-Signature=abc`;

Deno.test("urlFileName() takes the decoded last path segment", () => {
  assertEquals(urlFileName(u("job/part-00000-abc-c000.json.gz")), "part-00000-abc-c000.json.gz");
  assertEquals(urlFileName(u("a%20b%2Fc.csv.gz")), "a b/c.csv.gz");
  assertEquals(urlFileName(u("bad%E0%A4%A.gz")), "bad%E0%A4%A.gz");
  assertEquals(urlFileName("https://s3.example/"), "");
});

Deno.test("safeFileName() keeps hostile names inside one path segment", () => {
  assertEquals(safeFileName("../../etc/passwd", "x"), "_.._etc_passwd");
  assertEquals(safeFileName("..", "fallback"), "fallback");
  assertEquals(safeFileName("/abs/path.json.gz", "x"), "_abs_path.json.gz");
  assertEquals(safeFileName("C:\\Windows\\x.gz", "x"), "C__Windows_x.gz");
  assertEquals(safeFileName("a\u0000b\nc\u001fd\u007f", "x"), "a_b_c_d_");
  assertEquals(safeFileName("", "object-00003"), "object-00003");
  assertEquals(safeFileName("CON", "x"), "_CON");
  assertEquals(safeFileName("lpt1.csv.gz", "x"), "_lpt1.csv.gz");
  assertEquals(safeFileName("name. ", "x"), "name");
  assertEquals(safeFileName('a<b>c:d"e|f?g*h', "x"), "a_b_c_d_e_f_g_h");
});

Deno.test("safeFileName() shortens long names to 200 bytes and keeps the extension", () => {
  const long = "é".repeat(300) + ".json.gz";
  const name = safeFileName(long, "x");
  assert(new TextEncoder().encode(name).length <= 200, name);
  assert(name.endsWith(".json.gz"));
  assert(/-[0-9a-f]{8}\.json\.gz$/.test(name));
  assert(
    safeFileName("é".repeat(299) + "a.json.gz", "x") !== name,
    "different long names stay different",
  );
});

Deno.test("planFileNames() never gives two objects one name, even ignoring case", () => {
  const names = planFileNames([
    { id: "a", url: u("x/part-0.json.gz") },
    { id: "b", url: u("y/part-0.json.gz") },
    { id: "c", url: u("z/PART-0.json.gz") },
    { id: "d", url: u("") },
    { id: "e", url: u("w/.dap-manifest.json") },
    { id: "f", url: u("w/part-1.json.gz.partial") },
  ]);
  assertEquals([...names], [
    ["a", "part-0.json.gz"],
    ["b", "part-0-2.json.gz"],
    ["c", "PART-0-3.json.gz"],
    ["d", "bucket"],
    ["e", "dap-manifest.json"],
    ["f", "_part-1.json.gz.partial_"],
  ]);
});

Deno.test("planFileNames() treats composed and decomposed Unicode as one name (macOS would)", () => {
  const composed = "caf\u00e9.json.gz";
  const decomposed = "cafe\u0301.json.gz";
  const names = planFileNames([
    { id: "a", url: u(`x/${encodeURIComponent(composed)}`) },
    { id: "b", url: u(`y/${encodeURIComponent(decomposed)}`) },
    { id: "c", url: u(`z/${encodeURIComponent("CAFE\u0301.json.gz")}`) },
  ]);
  assertEquals([...names], [
    ["a", composed],
    ["b", "cafe\u0301-2.json.gz"],
    ["c", "CAFE\u0301-3.json.gz"],
  ]);
});

Deno.test("safeFileName() reserves CONIN$ and CONOUT$ too, and replaces C1 controls", () => {
  assertEquals(safeFileName("CONIN$", "x"), "_CONIN$");
  assertEquals(safeFileName("conout$.json.gz", "x"), "_conout$.json.gz");
  assertEquals(safeFileName("CONINX", "x"), "CONINX");
  assertEquals(safeFileName("a\u009b31mb", "x"), "a_31mb");
});

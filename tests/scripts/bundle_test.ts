import { assertEquals, assertThrows } from "../support/assert.ts";
import { EAGER_REQUIRE, lazyRequire } from "../../scripts/bundle/lazy_require.ts";
import { startUpNodeImports } from "../../scripts/bundle/start_up_graph.ts";

Deno.test("lazyRequire() defers createRequire() to the first require(), which then works", async () => {
  const chunk =
    `${EAGER_REQUIRE}\nexport const load = () => __require("node:buffer").Buffer.from("ok");\n`;
  const lazy = lazyRequire(chunk);
  assertEquals(lazy.includes('from "node:module"'), false);
  const dir = await Deno.makeTempDir({ prefix: "dap-lazy-require-" });
  await Deno.writeTextFile(`${dir}/chunk.js`, lazy);
  const { load } = await import(`file://${dir}/chunk.js`);
  assertEquals(load().toString(), "ok");
  assertEquals(lazyRequire("export const x = 1;\n"), "export const x = 1;\n");
  assertThrows(
    () => lazyRequire("var __require = __deno_internal_createRequire(new URL(import.meta.url));"),
    Error,
    "deno bundle's require() changed shape",
  );
});

Deno.test("startUpNodeImports() follows static imports only, and finds node: modules at any depth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dap-start-up-graph-" });
  const files: Record<string, string> = {
    "main.js":
      'import {\n  a\n} from "./chunk-a.js";\nimport "./chunk-b.js";\nawait import("./lazy.js");\n',
    "chunk-a.js": 'import { b } from "./chunk-b.js";\nexport const a = b;\n',
    "chunk-b.js": 'import { Buffer } from "node:buffer";\nexport const b = Buffer;\n',
    "lazy.js": 'import fs from "node:fs";\nexport default fs;\n',
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  assertEquals(await startUpNodeImports(dir), ["chunk-b.js -> node:buffer"]);
  await Deno.writeTextFile(`${dir}/chunk-b.js`, "export const b = 1;\n");
  assertEquals(await startUpNodeImports(dir), []);
});

/** What running from source installs: only the packages the program itself imports. */
import { assertEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function sourceTexts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sourceTexts(path));
    else if (entry.name.endsWith(".ts")) out.push(await Deno.readTextFile(path));
  }
  return out;
}

Deno.test("deno.json imports only what src/ uses: no test-only package is installed by `deno task dap`", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const src = (await sourceTexts(`${ROOT}src`)).join("\n");
  const unused = Object.keys(config.imports).filter((name) =>
    !new RegExp(`(from |import\\()"${name}(/[^"]*)?"`).test(src)
  );
  assertEquals(unused, []);
});

Deno.test("deno.lock pins only deno.json's packages: test-only ones live in tests/test.lock", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`));
  const declared = new Set(Object.values(config.imports) as string[]);
  const extra = Object.keys(lock.specifiers ?? {}).filter((s) => !declared.has(s));
  assertEquals(extra, []);
});

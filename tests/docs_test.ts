/** The README is a user's page, and every document it points to exists (issue 12). */
import { dirname, join } from "node:path";
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function links(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target));
}

Deno.test("README.md is at most ~200 lines, gives the two commands, and links only to what exists", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert(readme.split("\n").length <= 200, `${readme.split("\n").length} lines`);
  assert(
    readme.includes("npx -y deno@2.9.6 task demo") &&
      readme.includes("npx -y deno@2.9.6 task test"),
  );
  const missing: string[] = [];
  for (const file of ["README.md", "CONTRIBUTING.md", ...await docs()]) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const target of links(text)) {
      await Deno.stat(join(ROOT, dirname(file), target)).catch(() =>
        missing.push(`${file} -> ${target}`)
      );
    }
  }
  assertEquals(missing, []);
});

async function docs(): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(join(ROOT, "docs"))))
    .filter((e) => e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`);
}

/**
 * The shape the architecture promises, checked on the source itself: small
 * functions, imports that flow one way, and a typed command tree.
 */
import ts from "npm:typescript@5.9.3";
import { join, relative } from "node:path";
import { assertEquals } from "./support/assert.ts";

const SRC = new URL("../src/", import.meta.url).pathname;
const MAX_FUNCTION_LINES = 60;

async function sourceFiles(dir = SRC): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

function longFunctions(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > MAX_FUNCTION_LINES) {
        const name = (node as ts.FunctionDeclaration).name?.getText() ?? "(anonymous)";
        found.push(`${relative(SRC, path)}:${start + 1} ${name} (${end - start + 1} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every module a file imports, statically or with `import("...")` (commands load their work lazily). */
function imports(text: string): string[] {
  const staticImports = [...text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)];
  const dynamicImports = [...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)];
  return [...staticImports, ...dynamicImports].map((m) => m[1]!);
}

Deno.test(`no function in src/ is longer than ${MAX_FUNCTION_LINES} lines`, async () => {
  const long: string[] = [];
  for (const path of await sourceFiles()) {
    long.push(...longFunctions(path, await Deno.readTextFile(path)));
  }
  assertEquals(long, []);
});

Deno.test("imports flow one way: cli/ never reaches into download/, api/ never into report/", async () => {
  const wrong: string[] = [];
  for (const path of await sourceFiles()) {
    const rel = relative(SRC, path);
    const folder = rel.split("/")[0];
    for (const target of imports(await Deno.readTextFile(path))) {
      if (!target.startsWith(".")) continue;
      const to = relative(SRC, join(path, "..", target)).split("/")[0];
      const banned = (folder === "cli" && to === "download") ||
        (folder === "api" && to === "report") ||
        (folder !== "cli" && folder !== "main.ts" && to === "cli");
      if (banned) wrong.push(`${rel} -> ${target}`);
    }
  }
  assertEquals(wrong, []);
});

Deno.test("the command tree keeps its types: no `as unknown as` in src/cli", async () => {
  const casts: string[] = [];
  for (const path of await sourceFiles(join(SRC, "cli"))) {
    if ((await Deno.readTextFile(path)).includes("as unknown as")) casts.push(relative(SRC, path));
  }
  assertEquals(casts, []);
});

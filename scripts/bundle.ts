/**
 * `deno task bundle [--outdir DIR]`: the program as plain JavaScript files
 * (default `dist/bundle/`, `main.js` its entry), code-split so each command's
 * work and each database driver loads only when used.
 *
 * Two steps beyond `deno bundle`:
 * - `deno bundle` defines the `require()` that bundled CommonJS packages
 *   (mysql2) use with a top-level `import ... from "node:module"`, in the
 *   chunk every entry loads; that import alone starts Deno's Node layer, about
 *   50 ms, on every run. It is made lazy: the same `createRequire()`, created
 *   on the first `require()`.
 * - The start-up graph (main.js and what it imports statically) is checked to
 *   import no `node:` module, so `dap --version`, `--help` and parse errors
 *   never pay for the Node layer. The task fails if either step cannot be done.
 */
import { parseArgs } from "node:util";

const EAGER_REQUIRE =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);";
const LAZY_REQUIRE = "var __deno_internal_require;\n" +
  "var __require = (id) => (__deno_internal_require ??= globalThis.process.getBuiltinModule(" +
  '"node:module").createRequire(import.meta.url))(id);';

const STATIC_IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm;

const encoder = new TextEncoder();
const fail = (text: string): never => {
  Deno.stderr.writeSync(encoder.encode(`bundle: ${text}\n`));
  Deno.exit(1);
};

const { values } = parseArgs({
  args: Deno.args,
  options: { outdir: { type: "string", default: "dist/bundle" } },
});
const outdir = values.outdir;
await Deno.remove(outdir, { recursive: true }).catch(() => {});
const bundled = await new Deno.Command(Deno.execPath(), {
  args: [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--code-splitting",
    "--outdir",
    outdir,
    "src/main.ts",
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!bundled.success) fail("deno bundle failed");

let patched = 0;
for await (const entry of Deno.readDir(outdir)) {
  const path = `${outdir}/${entry.name}`;
  const text = await Deno.readTextFile(path);
  if (!text.includes("__deno_internal_createRequire")) continue;
  if (!text.includes(EAGER_REQUIRE)) fail(`${entry.name}: deno bundle's require() changed shape`);
  await Deno.writeTextFile(path, text.replace(EAGER_REQUIRE, LAZY_REQUIRE));
  patched++;
}
if (patched > 1) fail(`deno bundle defined require() in ${patched} chunks, expected one`);

/** Every `node:` module `file` imports statically, directly or through the chunks it imports. */
async function nodeImports(file: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  for (const match of (await Deno.readTextFile(`${outdir}/${file}`)).matchAll(STATIC_IMPORT)) {
    const target = match[1] ?? match[2]!;
    if (target.startsWith("node:")) found.push(`${file} -> ${target}`);
    else if (target.startsWith("./")) found.push(...await nodeImports(target.slice(2), seen));
  }
  return found;
}
const startUp = await nodeImports("main.js");
if (startUp.length > 0) fail(`the start-up graph imports Node modules: ${startUp.join(", ")}`);

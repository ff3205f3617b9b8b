/**
 * `deno task bundle [--outdir DIR]`: the program as plain JavaScript files
 * (default `dist/bundle/`, `main.js` its entry), code-split so each command's
 * work and each database driver loads only when used.
 *
 * Two steps beyond `deno bundle`:
 * - The `require()` of bundled CommonJS packages is made lazy
 *   (`bundle/lazy_require.ts`).
 * - The start-up graph (main.js and what it imports statically) is checked to
 *   import no `node:` module, so `dap --version`, `--help` and parse errors
 *   never pay for the Node layer. The task fails if either step cannot be done.
 */
import { parseArgs } from "node:util";
import { lazyRequire } from "./bundle/lazy_require.ts";
import { startUpNodeImports } from "./bundle/start_up_graph.ts";

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
  let lazy = text;
  try {
    lazy = lazyRequire(text);
  } catch (error) {
    fail(`${entry.name}: ${(error as Error).message}`);
  }
  if (lazy === text) continue;
  await Deno.writeTextFile(path, lazy);
  patched++;
}
if (patched > 1) fail(`deno bundle defined require() in ${patched} chunks, expected one`);

const startUp = await startUpNodeImports(outdir);
if (startUp.length > 0) fail(`the start-up graph imports Node modules: ${startUp.join(", ")}`);

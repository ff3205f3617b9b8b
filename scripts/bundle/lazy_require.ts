/**
 * `deno bundle` defines the `require()` of bundled CommonJS packages (mysql2)
 * with a top-level `import ... from "node:module"` in the chunk every entry
 * loads, which starts Deno's Node layer (about 50 ms) on every run. This
 * rewrites that definition into the same `createRequire()`, made on the first
 * `require()` call.
 */

/** What `deno bundle` (Deno 2.9) writes. */
export const EAGER_REQUIRE =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);";

const LAZY_REQUIRE = "var __deno_internal_require;\n" +
  "var __require = (id) => (__deno_internal_require ??= globalThis.process.getBuiltinModule(" +
  '"node:module").createRequire(import.meta.url))(id);';

/**
 * The chunk with its `require()` made lazy; the chunk itself when it defines
 * none; throws when it defines one in a shape this does not know.
 */
export function lazyRequire(chunk: string): string {
  if (!chunk.includes("__deno_internal_createRequire")) return chunk;
  if (!chunk.includes(EAGER_REQUIRE)) {
    throw new Error("deno bundle's require() changed shape; update scripts/bundle/lazy_require.ts");
  }
  return chunk.replace(EAGER_REQUIRE, LAZY_REQUIRE);
}

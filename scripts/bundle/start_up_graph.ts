/**
 * What a bundle loads before it runs: the chunks `main.js` imports statically,
 * transitively (not those behind `import()`), and the `node:` modules among
 * their imports. `deno task bundle` refuses a start-up graph with any.
 */

const STATIC_IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm;

/** Every `node:` module `file` (in `dir`) imports statically, as `chunk -> node:x`, directly or through the chunks it imports. */
export async function startUpNodeImports(
  dir: string,
  file = "main.js",
  seen: Set<string> = new Set(),
): Promise<string[]> {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  for (const match of (await Deno.readTextFile(`${dir}/${file}`)).matchAll(STATIC_IMPORT)) {
    const target = match[1] ?? match[2]!;
    if (target.startsWith("node:")) found.push(`${file} -> ${target}`);
    else if (target.startsWith("./")) {
      found.push(...await startUpNodeImports(dir, target.slice(2), seen));
    }
  }
  return found;
}

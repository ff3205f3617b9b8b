/** Creates and checks output directories, with one-line errors a user can act on. */
import { join } from "node:path";
import { reasonOf, UsageError } from "../errors.ts";

/** Creates `path` (and its parents) or throws a UsageError naming it. */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    throw new UsageError(`Cannot create output directory ${path}: ${reasonOf(error)}`);
  }
}

/** Checks that the output directory can be created and written before any job starts. */
export async function checkOutputDirectory(path: string): Promise<void> {
  await makeDirectory(path);
  const probe = join(path, `.dap-write-test-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    throw new UsageError(`Cannot write to output directory ${path}: ${reasonOf(error)}`);
  }
}

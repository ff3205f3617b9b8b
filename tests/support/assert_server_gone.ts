/** For the test-server helpers' own tests: a stopped server left nothing running or on disk. */
import { assert } from "./assert.ts";
import { isGone } from "./local_server.ts";

/** Asserts the server's process is gone, its data directory removed and its port refusing. */
export async function assertServerGone(
  server: { pid: number; dataDir: string; port: number },
): Promise<void> {
  assert(await isGone(server.pid), `process ${server.pid} still runs`);
  const error = await Deno.stat(server.dataDir).then(() => undefined, (e) => e);
  assert(error instanceof Deno.errors.NotFound, `${server.dataDir} is still there`);
  const refused = await Deno.connect({ hostname: "127.0.0.1", port: server.port })
    .then((conn) => conn.close(), (e) => e);
  assert(refused instanceof Deno.errors.ConnectionRefused, `port ${server.port} still answers`);
}

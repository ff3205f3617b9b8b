/**
 * `deno task emulator [--port N] [--seed N] [--rows N] [--rows-per-object N] [--rate-limits]`:
 * serves the DAP API emulator on 127.0.0.1 until interrupted; `--rate-limits`
 * turns on the documented per-endpoint limits (off by default). The base URL is
 * the first line on stdout, then the credentials it accepts.
 */
import { parseArgs } from "node:util";
import { DEMO_CREDENTIAL, DOCUMENTED_RATE_LIMITS } from "../tests/emulator/emulator.ts";
import { serveEmulator } from "../tests/emulator/serve_emulator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "8787" },
    seed: { type: "string", default: "1" },
    rows: { type: "string", default: "1000" },
    "rows-per-object": { type: "string", default: "250" },
    "rate-limits": { type: "boolean", default: false },
  },
});

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `Cannot start the emulator: --${name} must be an integer >= ${min}\n`,
      ),
    );
    Deno.exit(2);
  }
  return value;
}

const controller = new AbortController();
const server = serveEmulator({
  port: integer("port", values.port, 0),
  seed: integer("seed", values.seed, 0),
  rows: integer("rows", values.rows, 0),
  rowsPerObject: integer("rows-per-object", values["rows-per-object"], 1),
  rateLimits: values["rate-limits"] ? DOCUMENTED_RATE_LIMITS : {},
  signal: controller.signal,
});
const out = new TextEncoder();
Deno.stdout.writeSync(out.encode(
  `${server.url}\nDAP_CLIENT_ID=${DEMO_CREDENTIAL.clientId}\nDAP_CLIENT_SECRET=${DEMO_CREDENTIAL.clientSecret}\n`,
));
Deno.addSignalListener("SIGINT", () => controller.abort());

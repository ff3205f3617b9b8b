/**
 * `deno task emulator [--port N] [--seed N] [--rows N] [--rows-per-object N]
 * [--data-at <RFC 3339>] [--schema-bump-at <RFC 3339>] [--rate-limits]`:
 * serves the DAP API emulator on 127.0.0.1 until interrupted. `--data-at` is
 * the instant whose table state it serves (default 2026-11-20T08:00:00Z);
 * `--schema-bump-at` the instant every table gains a nullable column and a
 * schema version; `--rate-limits` turns on the documented per-endpoint limits
 * (off by default). The base URL is the first line on stdout, then the
 * credentials it accepts.
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
    "data-at": { type: "string" },
    "schema-bump-at": { type: "string" },
    "rate-limits": { type: "boolean", default: false },
  },
});

function refuse(message: string): never {
  Deno.stderr.writeSync(new TextEncoder().encode(`Cannot start the emulator: ${message}\n`));
  Deno.exit(2);
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) refuse(`--${name} must be an integer >= ${min}`);
  return value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function instant(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Date.parse(text);
  if (!RFC3339.test(text) || Number.isNaN(value)) {
    refuse(`--${name} must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:00:00Z`);
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
  dataAt: instant("data-at", values["data-at"]),
  schemaBumpAt: instant("schema-bump-at", values["schema-bump-at"]),
  signal: controller.signal,
});
const out = new TextEncoder();
Deno.stdout.writeSync(out.encode(
  `${server.url}\nDAP_CLIENT_ID=${DEMO_CREDENTIAL.clientId}\nDAP_CLIENT_SECRET=${DEMO_CREDENTIAL.clientSecret}\n`,
));
Deno.addSignalListener("SIGINT", () => controller.abort());

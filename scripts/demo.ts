/**
 * `deno task demo`: starts the DAP API emulator on a free port, runs
 * `dap snapshot --namespace canvas --table courses` against it into
 * `downloads/`, says what happened and where the files are, and stops.
 */
import { runCli } from "../src/cli/run_cli.ts";
import { DEMO_CREDENTIAL } from "../tests/emulator/emulator.ts";
import { serveEmulator } from "../tests/emulator/serve_emulator.ts";

const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(text));

await using server = serveEmulator({ rows: 2000, rowsPerObject: 400 });
const args = [
  "snapshot",
  "--namespace",
  "canvas",
  "--table",
  "courses",
  "--output-directory",
  "downloads",
];
say(`Emulator of the DAP API at ${server.url}\n$ dap ${args.join(" ")}\n\n`);
const code = await runCli({
  args,
  env: {
    DAP_API_URL: server.url,
    DAP_CLIENT_ID: DEMO_CREDENTIAL.clientId,
    DAP_CLIENT_SECRET: DEMO_CREDENTIAL.clientSecret,
  },
  stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  stderr: say,
  isTerminal: Deno.stderr.isTerminal(),
});
const calls = server.emulator.requests.map((r) => {
  const path = r.path.split("?")[0]!;
  const name = decodeURIComponent(path.split("/").pop()!);
  return `${r.method} ${
    r.endpoint === "object" ? `<pre-signed URL of ${name}>` : path
  } -> ${r.status}`;
});
say(
  `\nexit code ${code}; the emulator answered ${calls.length} requests:\n  ${calls.join("\n  ")}\n`,
);
for await (const entry of Deno.readDir("downloads")) {
  if (!entry.isDirectory || !entry.name.startsWith("job_")) continue;
  const files: string[] = [];
  for await (const file of Deno.readDir(`downloads/${entry.name}`)) files.push(file.name);
  say(`\ndownloads/${entry.name}/\n  ${files.sort().join("\n  ")}\n`);
}
Deno.exitCode = code;

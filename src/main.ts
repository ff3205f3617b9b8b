/**
 * The entry point: the only module that reads Deno.args and Deno.env, wires
 * Ctrl-C to an AbortSignal, and ends the process with the exit code.
 */
import { runCli } from "./cli/run_cli.ts";
import { InterruptedError } from "./errors.ts";

const encoder = new TextEncoder();

/** Writes all of `text`; a reader that went away (`dap list | head`) ends the writing quietly. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let written = 0; written < bytes.length;) {
      written += stream.writeSync(bytes.subarray(written));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

const controller = new AbortController();
let interrupts = 0;
const onSignal = () => {
  // A second Ctrl-C ends at once; the first lets the run stop cleanly (well within a second).
  if (++interrupts > 1) Deno.exit(130);
  controller.abort(new InterruptedError());
};
Deno.addSignalListener("SIGINT", onSignal);
if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal);

/** The only environment variables the program reads (the compiled binary may read no others). */
const ENV_NAMES = [
  "DAP_API_URL",
  "DAP_CLIENT_ID",
  "DAP_CLIENT_SECRET",
  "DAP_CONNECTION_STRING",
  "DAP_REQUEST_TIMEOUT",
  "DAP_IDLE_TIMEOUT",
  "DAP_RETRY_BUDGET",
  "DAP_JOB_TIMEOUT",
  "NO_PROGRESS",
] as const;

const env = Object.fromEntries(ENV_NAMES.map((name) => [name, Deno.env.get(name)]));

const code = await runCli({
  args: Deno.args,
  env,
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
  isTerminal: Deno.stderr.isTerminal() && !env.NO_PROGRESS,
  // consoleSize() may say 0 columns (a terminal of unknown width): use the default then.
  columns: Deno.stderr.isTerminal() ? Deno.consoleSize().columns || undefined : undefined,
  signal: controller.signal,
});
Deno.exit(code);

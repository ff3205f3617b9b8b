/**
 * `deno task compile [--target T ...]`: builds `dist/dap-<version>-<target>[.exe]`
 * with `deno compile` for each release target, with only the permissions the
 * program needs, and writes `dist/SHA256SUMS`.
 *
 * `deno compile` needs Deno's `denort` runtime for each target, from Deno's
 * download host or from DENORT_BIN (host target only). When neither is
 * available this says so in one line and exits 1.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { PERMISSIONS } from "./permissions.ts";

/** The release targets. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(text + "\n"));

function outputName(target: string): string {
  return `dist/dap-${denoJson.version}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** Whether Deno's download host answers (with a short timeout). */
async function runtimeHostReason(): Promise<string | undefined> {
  const url =
    `https://dl.deno.land/release/v${Deno.version.deno}/denort-x86_64-unknown-linux-gnu.zip`;
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.ok ? undefined : `HTTP ${response.status} from dl.deno.land`;
  } catch (error) {
    return `dl.deno.land is not reachable (${(error as Error).message.split("\n")[0]})`;
  }
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

const { values } = parseArgs({
  args: Deno.args,
  options: { target: { type: "string", multiple: true } },
});
const denort = Deno.env.get("DENORT_BIN");
const hostTarget = Deno.build.target;
let targets: string[] = values.target ?? (denort ? [hostTarget] : [...TARGETS]);
if (denort) {
  const others = targets.filter((t) => t !== hostTarget);
  if (others.length > 0) {
    say(`DENORT_BIN serves only the host target ${hostTarget}; skipping ${others.join(", ")}`);
  }
  targets = [hostTarget];
} else {
  const reason = await runtimeHostReason();
  if (reason) {
    say(
      `Cannot compile: deno compile needs Deno's denort runtime and ${reason}; set DENORT_BIN to a denort ${Deno.version.deno} binary for ${hostTarget}, or run where dl.deno.land is reachable.`,
    );
    Deno.exit(1);
  }
}
await Deno.mkdir("dist", { recursive: true });
const sums: string[] = [];
for (const target of targets) {
  const output = outputName(target);
  const args = [
    "compile",
    "--quiet",
    "--no-check",
    ...PERMISSIONS,
    "--target",
    target,
    "--output",
    output,
    "src/main.ts",
  ];
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) {
    say(`Cannot compile for ${target}: deno compile exited with ${result.code}`);
    Deno.exit(1);
  }
  sums.push(`${await sha256(output)}  ${output.slice("dist/".length)}`);
  say(`built ${output}`);
}
await Deno.writeTextFile("dist/SHA256SUMS", sums.join("\n") + "\n");
say(`wrote dist/SHA256SUMS (${sums.length} binaries)`);

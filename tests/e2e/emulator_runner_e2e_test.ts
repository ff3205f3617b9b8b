import { assertEquals, assertMatch } from "../support/assert.ts";
import { DEMO_CREDENTIAL } from "../emulator/emulator.ts";

const SCRIPT = new URL("../../scripts/emulator.ts", import.meta.url).pathname;

function runner(args: string[], stderr: "null" | "piped" = "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      SCRIPT,
      ...args,
    ],
    stdout: "piped",
    stderr,
  }).spawn();
}

/** Starts the runner; returns its first three stdout lines and a stop function. */
async function startRunner(args: string[]) {
  const child = runner(["--port", "0", ...args]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 4) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const stop = async () => {
    child.kill("SIGINT");
    await reader.cancel();
    return (await child.status).success;
  };
  return { lines: text.split("\n").slice(0, 3), stop };
}

async function login(url: string): Promise<Response> {
  return await fetch(`${url}/ids/auth/login`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`)}`,
    },
    body: "grant_type=client_credentials",
  });
}

Deno.test("deno task emulator prints its base URL first, then the credentials, and serves", async () => {
  const { lines: [url, id, secret], stop } = await startRunner(["--rows", "10"]);
  assertMatch(url!, /^http:\/\/127\.0\.0\.1:\d+$/);
  assertEquals([id, secret], [
    `DAP_CLIENT_ID=${DEMO_CREDENTIAL.clientId}`,
    `DAP_CLIENT_SECRET=${DEMO_CREDENTIAL.clientSecret}`,
  ]);
  const answer = await login(url!);
  assertEquals(answer.status, 200);
  await answer.body?.cancel();
  assertEquals(await stop(), true);
});

Deno.test("deno task emulator --data-at serves the table state of that instant", async () => {
  const { lines: [url], stop } = await startRunner([
    "--rows",
    "10",
    "--data-at",
    "2026-12-01T00:00:00.5+01:00",
  ]);
  const { access_token: token } = await (await login(url!)).json();
  const query = await fetch(`${url}/dap/query/canvas/table/courses/data`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ format: "jsonl", since: "2026-12-01T00:00:00Z" }),
  });
  assertEquals(query.status, 400);
  const { error } = await query.json();
  assertEquals([error.type, error.since, error.until], [
    "OutOfRangeError",
    "2026-10-31T23:00:00.500Z",
    "2026-11-30T23:00:00.500Z",
  ]);
  assertEquals(await stop(), true);
});

Deno.test("deno task emulator refuses a --data-at that is not an RFC 3339 instant with a zone", async () => {
  const output = await runner(["--data-at", "2026-12-01T00:00:00"], "piped").output();
  assertEquals(output.code, 2);
  assertEquals(
    new TextDecoder().decode(output.stderr),
    "Cannot start the emulator: --data-at must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:00:00Z\n",
  );
  assertEquals(output.stdout.length, 0);
});

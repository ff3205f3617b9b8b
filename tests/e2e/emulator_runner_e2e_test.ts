import { assertEquals, assertMatch } from "../support/assert.ts";
import { DEMO_CREDENTIAL } from "../emulator/emulator.ts";

const SCRIPT = new URL("../../scripts/emulator.ts", import.meta.url).pathname;

Deno.test("deno task emulator prints its base URL first, then the credentials, and serves", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      SCRIPT,
      "--port",
      "0",
      "--rows",
      "10",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 4) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const [url, id, secret] = text.split("\n");
  assertMatch(url!, /^http:\/\/127\.0\.0\.1:\d+$/);
  assertEquals([id, secret], [
    `DAP_CLIENT_ID=${DEMO_CREDENTIAL.clientId}`,
    `DAP_CLIENT_SECRET=${DEMO_CREDENTIAL.clientSecret}`,
  ]);
  const login = await fetch(`${url}/ids/auth/login`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`)}`,
    },
    body: "grant_type=client_credentials",
  });
  assertEquals(login.status, 200);
  await login.body?.cancel();
  child.kill("SIGINT");
  await reader.cancel();
  assertEquals((await child.status).success, true);
});

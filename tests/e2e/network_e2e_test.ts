/** Corporate networks: HTTP(S)_PROXY / NO_PROXY and an extra CA bundle (DENO_CERT). */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { serveEmulator } from "../emulator/serve_emulator.ts";
import { demoEnv, runDap } from "./run_dap.ts";

const FAST = { rows: 60, rowsPerObject: 30, jobWaitingMs: 0, jobRunningMs: 0 };
const SNAP = ["snapshot", "--namespace", "canvas", "--table", "courses"];

/** A forwarding HTTP proxy on loopback that records what passes through it. */
function serveProxy() {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    const answer = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("HTTP_PROXY carries every call, downloads included; NO_PROXY bypasses it", async () => {
  await using server = serveEmulator(FAST);
  await using proxy = serveProxy();
  const out = await Deno.makeTempDir({ prefix: "dap-proxy-" });
  const via = await runDap([...SNAP, "--output-directory", out], {
    ...demoEnv(server.url),
    HTTP_PROXY: proxy.url,
  });
  assertEquals(via.code, 0, via.stderr);
  assertEquals(proxy.seen.filter((s) => s.startsWith("GET /objects/")).length, 2);
  assert(proxy.seen.includes("POST /ids/auth/login"));
  assert(proxy.seen.includes("POST /dap/object/url"));
  const before = proxy.seen.length;
  const direct = await runDap([...SNAP, "--output-directory", out], {
    ...demoEnv(server.url),
    HTTP_PROXY: proxy.url,
    NO_PROXY: "127.0.0.1",
  });
  assertEquals(direct.code, 0, direct.stderr);
  assertEquals(proxy.seen.length, before);
});

function openssl(dir: string, ...args: string[]): boolean {
  try {
    return new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** A private CA and a localhost certificate it signed, or undefined without openssl. */
function makeCertificates(): { dir: string; cert: string; key: string } | undefined {
  const dir = Deno.makeTempDirSync({ prefix: "dap-ca-" });
  Deno.writeTextFileSync(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  const ok = openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=dap test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ) &&
    openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=localhost",
    ) &&
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    );
  if (!ok) return undefined;
  return {
    dir,
    cert: Deno.readTextFileSync(join(dir, "server.pem")),
    key: Deno.readTextFileSync(join(dir, "server.key")),
  };
}

const CERTS = makeCertificates();
if (!CERTS) {
  Deno.stderr.writeSync(new TextEncoder().encode("CA test ignored: openssl is not available\n"));
}

Deno.test({
  name: "an extra CA bundle (DENO_CERT) is trusted; without it the TLS failure is one clear line",
  ignore: !CERTS,
  fn: async () => {
    await using server = serveEmulator({ ...FAST, tls: { cert: CERTS!.cert, key: CERTS!.key } });
    const out = await Deno.makeTempDir({ prefix: "dap-tls-" });
    const trusted = await runDap([...SNAP, "--output-directory", out], {
      ...demoEnv(server.url),
      DENO_CERT: join(CERTS!.dir, "ca.pem"),
    });
    assertEquals(trusted.code, 0, trusted.stderr);
    assertMatch(trusted.stderr, /^canvas\.courses: 2 files, /m);
    const untrusted = await runDap([...SNAP, "--output-directory", out], demoEnv(server.url));
    assertEquals(untrusted.code, 4);
    assertEquals(
      untrusted.stderr,
      `error: Cannot log in: cannot reach ${server.url} (TLS error: the server's certificate is not trusted; set DENO_CERT to your CA bundle)\n`,
    );
  },
});

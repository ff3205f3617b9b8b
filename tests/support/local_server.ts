/**
 * What the throwaway database servers of the tests (postgres_server.ts,
 * mariadb_server.ts) share: running a program as the server's own account
 * when the tests run as root, a free port on 127.0.0.1, a data directory
 * template cached between runs, and stopping a daemon by its pid. Test
 * support only: nothing under src/ may import it.
 */
import { join } from "node:path";

/** How long a server may take to start or stop before the helper gives up. */
export const SERVER_TIMEOUT_MS = 60_000;

/** True when this process runs as root, where database servers refuse to run. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** The uid and gid of a local account, from /etc/passwd; undefined when it has none. */
export async function lookupAccount(
  name: string,
): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await Deno.readTextFile("/etc/passwd");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Makes `path` (not recursively) belong to `account`, so a server running as it can write there. */
export async function giveTo(path: string, account: string | undefined): Promise<void> {
  if (account === undefined) return;
  const ids = await lookupAccount(account);
  if (ids === undefined) throw new Error(`Cannot chown ${path}: no local account ${account}`);
  await Deno.chown(path, ids.uid, ids.gid);
}

/**
 * Runs a program to completion, as `account` through runuser when given (the
 * tests run as root), directly otherwise; returns its stdout and throws with
 * its output when it fails.
 */
export async function run(
  program: string,
  args: string[],
  options: { account?: string; what: string },
): Promise<string> {
  const [command, argv] = options.account === undefined
    ? [program, args]
    : ["runuser", ["-u", options.account, "--", program, ...args]];
  const output = await new Deno.Command(command, {
    args: argv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C.UTF-8" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(
      `Cannot ${options.what}: ${program} exited with ${output.code}\n${stdout}${stderr}`.trimEnd(),
    );
  }
  return stdout;
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago (callers retry on a clash). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True once process `pid` has exited; a zombie counts as exited, since PID 1
 * may never reap the daemons. Asks ps: Deno wants --allow-all to read /proc.
 */
export async function isGone(pid: number): Promise<boolean> {
  const output = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const state = new TextDecoder().decode(output.stdout).trim();
  return state === "" || state.startsWith("Z") || state.startsWith("X");
}

/**
 * Sends `signal` to `pid` and waits until the process is gone; after
 * `timeoutMs` it escalates to SIGKILL, so a test never hangs on a server.
 * With `pidFile` (which the server deletes last thing on its way out) it
 * first watches that file, which is cheaper than asking ps every 10 ms.
 */
export async function stopPid(
  pid: number,
  signal: Deno.Signal,
  options: { pidFile?: string; timeoutMs?: number } = {},
): Promise<void> {
  if (!signalIfAlive(pid, signal)) return;
  const deadline = Date.now() + (options.timeoutMs ?? SERVER_TIMEOUT_MS);
  while (options.pidFile !== undefined && await exists(options.pidFile)) {
    if (Date.now() > deadline) break;
    await sleep(5);
  }
  while (!(await isGone(pid))) {
    if (Date.now() > deadline) {
      signalIfAlive(pid, "SIGKILL");
      await waitFor(async () => await isGone(pid) || undefined, 10_000, `${pid} to die of SIGKILL`);
      return;
    }
    await sleep(10);
  }
}

function signalIfAlive(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false; // ESRCH: already gone
    throw error;
  }
}

/** Polls `check` every 5 ms until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(5);
  }
}

/** The text of a file, or "" when it does not exist (yet). */
export async function readIfExists(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/** A password that needs URL-encoding (so clients must decode it) and is easy to grep for. */
export function makePassword(): string {
  const random = crypto.getRandomValues(new Uint8Array(6));
  const hex = Array.from(random, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `pw:${hex}@/%?#`;
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Where servers keep their files: $TMPDIR or /tmp. (A tmpfs would make a
 * start about 0.1 s faster, but Deno resolves /run/shm to /dev/shm and wants
 * --allow-all for anything under /dev.)
 */
export function tempRoot(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}

/** Creates a fresh directory (mode 0700) under tempRoot(). */
export function makeServerDir(prefix: string): Promise<string> {
  return Deno.makeTempDir({ dir: tempRoot(), prefix });
}

/**
 * Starts a detached watchdog: should this process die while the server still
 * runs (a killed or timed-out test run never calls stop()), it sends the
 * server `signal`, waits for it (SIGKILL after 60 s) and removes `tempDir`.
 * It exits as soon as the server is gone, so a normal stop() is untouched.
 */
export async function guardServer(
  pid: number,
  signal: "INT" | "TERM",
  tempDir: string,
): Promise<void> {
  // kill -0 is no test here: PID 1 may not reap, and a zombie answers kill -0.
  const script =
    `alive() { [ -r /proc/$1/stat ] && ! grep -qE '^[0-9]+ [(].*[)] [ZX] ' /proc/$1/stat; }
while alive ${Deno.pid}; do alive ${pid} || exit 0; sleep 1; done
kill -${signal} ${pid} 2>/dev/null
i=0; while alive ${pid} && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL ${pid} 2>/dev/null
rm -rf ${shellQuote(tempDir)}`;
  await run("sh", ["-c", `(${script}) </dev/null >/dev/null 2>&1 &`], {
    what: "start the server's watchdog",
  });
}

const READY_MARKER = "template-ready";
const building = new Map<string, Promise<string>>();

/**
 * The path of a directory built once by `build` and kept under the temp
 * directory as `name` (callers put the server version in it), so each server
 * copies it instead of running initdb again (1.1-2 s saved per server). It is
 * built under a unique name and renamed into place, so processes racing to
 * build it never see half of one. A cached one that lacks any of `required`
 * (paths inside it; a temp cleaner may have been there) is built again.
 */
export function cachedTemplate(
  name: string,
  options: {
    account: string | undefined;
    required: string[];
    build: (dir: string) => Promise<void>;
  },
): Promise<string> {
  let pending = building.get(name);
  if (pending === undefined) {
    pending = buildTemplate(name, options);
    building.set(name, pending);
    pending.catch(() => building.delete(name));
  }
  return pending;
}

async function discardTemplate(final: string): Promise<void> {
  const stale = `${final}.stale-${crypto.randomUUID()}`;
  try {
    await Deno.rename(final, stale);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await Deno.remove(stale, { recursive: true });
}

async function isComplete(dir: string, required: string[]): Promise<boolean> {
  for (const path of [READY_MARKER, ...required]) {
    if (!(await exists(join(dir, path)))) return false;
  }
  return true;
}

async function buildTemplate(
  name: string,
  options: {
    account: string | undefined;
    required: string[];
    build: (dir: string) => Promise<void>;
  },
): Promise<string> {
  const final = join(tempRoot(), name);
  if (await isComplete(final, options.required)) return final;
  const dir = await makeServerDir(`${name}.building-`);
  try {
    await giveTo(dir, options.account);
    await options.build(dir);
    await Deno.writeTextFile(join(dir, READY_MARKER), `${new Date().toISOString()}\n`);
    await moveIntoPlace(dir, final, options.required);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return final;
}

async function moveIntoPlace(dir: string, final: string, required: string[]): Promise<void> {
  try {
    await Deno.rename(dir, final);
  } catch (error) {
    if (await isComplete(final, required)) return; // another process was first
    if (!(await exists(final))) throw error;
    await discardTemplate(final); // an incomplete one sits there: replace it
    await Deno.rename(dir, final);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Copies a directory tree keeping owners and modes (cp -a; root keeps the server's owner). */
export async function copyTree(from: string, to: string): Promise<void> {
  await run("cp", ["-a", from, to], { what: `copy ${from} to ${to}` });
}

/**
 * A self-signed certificate for 127.0.0.1 (and localhost), made with openssl
 * in `dir` as `account`, so the server may read its key (mode 0600).
 */
export async function makeCertificate(
  dir: string,
  account: string | undefined,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "server.crt");
  const keyFile = join(dir, "server.key");
  await run("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1"],
    ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
  ], { account, what: "make a test TLS certificate (openssl req)" });
  return { certFile, keyFile };
}

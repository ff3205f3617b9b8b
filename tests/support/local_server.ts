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

/** True once process `pid` has exited (a zombie nobody reaps counts as exited). */
export function isGone(pid: number): boolean {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}

/**
 * Sends `signal` to `pid` and waits until the process is gone; after
 * `timeoutMs` it escalates to SIGKILL, so a test never hangs on a server.
 */
export async function stopPid(
  pid: number,
  signal: Deno.Signal,
  timeoutMs = SERVER_TIMEOUT_MS,
): Promise<void> {
  if (!signalIfAlive(pid, signal)) return;
  const deadline = Date.now() + timeoutMs;
  while (!isGone(pid)) {
    if (Date.now() > deadline) {
      signalIfAlive(pid, "SIGKILL");
      await waitFor(() => isGone(pid), 10_000, `process ${pid} to die after SIGKILL`);
      return;
    }
    await sleep(5);
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

let cachedRoot: string | undefined;

/**
 * Where servers keep their files: /dev/shm (tmpfs) when it is writable, since
 * copying a template and running a server there is 3-5 times faster than on
 * disk; else $TMPDIR or /tmp.
 */
export function tempRoot(): string {
  if (cachedRoot === undefined) {
    cachedRoot = Deno.env.get("TMPDIR") || "/tmp";
    try {
      Deno.removeSync(Deno.makeTempDirSync({ dir: "/dev/shm", prefix: "dap-test-probe-" }));
      cachedRoot = "/dev/shm";
    } catch {
      // no tmpfs here, or not writable: the disk will do
    }
  }
  return cachedRoot;
}

const READY_MARKER = "template-ready";
const building = new Map<string, Promise<string>>();

/**
 * The path of a directory built once by `build` and kept under the temp
 * directory as `name` (callers put the server version in it), so each server
 * copies it instead of running initdb again (1.1-2 s saved per server). It is
 * built under a unique name and renamed into place, so processes racing to
 * build it never see half of one.
 */
export function cachedTemplate(
  name: string,
  account: string | undefined,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  let pending = building.get(name);
  if (pending === undefined) {
    pending = buildTemplate(name, account, build);
    building.set(name, pending);
    pending.catch(() => building.delete(name));
  }
  return pending;
}

/** Forgets a cached template (after a server copied from it failed to start). */
export async function discardTemplate(name: string): Promise<void> {
  building.delete(name);
  const final = join(tempRoot(), name);
  const stale = `${final}.stale-${crypto.randomUUID()}`;
  try {
    await Deno.rename(final, stale);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await Deno.remove(stale, { recursive: true });
}

async function buildTemplate(
  name: string,
  account: string | undefined,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const final = join(tempRoot(), name);
  if (await exists(join(final, READY_MARKER))) return final;
  const dir = await Deno.makeTempDir({ dir: tempRoot(), prefix: `${name}.building-` });
  try {
    await giveTo(dir, account);
    await build(dir);
    await Deno.writeTextFile(join(dir, READY_MARKER), `${new Date().toISOString()}\n`);
    await moveIntoPlace(dir, final);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return final;
}

async function moveIntoPlace(dir: string, final: string): Promise<void> {
  try {
    await Deno.rename(dir, final);
  } catch (error) {
    if (await exists(join(final, READY_MARKER))) return; // another process was first
    if (!(await exists(final))) throw error;
    // Something without the marker sits there (half deleted by a temp cleaner?): replace it.
    await discardTemplate(final.slice(final.lastIndexOf("/") + 1));
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

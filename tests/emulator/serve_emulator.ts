/** Serves an emulator on 127.0.0.1; each test gets its own with `await using`. */
import { Emulator, type EmulatorOptions } from "./emulator.ts";

/** A running emulator server. */
export interface EmulatorServer extends AsyncDisposable {
  /** base URL, e.g. `http://127.0.0.1:8787` */
  url: string;
  emulator: Emulator;
  close(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1 (port 0 picks a free port). */
export function serveEmulator(
  options: EmulatorOptions & {
    port?: number;
    signal?: AbortSignal;
    tls?: { cert: string; key: string };
  } = {},
): EmulatorServer {
  const emulator = new Emulator(options);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    ...(options.tls ?? {}),
    signal: options.signal,
    onListen: () => {},
    onError: (error) =>
      new Response(JSON.stringify({ message: `emulator error: ${error}` }), { status: 500 }),
  }, emulator.handler);
  // With TLS the certificate names localhost, so the URL does too.
  const url = options.tls
    ? `https://localhost:${server.addr.port}`
    : `http://127.0.0.1:${server.addr.port}`;
  const close = async () => {
    await server.shutdown().catch(() => {});
  };
  return { url, emulator, close, [Symbol.asyncDispose]: close };
}

/** A tiny raw client over an emulator handler, for the emulator's own tests. */
import { DEMO_CREDENTIAL } from "../emulator/emulator.ts";

type Handler = (request: Request) => Promise<Response>;

/** The base URL tests use with a handler as fetch. */
export const BASE = "http://emulator.test";

/** Logs in with the demo credentials; returns the access token. */
export async function login(handler: Handler): Promise<string> {
  const basic = btoa(`${DEMO_CREDENTIAL.clientId}:${DEMO_CREDENTIAL.clientSecret}`);
  const response = await handler(
    new Request(`${BASE}/ids/auth/login`, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    }),
  );
  return (await response.json()).access_token;
}

/** One authenticated call; returns status, headers and the parsed JSON body. */
export async function call(
  handler: Handler,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await handler(
    new Request(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: response.status, headers: response.headers, json: await response.json() };
}

/** Downloads a URL without credentials. */
export async function download(
  handler: Handler,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const response = await handler(new Request(url, { headers }));
  return {
    status: response.status,
    headers: response.headers,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

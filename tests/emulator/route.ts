/** Maps a method and path to the emulator's endpoint and its path parameters. */
import type { Endpoint } from "./faults.ts";

/** An endpoint and the parameters taken from its path. */
export interface Route {
  endpoint: Endpoint;
  params: string[];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The route of a request (beta paths already mapped to stable ones), or undefined. */
export function routeOf(method: string, path: string): Route | undefined {
  const table = path.match(/^\/dap\/query\/([^/]+)\/table(?:\/([^/]+)\/(schema|data))?$/);
  if (path === "/ids/auth/login" && method === "POST") return { endpoint: "login", params: [] };
  if (table && method === "GET" && !table[2]) return { endpoint: "tables", params: [table[1]!] };
  if (table && method === "GET" && table[3] === "schema") {
    return { endpoint: "schema", params: [table[1]!, table[2]!] };
  }
  if (table && method === "POST" && table[3] === "data") {
    return { endpoint: "query", params: [table[1]!, table[2]!] };
  }
  const job = path.match(/^\/dap\/job\/([^/]+)$/);
  if (job && method === "GET") return { endpoint: "job", params: [job[1]!] };
  if (path === "/dap/object/url" && method === "POST") return { endpoint: "urls", params: [] };
  const object = path.match(/^\/objects\/([^/]+)\/[^/]*$/);
  if (object && (method === "GET" || method === "HEAD")) {
    return { endpoint: "object", params: [safeDecode(object[1]!)] };
  }
  return undefined;
}

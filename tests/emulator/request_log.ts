/** The request log: what the emulator saw, with credentials, tokens and signatures redacted. */
import type { Endpoint } from "./faults.ts";

/** One request as the emulator saw it, with secrets redacted. */
export interface RecordedRequest {
  at: number;
  method: string;
  endpoint: Endpoint | "unknown";
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = name === "authorization" || name === "x-instauth"
      ? value.replace(/^(\w+)\s.*$/, "$1 [redacted]")
      : value;
  });
  return out;
}

function redactPath(url: URL): string {
  const search = url.search.replace(/(X-Amz-Signature=)[^&]*/, "$1[redacted]");
  return url.pathname + search;
}

/** The log entry of a request not answered yet (`status` 0). */
export function recordRequest(
  request: Request,
  fields: { at: number; url: URL; body: string; endpoint: Endpoint | undefined },
): RecordedRequest {
  return {
    at: fields.at,
    method: request.method,
    endpoint: fields.endpoint ?? "unknown",
    path: redactPath(fields.url),
    headers: redactHeaders(request.headers),
    body: fields.endpoint === "login"
      ? fields.body.replace(/client_secret=[^&]*/, "client_secret=[redacted]")
      : fields.body,
    status: 0,
  };
}

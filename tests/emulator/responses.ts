/**
 * Answer helpers: JSON bodies, the API's typed error bodies (contract §2.4),
 * injected fault answers and S3's XML errors. Every error carries a fresh uuid.
 */
import type { Fault } from "./faults.ts";

const JSON_HEADERS = { "content-type": "application/json" };

/** Builds the emulator's answers; `uuid` gives each error its id. */
export class Responses {
  readonly #uuid: (salt: string) => string;

  constructor(uuid: (salt: string) => string) {
    this.#uuid = uuid;
  }

  /** A JSON answer. */
  json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(value), {
      status,
      headers: { ...JSON_HEADERS, ...headers },
    });
  }

  /** An `{"error": {type, uuid, message, ...extra}}` answer. */
  error(
    status: number,
    type: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Response {
    const error = { type, uuid: this.#uuid("error"), message, ...extra };
    return this.json(status, { error }, headers);
  }

  /** A 400 ValidationError with the location the API reports. */
  validationError(message: string): Response {
    return this.error(400, "ValidationError", message, {
      location: { line: 1, column: 1, character: 0 },
    });
  }

  /** A 404 ObjectNotFound naming what is missing. */
  notFound(kind: string, id: string): Response {
    return this.error(404, "ObjectNotFound", `The ${kind} '${id}' does not exist`, { id, kind });
  }

  /** S3's XML error body, as downloads answer. */
  s3Error(status: number, code: string, message: string): Response {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
      `<Message>${message}</Message><RequestId>${this.#uuid("s3")}</RequestId></Error>`;
    return new Response(xml, { status, headers: { "content-type": "application/xml" } });
  }

  /** An injected status fault: a gateway's 504, an HTML page, or a typed error. */
  faultStatus(fault: Extract<Fault, { kind: "status" }>): Response {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
    if (fault.status === 504) {
      return this.json(504, { message: "Endpoint request timed out" }, headers);
    }
    if (fault.plain) {
      return new Response(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`, {
        status: fault.status,
        headers: { "content-type": "text/html", ...headers },
      });
    }
    const type = fault.type ?? (fault.status === 429 ? "TooManyRequests" : "InternalServerError");
    return this.error(
      fault.status,
      type,
      fault.message ?? `Injected fault ${fault.status}`,
      {},
      headers,
    );
  }
}

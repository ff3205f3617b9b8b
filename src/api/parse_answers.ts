/**
 * Parsers of the Query API's answers (contract §2). They accept what the
 * contract allows, ignore unknown keys, and throw `SyntaxError` for an answer
 * of the wrong shape. Server text in the messages they build goes through
 * `printable()`.
 */
import { objectUrlProblem } from "../object_url.ts";
import { printable } from "../printable.ts";

/** A job's state on the server. */
export type JobStatus = "waiting" | "running" | "complete" | "failed";

/** A job as the client knows it. */
export interface Job {
  id: string;
  status: JobStatus;
  expiresAt?: string;
  objects: string[];
  schemaVersion?: number;
  at?: string;
  since?: string;
  until?: string;
  error?: { type?: string; uuid?: string; message?: string };
}

/** A token from the identity service. */
export interface Token {
  accessToken: string;
  expiresIn: number;
}

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new SyntaxError(`Cannot read ${what}: expected a JSON object`);
  }
  return value as Json;
}

function string(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new SyntaxError(`Cannot read ${what}: expected a non-empty string`);
  }
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Parses the login answer. */
export function parseToken(value: unknown): Token {
  const body = object(value, "the login answer");
  const accessToken = string(body.access_token, "the login answer's access_token");
  const expiresIn = typeof body.expires_in === "number" ? body.expires_in : Number(body.expires_in);
  return { accessToken, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600 };
}

/** Parses `{"tables": [...]}`. */
export function parseTableList(value: unknown): string[] {
  const tables = object(value, "the table list").tables;
  if (!Array.isArray(tables) || tables.some((t) => typeof t !== "string")) {
    throw new SyntaxError("Cannot read the table list: expected tables to be strings");
  }
  return tables as string[];
}

/** A table's schema as the API answers it. */
export interface SchemaAnswer {
  schema: Json;
  version: number;
}

/** Parses `{"schema": {...}, "version": N}`. */
export function parseSchema(value: unknown): SchemaAnswer {
  const body = object(value, "the schema answer");
  const version = body.version;
  if (typeof version !== "number" || !Number.isInteger(version)) {
    throw new SyntaxError("Cannot read the schema answer: expected an integer version");
  }
  return { schema: object(body.schema, "the schema"), version };
}

const STATUSES: readonly string[] = ["waiting", "running", "complete", "failed"];

/** Parses a job object (endpoints 3 and 4). */
export function parseJob(value: unknown): Job {
  const body = object(value, "the job");
  const status = body.status;
  if (typeof status !== "string" || !STATUSES.includes(status)) {
    throw new SyntaxError(
      `Cannot read the job: unknown status ${printable(JSON.stringify(status) ?? "")}`,
    );
  }
  const job: Job = {
    id: string(body.id, "the job id"),
    status: status as JobStatus,
    expiresAt: optionalString(body.expires_at),
    objects: [],
    at: optionalString(body.at),
    since: optionalString(body.since),
    until: optionalString(body.until),
  };
  if (typeof body.schema_version === "number") job.schemaVersion = body.schema_version;
  if (status === "complete") job.objects = parseObjectList(body.objects, job.id);
  if (status === "failed") {
    const error = body.error && typeof body.error === "object" ? body.error as Json : {};
    job.error = {
      type: optionalString(error.type),
      uuid: optionalString(error.uuid),
      message: optionalString(error.message),
    };
  }
  return job;
}

/**
 * A complete job's `objects`: required (an empty list is an empty result, a
 * missing one a broken answer), each an `{"id"}`; an id listed twice is kept once.
 */
function parseObjectList(objects: unknown, jobId: string): string[] {
  if (!Array.isArray(objects)) {
    throw new SyntaxError(
      `Cannot read job ${printable(jobId)}: it is complete but its objects are ${
        objects === undefined ? "missing" : "not a list"
      }`,
    );
  }
  const ids = objects.map((o) => string(object(o, "a job object").id, "an object id"));
  return [...new Set(ids)];
}

/**
 * Parses `{"urls": {"<id>": {"url": "..."}}}` into a map from object id to
 * URL; a URL that is not https:// (or http:// to this machine) is refused.
 */
export function parseObjectUrls(value: unknown): Map<string, string> {
  const urls = object(object(value, "the object URLs").urls, "the object URLs");
  const out = new Map<string, string>();
  for (const [id, entry] of Object.entries(urls)) {
    const what = `the URL of ${printable(id)}`;
    const url = string(object(entry, what).url, what);
    const problem = objectUrlProblem(url);
    if (problem) throw new SyntaxError(`Cannot download object ${printable(id)}: ${problem}`);
    out.set(id, url);
  }
  return out;
}

/** The parts of an error answer a user needs: message, type, uuid. */
export interface ErrorDetails {
  message: string;
  type?: string;
  uuid?: string;
}

/** Reads an error answer of any shape: the DAP envelope, a gateway message, XML, HTML, nothing. */
export function parseErrorBody(status: number, text: string): ErrorDetails {
  try {
    const body = JSON.parse(text);
    const error = body?.error;
    if (error && typeof error === "object") {
      // OutOfRangeError and SnapshotRequiredError say which range is allowed.
      const range = typeof error.since === "string"
        ? ` (allowed range: since ${error.since}${
          typeof error.until === "string" ? ` until ${error.until}` : ""
        })`
        : "";
      return printableDetails({
        message: (optionalString(error.message) ?? `HTTP ${status}`) + range,
        type: optionalString(error.type),
        uuid: optionalString(error.uuid),
      });
    }
    if (typeof body?.message === "string") return printableDetails({ message: body.message });
  } catch {
    // not JSON: a gateway, proxy or S3 answered
  }
  const code = text.match(/<Code>([^<]+)<\/Code>/)?.[1];
  const xmlMessage = text.match(/<Message>([^<]+)<\/Message>/)?.[1];
  if (code) {
    return printableDetails({
      message: `${code}${xmlMessage ? `: ${xmlMessage}` : ""}`,
      type: code,
    });
  }
  return { message: `HTTP ${status} with a non-JSON body` };
}

/** The same details with every server text made printable (keys kept as given). */
function printableDetails(details: ErrorDetails): ErrorDetails {
  const out: ErrorDetails = { ...details, message: printable(details.message) };
  if ("type" in details) out.type = details.type && printable(details.type, 100);
  if ("uuid" in details) out.uuid = details.uuid && printable(details.uuid, 100);
  return out;
}

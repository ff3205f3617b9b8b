/**
 * Objects: trades object ids for pre-signed URLs (`POST /dap/object/url`) and
 * serves those URLs as S3 does: signature and expiry checked, `Range`,
 * `Content-Length` and an MD5 `ETag`, S3's XML errors, and the download
 * faults (cut, slow, truncated gzip, expired URL, ignored Range, status).
 */
import { createHmac } from "node:crypto";
import { chooseFault, type Fault } from "./faults.ts";
import type { Jobs } from "./jobs.ts";
import { ObjectCache } from "./object_cache.ts";
import type { SharedState } from "./shared_state.ts";

/**
 * A file name as the last segment of an S3 URL: RFC 3986 unreserved characters
 * (letters, digits, `-._~`) literal, everything else percent-encoded; with
 * `overEncode`, dots encoded too.
 */
function urlName(fileName: string, overEncode: boolean): string {
  const name = encodeURIComponent(fileName).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return overEncode ? name.replaceAll(".", "%2E") : name;
}

/** Signs object URLs and serves the downloads. */
export class Objects {
  readonly #state: SharedState;
  readonly #jobs: Jobs;
  readonly #cache: ObjectCache;

  constructor(state: SharedState, jobs: Jobs) {
    this.#state = state;
    this.#jobs = jobs;
    this.#cache = new ObjectCache(state);
  }

  /** The bytes of an object as served; RangeError when there is no such object. */
  bytes(id: string): Uint8Array {
    const found = this.#jobs.findObject(id);
    if (!found) throw new RangeError(`No such object: ${id}`);
    return this.#cache.get(found.job, found.object).bytes;
  }

  #signature(id: string, date: string, expires: string): string {
    return createHmac("sha256", this.#state.signingKey).update(`${id}\n${date}\n${expires}`)
      .digest("hex");
  }

  /** Answers `POST /dap/object/url`: one pre-signed URL per id, or the first error. */
  urls(body: string, origin: string): Response {
    const { options, respond } = this.#state;
    let ids: string[];
    try {
      const parsed = JSON.parse(body);
      if (!Array.isArray(parsed) || parsed.length === 0) throw new Error();
      ids = parsed.map((item) => {
        if (typeof item?.id !== "string") throw new Error();
        return item.id as string;
      });
    } catch {
      return respond.validationError('The body must be a non-empty JSON array of {"id": string}');
    }
    const urls: Record<string, { url: string }> = {};
    const date = new Date(options.now()).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const expires = String(options.urlLifetimeSeconds);
    for (const id of ids) {
      if (!this.#jobs.findObject(id)) return respond.notFound("object", id);
      const signature = this.#signature(id, date, expires);
      this.#state.issuedSecrets.push(signature);
      const query = new URLSearchParams({
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Date": date,
        "X-Amz-Expires": expires,
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": signature,
      });
      // The object id is one encoded segment; the last segment is the file name, as on S3.
      const name = urlName(this.#jobs.findObject(id)!.object.fileName, options.encodeUrlNames);
      urls[id] = { url: `${origin}/objects/${encodeURIComponent(id)}/${name}?${query}` };
    }
    return respond.json(200, { urls });
  }

  /** Answers a GET or HEAD of a pre-signed URL. */
  download(id: string, request: Request, url: URL, attempt: number): Response {
    const { options, respond } = this.#state;
    const date = url.searchParams.get("X-Amz-Date") ?? "";
    const expires = url.searchParams.get("X-Amz-Expires") ?? "";
    const signature = url.searchParams.get("X-Amz-Signature") ?? "";
    if (signature !== this.#signature(id, date, expires)) {
      return respond.s3Error(403, "SignatureDoesNotMatch", "The request signature does not match");
    }
    const signedAt = Date.parse(
      date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
    );
    const found = this.#jobs.findObject(id);
    if (!found) return respond.s3Error(404, "NoSuchKey", "The specified key does not exist.");
    const { bytes, md5 } = this.#cache.get(found.job, found.object);
    const fault = chooseFault(
      { endpoint: "object", path: url.pathname, attempt, size: bytes.length },
      options.faults,
      options.chaos,
    );
    if (fault) this.#state.countFault(fault);
    const expired = options.now() > signedAt + Number(expires) * 1000;
    if (expired || fault?.kind === "expiredUrl") {
      return respond.s3Error(403, "AccessDenied", "Request has expired");
    }
    if (fault?.kind === "status") return respond.s3Error(fault.status, "InternalError", "Injected");
    const served = fault?.kind === "truncatedGzip"
      ? bytes.subarray(0, Math.max(0, bytes.length - 20))
      : bytes;
    const headers: Record<string, string> = {
      "content-type": "binary/octet-stream",
      "accept-ranges": "bytes",
      etag: `"${md5}"`,
      "last-modified": new Date(found.job.createdAt).toUTCString(),
    };
    let start = 0, end = served.length;
    const range = request.headers.get("range")?.match(/^bytes=(\d+)-(\d*)$/);
    let status = 200;
    if (range && fault?.kind !== "ignoreRange") {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]) + 1, served.length) : served.length;
      if (start >= served.length || end <= start) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${served.length}` },
        });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end - 1}/${served.length}`;
    }
    headers["content-length"] = String(end - start);
    if (request.method === "HEAD") return new Response(null, { status, headers });
    const body = served.subarray(start, end);
    if (!fault) {
      this.#state.countServed(body.length);
      return new Response(body as Uint8Array<ArrayBuffer>, { status, headers });
    }
    return new Response(this.#body(body, fault, start), { status, headers });
  }

  /** A body that honours the download faults: cut after N bytes, or slow chunks. */
  #body(bytes: Uint8Array, fault: Fault | undefined, offset: number): ReadableStream<Uint8Array> {
    const chunk = fault?.kind === "slow" ? fault.chunkBytes : 256 * 1024;
    const cutAt = fault?.kind === "cut" ? Math.max(0, fault.afterBytes - offset) : Infinity;
    const sleep = this.#state.options.sleep;
    const countServed = this.#state.countServed;
    let position = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (position >= cutAt) {
          controller.error(new Error("connection reset by emulator fault"));
          return;
        }
        if (position >= bytes.length) {
          controller.close();
          return;
        }
        if (fault?.kind === "slow" && position > 0) await sleep(fault.delayMs);
        const end = Math.min(bytes.length, position + chunk, cutAt);
        controller.enqueue(bytes.slice(position, end));
        countServed(end - position);
        position = end;
      },
    }, { highWaterMark: 0 });
  }
}

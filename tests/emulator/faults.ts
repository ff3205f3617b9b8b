/**
 * Deterministic fault injection for the emulator. Faults are chosen per
 * endpoint and per attempt (the n-th request for the same method and path),
 * either by explicit rules or by a seeded "chaos" rate, never by timing.
 */
import { hashOf } from "./random.ts";

/** The emulator's endpoints, as fault rules and rate limits name them. */
export type Endpoint = "login" | "tables" | "schema" | "query" | "job" | "urls" | "object";

/** What goes wrong. */
export type Fault =
  /** answer this status instead; `body` text is not JSON when `plain` is set */
  | {
    kind: "status";
    status: number;
    retryAfter?: string;
    plain?: boolean;
    type?: string;
    message?: string;
  }
  /** download: send the headers of the whole object, then break after N bytes */
  | { kind: "cut"; afterBytes: number }
  /** download: trickle the body in chunks with a pause between them */
  | { kind: "slow"; chunkBytes: number; delayMs: number }
  /** download: serve the gzip stream without its tail (the ETag stays the true MD5) */
  | { kind: "truncatedGzip" }
  /** download: answer 403 AccessDenied as S3 does for an expired pre-signed URL */
  | { kind: "expiredUrl" }
  /** download: ignore a Range header and answer 200 with the whole object */
  | { kind: "ignoreRange" }
  /** query: the job it creates ends `failed` with a ProcessingError */
  | { kind: "jobFailed" };

/** One rule: which requests get which fault. */
export interface FaultRule {
  endpoint: Endpoint;
  /** 1-based attempt numbers at the same method and path; all attempts when absent */
  attempts?: number[];
  /** only requests whose path contains this text */
  pathIncludes?: string;
  fault: Fault;
}

/** Seeded random faults, for the fault-matrix tests. */
export interface ChaosOptions {
  seed: number;
  /** share of API calls (every endpoint but downloads) answering a retryable error */
  apiErrorRate?: number;
  /** share of downloads cut at a random offset */
  cutRate?: number;
}

const CHAOS_STATUSES = [500, 502, 503, 504, 429];

/** Picks the fault for one request, or undefined for a clean answer. */
export function chooseFault(
  request: { endpoint: Endpoint; path: string; attempt: number; size?: number },
  rules: readonly FaultRule[],
  chaos?: ChaosOptions,
): Fault | undefined {
  for (const rule of rules) {
    if (rule.endpoint !== request.endpoint) continue;
    if (rule.attempts && !rule.attempts.includes(request.attempt)) continue;
    if (rule.pathIncludes && !request.path.includes(rule.pathIncludes)) continue;
    return rule.fault;
  }
  if (!chaos) return undefined;
  const roll = hashOf(chaos.seed, `${request.path}#${request.attempt}`) / 4294967296;
  if (request.endpoint === "object") {
    if (roll >= (chaos.cutRate ?? 0) || !request.size) return undefined;
    return { kind: "cut", afterBytes: Math.floor((roll / (chaos.cutRate ?? 1)) * request.size) };
  }
  if (roll >= (chaos.apiErrorRate ?? 0)) return undefined;
  const status = CHAOS_STATUSES[hashOf(chaos.seed + 1, request.path) % CHAOS_STATUSES.length]!;
  return { kind: "status", status, retryAfter: status === 429 ? "0" : undefined };
}

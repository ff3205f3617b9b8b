/** The emulator's settings, their defaults, and the credentials and limits it documents. */
import type { ChaosOptions, Endpoint, FaultRule } from "./faults.ts";
import { HISTORY_ANCHOR } from "./row_history.ts";

/** A client id and secret the emulator accepts. */
export interface Credential {
  clientId: string;
  clientSecret: string;
}

/** Documented demo credentials: the emulator accepts these unless told otherwise. */
export const DEMO_CREDENTIAL: Credential = {
  clientId: "us-east-1#dap-demo-client",
  clientSecret: "dap-demo-secret-do-not-use",
};

/** Requests allowed per window, per endpoint. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** The documented per-minute limits (contract §2). */
export const DOCUMENTED_RATE_LIMITS: Partial<Record<Endpoint, RateLimit>> = {
  tables: { limit: 5, windowMs: 60_000 },
  schema: { limit: 500, windowMs: 60_000 },
  query: { limit: 5, windowMs: 60_000 },
  job: { limit: 500, windowMs: 60_000 },
  urls: { limit: 200, windowMs: 60_000 },
};

/** Emulator settings; every one has a documented default. */
export interface EmulatorOptions {
  /** seed of all generated data and ids @default 1 */
  seed?: number;
  /**
   * row slots per table: about 97% hold a live row at any instant; a day moves
   * about 5% of them (1% inserted, 1% deleted, 3% updated; `row_history.ts`)
   * @default 1000
   */
  rows?: number;
  /** rows per object @default 250 */
  rowsPerObject?: number;
  /** accepted credentials @default [DEMO_CREDENTIAL] */
  credentials?: Credential[];
  /** token lifetime in seconds @default 3600 */
  tokenLifetimeSeconds?: number;
  /** how long a new job stays `waiting`, then `running` (ms) @default 100 and 300 */
  jobWaitingMs?: number;
  jobRunningMs?: number;
  /** job lifetime (ms) @default 24 h */
  jobLifetimeMs?: number;
  /** pre-signed URL lifetime (s) @default 900 */
  urlLifetimeSeconds?: number;
  /**
   * the instant whose table state the emulator serves (epoch ms): a new
   * snapshot's `at`, the default and latest `until` of a new incremental.
   * Move it with `configure({ dataAt })`: rows are inserted, updated and
   * deleted in between, deterministically from the seed.
   * @default 2026-11-20T08:00:00Z
   */
  dataAt?: number;
  /**
   * the instant every table's schema gains one nullable value column
   * (`schema_bump_note`) and its version goes up by one, as seen from `dataAt`;
   * rows changed at or after it fill the column. Off when absent.
   * @default undefined
   */
  schemaBumpAt?: number;
  /** how far back changes are kept, for incremental queries (ms) @default 30 days */
  keptMs?: number;
  /** per-endpoint rate limits; off when absent @default {} */
  rateLimits?: Partial<Record<Endpoint, RateLimit>>;
  /** explicit faults @default [] */
  faults?: FaultRule[];
  /** seeded random faults @default none */
  chaos?: ChaosOptions;
  /** gzip level of text objects @default 6 */
  gzipLevel?: number;
  /** bytes of encoded objects kept in memory @default 256 MiB */
  cacheBytes?: number;
  /**
   * Benchmarks: every job has exactly `objects` objects of `objectBytes` opaque
   * bytes each (fast to make, not records), so the server is not the bottleneck.
   */
  synthetic?: { objects: number; objectBytes: number };
  /** the file name in an object's URL (tests give hostile ones) @default `part-<n>-<uuid>-c000.<ext>` */
  objectFileName?: (index: number, standard: string) => string;
  /**
   * Percent-encode the file name in an object's URL beyond need, dots included
   * (`part-00000-<uuid>-c000%2Ejson%2Egz`), for tests of clients that must
   * decode it. By default the name is written as S3 writes it: dots and dashes
   * literal, only characters outside RFC 3986's unreserved set encoded.
   * @default false
   */
  encodeUrlNames?: boolean;
  /** clock @default Date.now */
  now?: () => number;
  /** timer used by slow bodies @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** The settings with every default filled in; `configure()` changes them in place. */
export type ResolvedOptions =
  & Required<Omit<EmulatorOptions, "chaos" | "objectFileName" | "synthetic" | "schemaBumpAt">>
  & {
    schemaBumpAt?: number;
    chaos?: ChaosOptions;
    objectFileName?: EmulatorOptions["objectFileName"];
    synthetic?: EmulatorOptions["synthetic"];
  };

/** Fills in the documented defaults (for absent or undefined settings) and checks what cannot work. */
export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ResolvedOptions = {
    seed: 1,
    rows: 1000,
    rowsPerObject: 250,
    credentials: [DEMO_CREDENTIAL],
    tokenLifetimeSeconds: 3600,
    jobWaitingMs: 100,
    jobRunningMs: 300,
    jobLifetimeMs: 24 * 3_600_000,
    urlLifetimeSeconds: 900,
    encodeUrlNames: false,
    dataAt: HISTORY_ANCHOR,
    keptMs: 30 * 86_400_000,
    rateLimits: {},
    faults: [],
    gzipLevel: 6,
    cacheBytes: 256 * 1024 * 1024,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...given,
  };
  if (resolved.rowsPerObject < 1) throw new RangeError("rowsPerObject must be at least 1");
  return resolved;
}

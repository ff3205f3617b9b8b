/** The flags of every command that runs jobs (snapshot, incremental, initdb, syncdb), declared once. */

/** Default download concurrency (see docs/benchmarks.md, "Choosing --concurrency"). */
export const DEFAULT_CONCURRENCY = 8;

/** --concurrency, --rate-limits, --job-timeout and --json. */
export const RUN_OPTIONS = {
  concurrency: {
    flags: "--concurrency <n>",
    description: "objects downloaded at once, across all tables",
    default: String(DEFAULT_CONCURRENCY),
  },
  rateLimits: {
    flags: "--rate-limits <limits>",
    description: "override API rate limits, e.g. query=5/60s,job=500/60s,urls=200/60s",
  },
  jobTimeout: {
    flags: "--job-timeout <seconds>",
    description:
      "give up on a job still running after this long (env DAP_JOB_TIMEOUT; default: wait as long as it runs)",
  },
  json: { flags: "--json", description: "print a machine-readable run summary on stdout" },
} as const;

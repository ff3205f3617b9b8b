/** The global flags, accepted before or after the command (as the official 2.x CLI documents them). */
import { LOG_LEVELS } from "../report/logger.ts";
import type { FlagsOf } from "./command_tree/option_spec.ts";
import { DEFAULT_BASE_URL } from "./resolve_config.ts";

/** Every global flag, declared once. */
export const GLOBAL_OPTIONS = {
  baseUrl: {
    flags: "--base-url <url>",
    description: `DAP API base URL (env DAP_API_URL; default: ${DEFAULT_BASE_URL})`,
  },
  clientId: { flags: "--client-id <id>", description: "client id (env DAP_CLIENT_ID)" },
  clientSecret: {
    flags: "--client-secret <secret>",
    description: "client secret (env DAP_CLIENT_SECRET)",
  },
  loglevel: { flags: "--loglevel <level>", description: "log level", choices: LOG_LEVELS },
  logfile: {
    flags: "--logfile <path>",
    description: "write log lines to this file instead of stderr",
  },
  logformat: {
    flags: "--logformat <format>",
    description: "log line format",
    choices: ["plain", "json"],
  },
  nonInteractive: {
    flags: "--non-interactive",
    description: "no status line: plain log lines on stderr (official 2.x)",
  },
  logToConsole: {
    flags: "--no-log-to-console",
    description: "log only to --logfile (official 2.x)",
  },
  tracking: {
    flags: "--no-tracking",
    description: "accepted for the official 2.x CLI; dap never tracks",
  },
  consoleTheme: {
    flags: "--console-theme <theme>",
    description: "accepted for the official 2.x CLI",
  },
  requestTimeout: {
    flags: "--request-timeout <seconds>",
    description:
      "longest wait for an answer's headers, connecting included (env DAP_REQUEST_TIMEOUT; default: 60)",
  },
  idleTimeout: {
    flags: "--idle-timeout <seconds>",
    description: "longest silence inside an answer's body (env DAP_IDLE_TIMEOUT; default: 60)",
  },
  retryBudget: {
    flags: "--retry-budget <n>",
    description:
      "retries the whole run may make before it fails (env DAP_RETRY_BUDGET; default: 100)",
  },
} as const;

/** The global flags as parsed. */
export type GlobalFlagValues = FlagsOf<typeof GLOBAL_OPTIONS>;

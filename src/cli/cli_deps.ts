/** The world the CLI runs in: `main.ts` gives it the real one, tests give fakes. */
import type { PollSchedule } from "../job/poll_schedule.ts";
import type { RetryPolicy } from "../retry.ts";
import type { Log } from "../runtime.ts";

/** Arguments, environment, output and the runtime's ingredients. */
export interface CliDeps {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** data (`list`, `--json`) */
  stdout: (text: string) => void;
  /** everything for people */
  stderr: (text: string) => void;
  /** whether stderr is a terminal (progress line) @default false */
  isTerminal?: boolean;
  /** terminal width @default 100 */
  columns?: number;
  /** appends to the log file named by --logfile */
  appendLog?: (path: string, text: string) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  poll?: PollSchedule;
  /** secrets seen during the run, redacted everywhere (runCli makes the set) */
  secrets?: Set<string>;
  /** off a terminal, the least time between two "still waiting" lines (ms) @default 30000 */
  heartbeatMs?: number;
  /** the run's log file logger, once a command opened one (runCli logs the final error there) */
  runLog?: { file?: Log };
}

/**
 * Progress for people: a pure renderer of every table's state, and a board
 * that redraws one status line on a terminal (never when stderr is a file or a
 * pipe, where the logger's plain lines tell the story instead).
 */
import type { ExportObserver, TableStage } from "../export/export_observer.ts";
import { formatBytes, formatElapsed } from "./format_units.ts";

/** Where a table is in its run. */
export type TableState = TableStage;

/** One table's progress. */
export interface TableProgress {
  table: string;
  state: TableState;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
}

/** One status line for all tables; `rate` in bytes per second; `waits` says what waiting tables wait for. */
export function renderProgress(
  tables: readonly TableProgress[],
  rate: number,
  waits: readonly string[] = [],
): string {
  const line = renderCounts(tables, rate);
  return waits.length > 0 ? `${line} | ${waits.join("; ")}` : line;
}

function renderCounts(tables: readonly TableProgress[], rate: number): string {
  const files = tables.reduce((n, t) => n + t.filesDone, 0);
  const filesTotal = tables.reduce((n, t) => n + t.filesTotal, 0);
  const bytes = tables.reduce((n, t) => n + t.bytesDone, 0);
  const transfer = `${files}/${filesTotal} files, ${formatBytes(bytes)}, ${formatBytes(rate)}/s`;
  if (tables.length === 1) {
    const only = tables[0]!;
    return `${only.table}: ${only.state}, ${transfer}`;
  }
  const counts = new Map<TableState, number>();
  for (const t of tables) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const states = [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
  return `${tables.length} tables (${states}), ${transfer}`;
}

/** Options of a progress board. */
export interface ProgressBoardOptions {
  /** writes to the terminal (stderr) */
  write: (text: string) => void;
  /** draw at all: only when stderr is a terminal */
  enabled: boolean;
  /** terminal width @default 100 */
  columns?: number;
  /** @default Date.now */
  now?: () => number;
  /** least time between two redraws (ms) @default 100 */
  intervalMs?: number;
  /** what a table in this state waits for beyond the job (e.g. a rate-limit slot), if known */
  describeWait?: (table: string, state: TableState) => string | undefined;
  /** off a terminal: a "still waiting" line at most this often while tables wait */
  heartbeat?: { everyMs: number; write: (line: string) => void };
}

/** States in which a table waits on the server or on the rate limit. */
const WAITING: readonly TableState[] = ["starting", "waiting", "running"];

/** Keeps the state of every table and redraws a status line, throttled. */
export class ProgressBoard implements ExportObserver {
  readonly #tables = new Map<string, TableProgress>();
  readonly #since = new Map<string, number>();
  readonly #o: Required<Omit<ProgressBoardOptions, "describeWait" | "heartbeat">>;
  #describeWait?: ProgressBoardOptions["describeWait"];
  readonly #heartbeat?: ProgressBoardOptions["heartbeat"];
  readonly #startedAt: number;
  #beatAt: number;
  #timer?: ReturnType<typeof setInterval>;
  #drawnAt = 0;
  #shown = false;
  #samples: { at: number; bytes: number }[] = [];

  constructor(options: ProgressBoardOptions) {
    this.#o = {
      write: options.write,
      enabled: options.enabled,
      columns: options.columns ?? 100,
      now: options.now ?? Date.now,
      intervalMs: options.intervalMs ?? 100,
    };
    this.#describeWait = options.describeWait;
    this.#heartbeat = options.heartbeat;
    this.#startedAt = this.#beatAt = this.#o.now();
  }

  /** Sets what explains a table's wait beyond its job (the rate limiter, once it exists). */
  explainWaits(describe: NonNullable<ProgressBoardOptions["describeWait"]>): void {
    this.#describeWait = describe;
  }

  /** What each waiting table waits for: `courses: job running 2m10s`. */
  waits(): string[] {
    const now = this.#o.now();
    return [...this.#tables.values()].flatMap((t) => {
      if (!WAITING.includes(t.state)) return [];
      const extra = this.#describeWait?.(t.table, t.state);
      const elapsed = formatElapsed(now - (this.#since.get(t.table) ?? now));
      const what = t.state === "starting" ? `starting ${elapsed}` : `job ${t.state} ${elapsed}`;
      return [`${t.table}: ${extra ? `${what}, ${extra}` : what}`];
    });
  }

  /** Redraws the line (elapsed times move) or, off a terminal, writes the heartbeat when due. */
  tick(): void {
    if (this.#o.enabled) return this.#draw(true);
    const beat = this.#heartbeat;
    const now = this.#o.now();
    if (!beat || now - this.#beatAt < beat.everyMs) return;
    const waits = this.waits();
    if (waits.length === 0) return;
    this.#beatAt = now;
    beat.write(`still waiting after ${formatElapsed(now - this.#startedAt)}: ${waits.join("; ")}`);
  }

  /** Ticks every second until `stop()`, without keeping the process alive. */
  #startTimer(): void {
    if (this.#timer !== undefined || (!this.#o.enabled && !this.#heartbeat)) return;
    this.#timer = setInterval(() => this.tick(), 1000);
    Deno.unrefTimer(this.#timer);
  }

  /** Changes a table's state or counts. */
  update(table: string, patch: Partial<Omit<TableProgress, "table">>): void {
    const current = this.#tables.get(table) ??
      { table, state: "queued", filesDone: 0, filesTotal: 0, bytesDone: 0 };
    if (patch.state !== undefined && patch.state !== current.state) {
      this.#since.set(table, this.#o.now());
    }
    this.#tables.set(table, { ...current, ...patch });
    this.#startTimer();
    this.#draw(patch.state !== undefined);
  }

  /** Adds downloaded bytes to a table. */
  addBytes(table: string, bytes: number): void {
    const current = this.#tables.get(table);
    if (current) current.bytesDone += bytes;
    this.#draw(false);
  }

  /** Writes a line for people without tearing the status line. */
  print(text: string): void {
    this.#clear();
    this.#o.write(text);
    this.#draw(true);
  }

  /** Removes the status line for good. */
  stop(): void {
    clearInterval(this.#timer);
    this.#clear();
    this.#o.enabled = false;
  }

  #rate(now: number): number {
    const bytes = [...this.#tables.values()].reduce((n, t) => n + t.bytesDone, 0);
    this.#samples.push({ at: now, bytes });
    this.#samples = this.#samples.filter((s) => s.at >= now - 3000);
    const first = this.#samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (bytes - first.bytes) / seconds) : 0;
  }

  #clear(): void {
    if (this.#shown) this.#o.write("\r\x1b[2K");
    this.#shown = false;
  }

  #draw(force: boolean): void {
    if (!this.#o.enabled || this.#tables.size === 0) return;
    const now = this.#o.now();
    if (!force && now - this.#drawnAt < this.#o.intervalMs) return;
    this.#drawnAt = now;
    const line = renderProgress([...this.#tables.values()], this.#rate(now), this.waits());
    this.#o.write(`\r\x1b[2K${line.slice(0, Math.max(20, this.#o.columns - 1))}`);
    this.#shown = true;
  }
}

/**
 * When to ask about a running job again: quickly at first (a small table is
 * often done within a second), then backing off to at most every few seconds.
 * The official client waits a flat 5 s.
 */

/** Poll timing. */
export interface PollSchedule {
  /** first wait (ms) @default 250 */
  firstMs: number;
  /** growth per poll @default 1.5 */
  factor: number;
  /** longest wait (ms) @default 4000 */
  maxMs: number;
  /** give up on a job still waiting or running after this long (ms) @default undefined: never */
  timeoutMs?: number;
}

/** The default schedule: 250 ms, 375, 563, ... up to 4 s. */
export const DEFAULT_POLL: PollSchedule = { firstMs: 250, factor: 1.5, maxMs: 4000 };

/** The wait before poll number `poll` (counting from 1). */
export function pollDelay(poll: number, schedule: PollSchedule = DEFAULT_POLL): number {
  return Math.round(Math.min(schedule.maxMs, schedule.firstMs * schedule.factor ** (poll - 1)));
}

/**
 * How a table's rows move through time. The emulator serves a table as of an
 * instant (`dataAt`); between two instants rows are inserted, updated and
 * deleted. Every row's whole history is a pure function of (seed, namespace,
 * table, slot), anchored at a fixed instant, so any object at any instant can
 * be generated on its own, lazily, and always comes out the same.
 *
 * The model: a table has `rows` slots. Time is cut, per slot, into epochs of
 * EPOCH_MS (100 days) at a seeded phase. Each epoch holds one generation of
 * the slot: a row with its own key, inserted GAP (0 to 6 days, 3 on average)
 * after the epoch starts, updated at random (UPDATES_PER_DAY, 3% a day, as a
 * Poisson process) and deleted when the epoch ends; the next epoch's row has
 * a new key. So at any instant about 97% of the slots hold a live row (the
 * `rows` option keeps its old meaning), and one day moves about 5% of them:
 * 1% inserted, 1% deleted, 3% updated.
 *
 * A generation is named by its key index `k = slot + stride * zigzag(epoch)`
 * (epoch 0 holds the anchor instant), which also makes its key (`rowKey`).
 *
 * What a snapshot and an incremental list (`snapshotKeys`, `changedKeys`)
 * follows from this: a snapshot at T holds every generation alive at T; an
 * incremental (since, until] holds every generation with an insert, update or
 * delete in the window, once. So snapshot(T1) + incremental (T1, T2] =
 * snapshot(T2) by construction (property-tested).
 */
import { hashOf, Random } from "./random.ts";

/** The instant the timeline is anchored at (the default `dataAt`). */
export const HISTORY_ANCHOR = Date.UTC(2026, 10, 20, 8, 0, 0);
const DAY_MS = 86_400_000;
/** Length of a slot's epoch: one row's life plus the gap before it (ms). */
export const EPOCH_MS = 100 * DAY_MS;
/** Mean time a slot stays empty between a delete and the next insert (ms). */
export const MEAN_GAP_MS = 3 * DAY_MS;
/** Updates per live row per day. */
export const UPDATES_PER_DAY = 0.03;
/** Share of `canvas_logs.web_logs` rows a snapshot lists twice (its pipeline is at-least-once). */
export const REPEAT_SHARE = 0.01;

/** Which table's history: the coordinates every random draw is derived from. */
export interface HistorySource {
  seed: number;
  namespace: string;
  table: string;
  /** slots: about 97% hold a live row at any instant */
  rows: number;
}

/** One generation of a slot: a row from insert to delete. */
export interface Generation {
  /** key index: slot + stride * zigzag(epoch) */
  k: number;
  slot: number;
  epoch: number;
  /** insert instant (epoch ms) */
  born: number;
  /** delete instant: the row is alive in [born, dies) */
  dies: number;
}

/** A generation's state at an instant. */
export interface RowState {
  generation: Generation;
  /** false once deleted */
  alive: boolean;
  /** number of updates so far: 0 right after the insert */
  version: number;
  /** the last change: insert, update or delete */
  ts: number;
}

function randomOf(source: HistorySource, index: number, salt: string): Random {
  return new Random(hashOf(source.seed, `${source.namespace}.${source.table}#${index}${salt}`));
}

/** Spacing of key indices between epochs: a power of two above the slot count. */
export function strideOf(rows: number): number {
  let stride = 1 << 20;
  while (stride < rows) stride *= 2;
  return stride;
}

function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Where epoch 0 of a slot starts: its seeded phase before the anchor. */
function firstEpochStart(source: HistorySource, slot: number): number {
  return HISTORY_ANCHOR - Math.floor(randomOf(source, slot, "/phase").next() * EPOCH_MS);
}

function epochFrom(start: number, t: number): number {
  return Math.floor((t - start) / EPOCH_MS);
}

/** The epoch of a slot that holds instant `t`. */
export function epochAt(source: HistorySource, slot: number, t: number): number {
  return epochFrom(firstEpochStart(source, slot), t);
}

function generationIn(
  source: HistorySource,
  slot: number,
  first: number,
  epoch: number,
): Generation {
  const start = first + epoch * EPOCH_MS;
  const k = slot + strideOf(source.rows) * zigzag(epoch);
  const gap = Math.floor(randomOf(source, k, "/born").next() * 2 * MEAN_GAP_MS);
  return { k, slot, epoch, born: start + gap, dies: start + EPOCH_MS };
}

/** The generation of `slot` in `epoch`. */
export function generationOf(source: HistorySource, slot: number, epoch: number): Generation {
  return generationIn(source, slot, firstEpochStart(source, slot), epoch);
}

/** The generation a key index names. */
export function generationOfKey(source: HistorySource, k: number): Generation {
  const stride = strideOf(source.rows);
  return generationOf(source, k % stride, unzigzag(Math.floor(k / stride)));
}

/** The update instants of a generation, in order, up to `until` (all before it dies). */
export function updateTimes(
  source: HistorySource,
  generation: Generation,
  until: number,
): number[] {
  const random = randomOf(source, generation.k, "/updates");
  const meanMs = DAY_MS / UPDATES_PER_DAY;
  const times: number[] = [];
  for (let t = generation.born;;) {
    t += Math.max(1, Math.ceil(-Math.log(1 - random.next()) * meanMs));
    if (t >= generation.dies || t > until) return times;
    times.push(t);
  }
}

/** A generation's state at `t`, or undefined before its insert. */
export function stateAt(source: HistorySource, k: number, t: number): RowState | undefined {
  const generation = generationOfKey(source, k);
  if (t < generation.born) return undefined;
  if (t >= generation.dies) {
    const version = updateTimes(source, generation, generation.dies).length;
    return { generation, alive: false, version, ts: generation.dies };
  }
  const updates = updateTimes(source, generation, t);
  return {
    generation,
    alive: true,
    version: updates.length,
    ts: updates.at(-1) ?? generation.born,
  };
}

/** Whether a snapshot lists this row twice (web_logs only: at-least-once delivery). */
export function isRepeated(source: HistorySource, k: number): boolean {
  return source.namespace === "canvas_logs" && source.table === "web_logs" &&
    randomOf(source, k, "/repeat").chance(REPEAT_SHARE);
}

/** The key indices of a snapshot at `t`: every live row, in slot order (web_logs repeats some). */
export function snapshotKeys(source: HistorySource, t: number): number[] {
  const keys: number[] = [];
  for (let slot = 0; slot < source.rows; slot++) {
    const first = firstEpochStart(source, slot);
    const generation = generationIn(source, slot, first, epochFrom(first, t));
    if (generation.born > t) continue;
    keys.push(generation.k);
    if (isRepeated(source, generation.k)) keys.push(generation.k);
  }
  return keys;
}

function changedIn(
  source: HistorySource,
  generation: Generation,
  since: number,
  until: number,
): boolean {
  const inWindow = (t: number) => t > since && t <= until;
  if (inWindow(generation.born) || inWindow(generation.dies)) return true;
  if (generation.born > until || generation.dies <= since) return false;
  return updateTimes(source, generation, until).some(inWindow);
}

/** The key indices of an incremental (since, until]: each row changed in the window, once. */
export function changedKeys(source: HistorySource, since: number, until: number): number[] {
  const keys: number[] = [];
  for (let slot = 0; slot < source.rows; slot++) {
    const first = firstEpochStart(source, slot);
    const last = epochFrom(first, until);
    for (let epoch = epochFrom(first, since); epoch <= last; epoch++) {
      const generation = generationIn(source, slot, first, epoch);
      if (changedIn(source, generation, since, until)) keys.push(generation.k);
    }
  }
  return keys;
}

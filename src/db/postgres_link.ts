/**
 * One reserved connection of the PostgreSQL engine, as its session uses it:
 * statements whose failures become one-line `DatabaseError`s (or the run's
 * `InterruptedError` once Ctrl-C was pressed), `COPY ... FROM STDIN` fed
 * from text chunks no faster than the socket takes them, and `interrupt()`,
 * which stops what runs now: a COPY is failed from our side (CopyFail), any
 * other statement is cancelled on the server, so a rollback can follow at
 * once.
 */
import type postgres from "postgres";
import type { Writable } from "node:stream";
import { type ErrorContext, statementError } from "./postgres_errors.ts";

/** What every statement of a session needs to know. */
export interface LinkContext extends ErrorContext {
  signal: AbortSignal;
}

/** A row as postgres.js returns it. */
export type Row = Record<string, unknown>;

/** An error thrown by the source of COPY data (a part that cannot be read): passed on as it is. */
class SourceError {
  constructor(readonly inner: unknown) {}
}

/** Resolves when the stream can take more, or has failed or closed. */
function writable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "error", "close"]) stream.off(event, done);
      resolve();
    };
    for (const event of ["drain", "error", "close"]) stream.once(event, done);
  });
}

/** Resolves when the COPY is complete on the server; rejects with its failure. */
function finished(stream: Writable, failure: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (failure() !== undefined) return reject(failure());
    stream.once("finish", () => resolve());
    stream.once("error", () => reject(failure()));
  });
}

/** Writes every chunk of `texts` into a COPY stream, waiting whenever the socket is behind. */
async function pump(stream: Writable, texts: AsyncIterable<string>): Promise<void> {
  let failure: unknown;
  // Kept for the stream's life: a late error with no listener would be an uncaught exception.
  stream.on("error", (error) => failure ??= error);
  try {
    for await (const text of texts) {
      if (failure !== undefined) break;
      if (!stream.write(text)) await writable(stream);
    }
  } catch (error) {
    // CopyFail: the server aborts the COPY, the connection stays usable.
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
    throw new SourceError(error);
  }
  if (failure === undefined) stream.end();
  await finished(stream, () => failure);
}

/** A session's reserved connection. */
export class PostgresLink {
  readonly #sql: postgres.ReservedSql;
  readonly #context: LinkContext;
  /** the statement in flight, for cancelling it */
  #current?: { cancel(): void };
  #copy?: Writable;
  #settled: Promise<void> = Promise.resolve();
  #released = false;

  constructor(sql: postgres.ReservedSql, context: LinkContext) {
    this.#sql = sql;
    this.#context = context;
  }

  /** Runs a statement (or several, without parameters); `what` completes "Cannot ..." in its error. */
  async run(what: string, sql: string, values?: unknown[]): Promise<number> {
    const result = await this.#send(what, () => this.#query(sql, values));
    return result.count ?? 0;
  }

  /** Runs a query and returns its rows. */
  async rows<T extends Row = Row>(what: string, sql: string, values?: unknown[]): Promise<T[]> {
    const result = await this.#send(what, () => this.#query(sql, values));
    return [...result] as unknown as T[];
  }

  /** Runs `COPY ... FROM STDIN`, sending `texts` (COPY text format) as its data. */
  async copyIn(what: string, sql: string, texts: AsyncIterable<string>): Promise<void> {
    await this.#send(what, async () => {
      const query = this.#sql.unsafe(sql);
      this.#current = query;
      const stream = await query.writable();
      this.#copy = stream;
      try {
        await pump(stream, texts);
      } finally {
        this.#copy = undefined;
      }
    });
  }

  #query(sql: string, values?: unknown[]) {
    const query = this.#sql.unsafe(sql, values as postgres.ParameterOrJSON<never>[] | undefined);
    this.#current = query;
    return query;
  }

  async #send<T>(what: string, work: () => Promise<T>): Promise<T> {
    const running = (async () => {
      try {
        return await work();
      } catch (error) {
        throw this.#translate(what, error);
      } finally {
        this.#current = undefined;
      }
    })();
    this.#settled = running.then(() => {}, () => {});
    return await running;
  }

  #translate(what: string, error: unknown): unknown {
    if (this.#context.signal.aborted) return this.#context.signal.reason;
    if (error instanceof SourceError) return error.inner;
    return statementError(this.#context, what, error);
  }

  /**
   * Stops the statement in flight, if any: a COPY fails from our side, any
   * other statement is cancelled on the server. Resolves once the statement
   * has ended (its caller sees the failure).
   */
  async interrupt(reason: Error): Promise<void> {
    if (this.#copy) this.#copy.destroy(reason);
    else this.#current?.cancel();
    await this.#settled;
  }

  /** Gives the connection back to the pool. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#sql.release();
  }
}

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
import {
  endsSession,
  type ErrorContext,
  isConnectionError,
  isServerError,
  statementError,
} from "./postgres_errors.ts";

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

/** Resolves at the stream's next `event`, or when it fails or closes. */
function next(stream: Writable, event: string): Promise<void> {
  const events = [event, "error", "close"];
  return new Promise((resolve) => {
    const done = () => {
      for (const name of events) stream.off(name, done);
      resolve();
    };
    for (const name of events) stream.once(name, done);
  });
}

/**
 * The COPY's failure as the server reports it. postgres.js (3.4.9) resolves
 * a COPY's query with its stream, and when the server refuses the data
 * after the last chunk (a duplicate key found at the end) it only rejects
 * that already-resolved query: the stream never finishes nor fails. So the
 * rejection is caught here.
 */
function serverFailure(query: object): Promise<never> {
  const settle = query as { reject: (error: unknown) => void };
  const reject = settle.reject;
  const failed = new Promise<never>((_, fail) => {
    settle.reject = (error) => {
      fail(error);
      reject(error);
    };
  });
  failed.catch(() => {}); // a COPY refused before it starts fails its query instead
  return failed;
}

/** Writes every chunk of `texts` into a COPY stream, waiting whenever the socket is behind. */
async function pump(
  stream: Writable,
  texts: AsyncIterable<string | Uint8Array>,
  refused: Promise<never>,
): Promise<void> {
  let failure: unknown;
  // Kept for the stream's life: a late error with no listener would be an uncaught exception.
  stream.on("error", (error) => failure ??= error);
  const stopped = refused.catch((error) => {
    failure ??= error;
  });
  try {
    for await (const text of texts) {
      if (failure !== undefined) break;
      if (!stream.write(text)) await Promise.race([next(stream, "drain"), stopped]);
    }
  } catch (error) {
    // CopyFail: the server aborts the COPY, the connection stays usable.
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
    throw new SourceError(error);
  }
  if (failure === undefined) {
    stream.end();
    await Promise.race([next(stream, "finish"), stopped]);
  }
  if (failure !== undefined) throw failure;
  if (!stream.writableFinished) throw new Error("the COPY ended before the server confirmed it");
}

/**
 * Which pooled connection each link holds, so that a connection the server
 * closes (idle timeout, restart, pg_terminate_backend) marks its link lost:
 * postgres.js 3.4.9 would still write a reserved connection's next statement
 * to the closed socket (an uncaught TypeError), and would hand the closed
 * connection back to the pool as open on release. postgres.js tells which
 * connection runs a statement (`debug`) and which one closed (`onclose`);
 * a link's first statement carries a marker comment that ties the two.
 */
export class ConnectionWatch {
  #next = 0;
  readonly #byMarker = new Map<string, PostgresLink>();
  readonly #byConnection = new Map<number, PostgresLink>();

  /** A comment that ties the connection running the next statement to `link`. */
  marker(link: PostgresLink): string {
    const marker = `/* dap session ${++this.#next} */`;
    this.#byMarker.set(marker, link);
    return marker;
  }

  /** postgres.js `debug`: connection `id` runs `text`. */
  seen(id: number, text: string): void {
    if (!text.startsWith("/* dap session ")) return;
    const marker = text.slice(0, text.indexOf("*/") + 2);
    const link = this.#byMarker.get(marker);
    if (!link) return;
    this.#byMarker.delete(marker);
    this.#byConnection.set(id, link);
  }

  /** postgres.js `onclose`: connection `id` is gone. */
  closed(id: number): void {
    this.#byConnection.get(id)?.lost();
    this.#byConnection.delete(id);
  }

  /** The link gave its connection back. */
  forget(link: PostgresLink): void {
    for (const [id, held] of this.#byConnection) if (held === link) this.#byConnection.delete(id);
  }
}

/** A session's reserved connection. */
export class PostgresLink {
  readonly #sql: postgres.ReservedSql;
  readonly #context: LinkContext;
  readonly #watch: ConnectionWatch;
  #broken = false;
  /** the statement in flight, for cancelling it */
  #current?: { cancel(): void };
  #copy?: Writable;
  #settled: Promise<void> = Promise.resolve();
  #released = false;

  constructor(sql: postgres.ReservedSql, context: LinkContext, watch: ConnectionWatch) {
    this.#sql = sql;
    this.#context = context;
    this.#watch = watch;
  }

  /** The marker comment for this link's first statement (see ConnectionWatch). */
  marker(): string {
    return this.#watch.marker(this);
  }

  /** The server closed the connection: nothing more is sent on it. */
  lost(): void {
    this.#broken = true;
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
  async copyIn(
    what: string,
    sql: string,
    texts: AsyncIterable<string | Uint8Array>,
  ): Promise<void> {
    await this.#send(what, async () => {
      const query = this.#sql.unsafe(sql);
      this.#current = query;
      const refused = serverFailure(query);
      const stream = await query.writable();
      this.#copy = stream;
      try {
        await pump(stream, texts, refused);
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
        if (this.#broken) {
          throw Object.assign(new Error("connection closed"), { code: "CONNECTION_CLOSED" });
        }
        return await work();
      } catch (error) {
        if (endsSession(error) || (!isServerError(error) && isConnectionError(error))) {
          this.#broken = true;
        }
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

  /** Gives the connection back to the pool (a lost one is already out of it). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#watch.forget(this);
    if (!this.#broken) this.#sql.release();
  }
}

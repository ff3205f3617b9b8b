/**
 * One pooled connection of the MySQL engine, as its session uses it:
 * statements whose failures become one-line `DatabaseError`s (or the
 * run's `InterruptedError` once Ctrl-C was pressed), `LOAD DATA LOCAL
 * INFILE` fed from a stream with backpressure, and what Ctrl-C needs to
 * stop a running statement (its thread id, whether one runs).
 */
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { isConnectionLost, isDriverError, statementError } from "./mysql_errors.ts";

/** What every statement of a session needs to know. */
export interface LinkContext {
  signal: AbortSignal;
  /** texts never to show (the password) */
  secrets: string[];
}

/** Bytes the socket may hold unsent before the infile stream waits for it to drain. */
const HIGH_WATER = 4 * 1024 * 1024;
/** The largest chunk sent as one packet (the protocol's limit is 16 MiB). */
const MAX_CHUNK = 1024 * 1024;

interface Socket {
  writableLength: number;
  destroyed?: boolean;
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Waits until the socket has sent most of what it holds (or is gone). */
function drained(socket: Socket): Promise<void> {
  if (socket.writableLength <= HIGH_WATER || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "close", "error"]) socket.off(event, done);
      resolve();
    };
    for (const event of ["drain", "close", "error"]) socket.once(event, done);
  });
}

/** The chunks of text as Buffers of at most MAX_CHUNK bytes, never ahead of the socket. */
async function* packets(texts: AsyncIterable<string>, socket?: Socket): AsyncGenerator<Buffer> {
  for await (const text of texts) {
    const bytes = Buffer.from(text, "utf8");
    for (let at = 0; at < bytes.length; at += MAX_CHUNK) {
      if (socket) await drained(socket);
      yield bytes.subarray(at, at + MAX_CHUNK);
    }
  }
}

/** A session's connection. */
export class MysqlLink {
  readonly #connection: PoolConnection;
  readonly #context: LinkContext;
  #running = 0;
  #loading = false;
  #broken = false;
  #released = false;

  constructor(connection: PoolConnection, context: LinkContext) {
    this.#connection = connection;
    this.#context = context;
  }

  /** The server's id of this connection, for KILL QUERY. */
  get threadId(): number {
    return this.#connection.threadId;
  }

  /** Whether the connection was lost (it is destroyed, not returned to the pool). */
  get broken(): boolean {
    return this.#broken;
  }

  /** Whether a statement other than a LOAD DATA runs now (Ctrl-C kills it on the server). */
  get killable(): boolean {
    return this.#running > 0 && !this.#loading;
  }

  /** Runs a statement; `what` completes "Cannot ..." in its error. */
  async run(what: string, sql: string, values?: unknown[]): Promise<ResultSetHeader> {
    const [result] = await this.#send(
      what,
      () => this.#connection.query<ResultSetHeader>(sql, values),
    );
    return result;
  }

  /** Runs a query and returns its rows. */
  async rows<T>(what: string, sql: string, values?: unknown[]): Promise<T[]> {
    const [rows] = await this.#send(
      what,
      () => this.#connection.query<RowDataPacket[]>(sql, values),
    );
    return rows as T[];
  }

  /** Runs `LOAD DATA LOCAL INFILE`, sending `texts` (UTF-8) as the file, no faster than the socket drains. */
  async load(what: string, sql: string, texts: AsyncIterable<string>): Promise<ResultSetHeader> {
    const socket = (this.#connection.connection as unknown as { stream?: Socket }).stream;
    let file: Readable | undefined;
    this.#loading = true;
    try {
      const [result] = await this.#send(what, () =>
        this.#connection.query<ResultSetHeader>({
          sql,
          infileStreamFactory: () => (file = Readable.from(packets(texts, socket))),
        }));
      return result;
    } finally {
      // A statement the server failed half way leaves the stream unread: closing it closes the part.
      file?.destroy();
      this.#loading = false;
    }
  }

  async #send<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.#running++;
    try {
      return await work();
    } catch (error) {
      // What the infile stream threw (a part that cannot be read, Ctrl-C) comes back as it was.
      if (!isDriverError(error)) throw error;
      if (isConnectionLost(error)) this.#broken = true;
      if (this.#context.signal.aborted) throw this.#context.signal.reason;
      throw statementError(what, error, this.#context.secrets);
    } finally {
      this.#running--;
    }
  }

  /** Gives the connection back to the pool, or closes it when it was lost or left in doubt. */
  release(reuse = true): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#broken || !reuse) this.#connection.destroy();
    else this.#connection.release();
  }
}

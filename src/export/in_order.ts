/**
 * Hands items that finish in any order to a consumer in index order, one at
 * a time, as soon as each next one is ready. The consumer answers whether to
 * go on; after `false` or an error nothing more is consumed.
 */
export class InOrder<T> {
  readonly #ready = new Map<number, T>();
  readonly #consume: (item: T) => Promise<boolean>;
  #next = 0;
  #stopped = false;
  #error: unknown;
  #chain: Promise<void> = Promise.resolve();

  constructor(consume: (item: T) => Promise<boolean>) {
    this.#consume = consume;
  }

  /** Offers item `index`; it is consumed once every earlier one has been. */
  push(index: number, item: T): void {
    this.#ready.set(index, item);
    this.#chain = this.#chain.then(() => this.#drain()).catch((error) => {
      this.#error ??= error;
      this.#stopped = true;
    });
  }

  async #drain(): Promise<void> {
    while (!this.#stopped && this.#ready.has(this.#next)) {
      const item = this.#ready.get(this.#next)!;
      this.#ready.delete(this.#next++);
      if (!(await this.#consume(item))) this.#stopped = true;
    }
  }

  /** Resolves when everything offered so far is consumed; rejects with the consumer's error. */
  async done(): Promise<void> {
    await this.#chain;
    if (this.#error !== undefined) throw this.#error;
  }
}

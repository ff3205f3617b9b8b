/** Adapts an emulator handler to the `fetch` signature, so tests need no socket. */
export function handlerFetch(handler: (request: Request) => Promise<Response>): typeof fetch {
  return (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(input, init));
}

/** A sleep that returns at once and records what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** Read size for byte streams: large reads mean fewer writes; one reused buffer means no garbage per chunk. */
const READ_BYTES = 1 << 18;

/**
 * The chunks of a body. A byte stream (what fetch gives) is read into one
 * reused 256 KiB buffer, so memory stays flat whatever the object size; the
 * chunk handed out is only valid until the next one is asked for. Other
 * streams are read as they come.
 */
export async function* readChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    yield* body;
    return;
  }
  try {
    let buffer = new Uint8Array(READ_BYTES);
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) return;
      yield value;
      buffer = new Uint8Array(value.buffer);
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

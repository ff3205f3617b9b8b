/**
 * The official Python client's request pattern, replayed for benchmarks: one
 * table after another, a flat poll interval (5 s), one more job read after
 * completion, one URL call per object and 4 objects at a time, and a flat wait
 * (30 s) after a 429. Times can be scaled down along with the rate limits.
 * This is a model of its behaviour (contract §4), not its code.
 */

/** How the pattern is timed. */
export interface OfficialPatternOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  namespace: string;
  tables: string[];
  format: string;
  outputDirectory: string;
  /** poll interval (ms) @default 5000 */
  pollMs?: number;
  /** wait after a 429 (ms) @default 30000 */
  rateLimitWaitMs?: number;
  /** objects at once @default 4 */
  concurrency?: number;
  /** called when the first byte of the first object is written */
  onFirstByte?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the pattern; resolves with the number of API calls (login and downloads excluded). */
export async function runOfficialPattern(o: OfficialPatternOptions): Promise<number> {
  let calls = 0;
  const login = await fetch(`${o.baseUrl}/ids/auth/login`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa(`${o.clientId}:${o.clientSecret}`)}` },
    body: "grant_type=client_credentials",
  });
  const token = (await login.json()).access_token as string;
  const api = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    for (;;) {
      calls++;
      const response = await fetch(`${o.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await response.json();
      if (response.status === 429) {
        await sleep(o.rateLimitWaitMs ?? 30_000);
        continue;
      }
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
      return json;
    }
  };
  let first = true;
  for (const table of o.tables) {
    let job = await api("POST", `/dap/query/${o.namespace}/table/${table}/data`, {
      format: o.format,
    });
    while (job.status === "waiting" || job.status === "running") {
      await sleep(o.pollMs ?? 5000);
      job = await api("GET", `/dap/job/${job.id}`);
    }
    job = await api("GET", `/dap/job/${job.id}`);
    const ids = (job.objects as { id: string }[]).map((x) => x.id);
    const dir = `${o.outputDirectory}/job_${job.id}`;
    await Deno.mkdir(dir, { recursive: true });
    let next = 0;
    await Promise.all(Array.from({ length: o.concurrency ?? 4 }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const answer = await api("POST", "/dap/object/url", [{ id }]);
        const url = (answer.urls as Record<string, { url: string }>)[id]!.url;
        const response = await fetch(url);
        using file = await Deno.open(`${dir}/${new URL(url).pathname.split("/").pop()}`, {
          write: true,
          create: true,
          truncate: true,
        });
        for await (const chunk of response.body!) {
          if (first) {
            first = false;
            o.onFirstByte?.();
          }
          for (let written = 0; written < chunk.length;) {
            written += await file.write(chunk.subarray(written));
          }
        }
      }
    }));
  }
  return calls;
}

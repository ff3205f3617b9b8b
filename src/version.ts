/** The program's version, from deno.json (embedded at bundle and compile time). */
import denoJson from "../deno.json" with { type: "json" };

/** e.g. "0.1.0" */
export const VERSION: string = denoJson.version;
/** sent as User-Agent */
export const USER_AGENT = `dap-deno/${VERSION}`;

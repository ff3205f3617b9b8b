/**
 * Which object URLs may be downloaded: https://, or http:// to this machine
 * (the emulator, a local proxy), nothing else. A `file:` URL would copy a
 * local file into the output, `data:` would take bytes from the API itself,
 * plain http:// to another host travels in clear. Pure: api/ checks the URLs
 * it is given, download/ checks where a redirect led.
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Why `url` must not be downloaded, or undefined when it may be. */
export function objectUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a valid URL";
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol === "http:") {
    return LOOPBACK.test(parsed.hostname)
      ? undefined
      : "it is plain http:// to another host; only https:// (or http:// to this machine) is allowed";
  }
  return `its scheme is ${
    parsed.protocol.slice(0, 20)
  }; only https:// (or http:// to this machine) is allowed`;
}

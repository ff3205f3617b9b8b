/**
 * The identity service: `POST /ids/auth/login` trades client credentials for
 * a signed JWT, and every Query API call is checked for a valid, unexpired
 * bearer token (or the deprecated `x-instauth` header).
 */
import { createHmac } from "node:crypto";
import type { SharedState } from "./shared_state.ts";

function base64Url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Logs clients in and checks their tokens. */
export class Identity {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  #sign(text: string): string {
    return base64Url(createHmac("sha256", this.#state.signingKey).update(text).digest());
  }

  /** Answers a login: a token for known credentials, 403 otherwise, 400 for a bad grant. */
  login(request: Request, body: string): Response {
    const { options, respond } = this.#state;
    const header = request.headers.get("authorization") ?? "";
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") {
      return respond.error(400, "ValidationError", "grant_type must be client_credentials", {
        location: { line: 1, column: 1, character: 0 },
      });
    }
    let id = "", secret = "";
    if (header.startsWith("Basic ")) {
      try {
        const decoded = atob(header.slice(6));
        const colon = decoded.indexOf(":");
        id = decoded.slice(0, colon);
        secret = decoded.slice(colon + 1);
      } catch {
        // malformed header: the credentials stay empty and are refused below
      }
    }
    const known = options.credentials.some((c) => c.clientId === id && c.clientSecret === secret);
    if (!known) {
      return respond.error(403, "AuthenticationError", "Invalid client credentials");
    }
    const now = Math.floor(options.now() / 1000);
    const lifetime = options.tokenLifetimeSeconds;
    const head = base64Url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = base64Url(JSON.stringify({
      sub: id,
      iat: now,
      exp: now + lifetime,
      jti: this.#state.uuid("token"),
    }));
    const accessToken = `${head}.${payload}.${this.#sign(`${head}.${payload}`)}`;
    this.#state.issuedSecrets.push(accessToken);
    return respond.json(200, {
      access_token: accessToken,
      expires_in: lifetime,
      scope: `dap-query principal:${id.split("#").pop()} partner:emulator region:us-east-1`,
      token_type: "bearer",
    });
  }

  /** Undefined when the request carries a valid token, else the 401 to answer. */
  authenticate(request: Request): Response | undefined {
    const header = request.headers.get("authorization");
    const token = header?.startsWith("Bearer ")
      ? header.slice(7)
      : header
      ? ""
      : request.headers.get("x-instauth") ?? "";
    const [head = "", payload = "", signature = ""] = token.split(".");
    if (signature && this.#sign(`${head}.${payload}`) === signature) {
      try {
        const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
        if (claims.exp * 1000 > this.#state.options.now()) return undefined;
        return this.#state.respond.error(401, "AuthenticationError", "Token expired");
      } catch {
        // fall through: an unreadable payload is an unknown token
      }
    }
    return this.#state.respond.error(401, "AuthenticationError", "Missing or invalid token");
  }
}

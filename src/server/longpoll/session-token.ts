/**
 * LongPoll session tokens: an opaque, tamper-proof string naming a session and the node it lives on,
 * signed with HMAC-SHA256 under a key derived from the endpoint's `secretKeyBase`. Nodes that serve each
 * other's sessions must share the secret.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** What a valid token says. */
export interface SessionClaims {
  /** The session's id (unique per node). */
  readonly session: string;
  /** The name of the node whose process holds the session. */
  readonly node: string;
}

/** How long a token stays valid: 14 days, as in Phoenix. */
export const SESSION_TOKEN_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

const VERSION = 1;

/** @internal Signs and verifies the session tokens of one socket mount. */
export class SessionTokens {
  readonly #key: Buffer;
  readonly #now: () => number;

  /**
   * @param secretKeyBase - the endpoint's secret (at least 32 characters).
   * @param scope - what the tokens are for (the mount path): a token of one mount is refused by another.
   */
  constructor(secretKeyBase: string, scope: string, now: () => number = Date.now) {
    // A key per purpose, so the secret base can sign other things without tokens being interchangeable.
    this.#key = createHmac("sha256", secretKeyBase).update(`fenix longpoll session ${scope}`).digest();
    this.#now = now;
  }

  /** A token for `claims`, issued now. */
  sign(claims: SessionClaims): string {
    const body = Buffer.from(JSON.stringify([VERSION, claims.session, claims.node, this.#now()]), "utf8").toString("base64url");
    return `${body}.${this.#mac(body).toString("base64url")}`;
  }

  /** The claims of a token signed with this key and younger than 14 days, else `null`. */
  verify(token: string | undefined): SessionClaims | null {
    if (token === undefined || token.length > 4096) return null;
    const dot = token.indexOf(".");
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = this.#mac(body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    if (!Array.isArray(decoded) || decoded.length !== 4) return null;
    const [version, session, node, issuedAt] = decoded as unknown[];
    if (version !== VERSION || typeof session !== "string" || typeof node !== "string" || typeof issuedAt !== "number") return null;
    const age = this.#now() - issuedAt;
    if (!(age >= 0 && age <= SESSION_TOKEN_MAX_AGE_MS)) return null;
    return { session, node };
  }

  #mac(body: string): Buffer {
    return createHmac("sha256", this.#key).update(body).digest();
  }
}

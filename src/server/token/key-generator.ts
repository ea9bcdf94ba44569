/**
 * Derives the key of a (secret, salt) pair as Plug.Crypto.KeyGenerator does — PBKDF2-HMAC-SHA256, 1000
 * iterations, 32 bytes — and keeps recent keys, because a derivation costs about half a millisecond of
 * blocking CPU while the HMAC of a token costs microseconds.
 */
import { createHash, pbkdf2Sync } from "node:crypto";
import { ServerError, ServerErrorCode } from "../errors.js";

/** A secret tokens are signed with: a Phoenix app's `secret_key_base`, or bytes. At least 32 bytes. */
export type TokenSecret = string | Uint8Array;

/** The shortest secret accepted, in bytes. */
export const MIN_SECRET_BYTES = 32;
const ITERATIONS = 1000;
const KEY_BYTES = 32;
/** Keys kept: enough for a few secrets times a few salts; the least recently used one goes first. */
const CACHE_SIZE = 256;

const cache = new Map<string, Buffer>();

/** The bytes of one secret, checked. */
export function secretBytes(secret: unknown): Buffer {
  if (typeof secret !== "string" && !(secret instanceof Uint8Array)) {
    throw new ServerError(ServerErrorCode.BAD_TOKEN_SECRET, `A token secret must be a string or a Uint8Array of at least ${MIN_SECRET_BYTES} bytes; got ${typeof secret === "object" ? "an object" : typeof secret}.`);
  }
  const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ServerError(
      ServerErrorCode.BAD_TOKEN_SECRET,
      `A token secret must be at least ${MIN_SECRET_BYTES} bytes; got ${bytes.length}. Use your Phoenix app's secret_key_base, or generate one with \`openssl rand -base64 48\`.`,
    );
  }
  return bytes;
}

/** The secrets of a `secrets` argument: one secret or a non-empty list, the first of which signs. */
export function secretList(secrets: unknown): Buffer[] {
  if (!Array.isArray(secrets)) return [secretBytes(secrets)];
  if (secrets.length === 0) throw new ServerError(ServerErrorCode.BAD_TOKEN_SECRET, "A list of token secrets must not be empty: the first one signs, all of them verify.");
  return secrets.map(secretBytes);
}

/** PBKDF2-HMAC-SHA256(secret, salt, 1000 iterations, 32 bytes), from the cache when it was derived lately. */
export function deriveKey(secret: Buffer, salt: string): Buffer {
  // The cache is keyed by a digest, so it holds no copy of the secret; the length prefix keeps
  // (secret "ab", salt "c") apart from (secret "a", salt "bc").
  const length = Buffer.alloc(4);
  length.writeUInt32BE(secret.length);
  const id = createHash("sha256").update(length).update(secret).update(salt, "utf8").digest("base64");
  const cached = cache.get(id);
  if (cached !== undefined) {
    cache.delete(id);
    cache.set(id, cached);
    return cached;
  }
  const key = pbkdf2Sync(secret, Buffer.from(salt, "utf8"), ITERATIONS, KEY_BYTES, "sha256");
  cache.set(id, key);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return key;
}

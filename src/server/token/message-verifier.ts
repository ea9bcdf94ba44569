/**
 * The signed-message format of Plug.Crypto.MessageVerifier: `<protected>.<payload>.<signature>`, each part
 * unpadded base64url, where `protected` names the HMAC (`HS256`; `HS384` and `HS512` are read too) and
 * the signature is that HMAC of the text `<protected>.<payload>`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** `protected` header → HMAC digest. The header is the unpadded base64url of the algorithm's name. */
const DIGESTS: ReadonlyMap<string, string> = new Map([
  [base64url("HS256"), "sha256"],
  [base64url("HS384"), "sha384"],
  [base64url("HS512"), "sha512"],
]);
const HS256 = base64url("HS256");

/** Signs `payload` with `key` (HMAC-SHA256). */
export function signMessage(payload: Uint8Array, key: Buffer): string {
  const text = `${HS256}.${Buffer.from(payload).toString("base64url")}`;
  return `${text}.${createHmac("sha256", key).update(text).digest("base64url")}`;
}

/**
 * The payload of `token` when its signature is right for one of `keys` (tried in order, each compared in
 * constant time), else `undefined`.
 */
export function openSignedMessage(token: string, keys: Iterable<Buffer>): Uint8Array | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const digest = DIGESTS.get(header);
  const payloadBytes = decodeBase64url(payload);
  const signatureBytes = decodeBase64url(signature);
  if (digest === undefined || payloadBytes === undefined || signatureBytes === undefined) return undefined;
  const text = `${header}.${payload}`;
  for (const key of keys) {
    const expected = createHmac(digest, key).update(text).digest();
    if (expected.length === signatureBytes.length && timingSafeEqual(expected, signatureBytes)) return payloadBytes;
  }
  return undefined;
}

/** Unpadded base64url in its one canonical spelling, else `undefined`. */
export function decodeBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

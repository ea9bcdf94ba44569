/**
 * The encrypted-message formats of Plug.Crypto.MessageEncryptor. Writes the current one, XChaCha20-Poly1305
 * (`XCP.` + base64url of a 24-byte nonce, the 16-byte tag and the ciphertext); reads it and the format of
 * plug_crypto 1.x (`A128GCM`: an AES-GCM content key wrapped with AES-GCM under the derived key).
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from "node:crypto";
import { decodeBase64url } from "./message-verifier.js";

/** What Plug authenticates with the ciphertext: its default additional data, kept for compatibility. */
const AAD = Buffer.from("A128GCM", "latin1");
const XCP_PREFIX = "XCP.";
const LEGACY_PREFIX = `${Buffer.from("A128GCM", "latin1").toString("base64url")}.`;
const SIGMA = Buffer.from("expand 32-byte k", "latin1");
const TAG_BYTES = 16;

/** Encrypts `plaintext` with `key` (32 bytes) under a fresh random nonce. */
export function encryptMessage(plaintext: Uint8Array, key: Buffer): string {
  const nonce = randomBytes(24);
  const cipher = createCipheriv("chacha20-poly1305", hchacha20(key, nonce.subarray(0, 16)), chachaNonce(nonce), { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD, { plaintextLength: plaintext.length });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return XCP_PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString("base64url");
}

/** The plaintext of `token` when it decrypts and authenticates under one of `keys` (tried in order), else `undefined`. */
export function decryptMessage(token: string, keys: Iterable<Buffer>): Uint8Array | undefined {
  const open = token.startsWith(XCP_PREFIX) ? openXcp(token.slice(XCP_PREFIX.length)) : token.startsWith(LEGACY_PREFIX) ? openLegacy(token.slice(LEGACY_PREFIX.length)) : undefined;
  if (open === undefined) return undefined;
  for (const key of keys) {
    const plaintext = open(key);
    if (plaintext !== undefined) return plaintext;
  }
  return undefined;
}

type Opener = (key: Buffer) => Buffer | undefined;

function openXcp(body: string): Opener | undefined {
  const bytes = decodeBase64url(body);
  if (bytes === undefined || bytes.length < 24 + TAG_BYTES) return undefined;
  const nonce = bytes.subarray(0, 24);
  const tag = bytes.subarray(24, 24 + TAG_BYTES);
  const ciphertext = bytes.subarray(24 + TAG_BYTES);
  return (key) => aeadOpen("chacha20-poly1305", hchacha20(key, nonce.subarray(0, 16)), chachaNonce(nonce), AAD, ciphertext, tag);
}

/** plug_crypto 1.x: `<wrapped key>.<iv>.<ciphertext>.<tag>`; the wrapped key is ciphertext ‖ tag ‖ iv. */
function openLegacy(body: string): Opener | undefined {
  const parts = body.split(".").map(decodeBase64url);
  if (parts.length !== 4 || parts.some((part) => part === undefined)) return undefined;
  const [wrapped, iv, ciphertext, tag] = parts as [Buffer, Buffer, Buffer, Buffer];
  const wrappedKeyBytes = wrapped.length - TAG_BYTES - 12;
  if (iv.length !== 12 || tag.length !== TAG_BYTES || ![16, 24, 32].includes(wrappedKeyBytes)) return undefined;
  return (key) => {
    // Plug.Crypto passes an empty "sign secret", which is the additional data of the key wrap.
    const contentKey = aeadOpen("aes-256-gcm", key, wrapped.subarray(wrappedKeyBytes + TAG_BYTES), Buffer.alloc(0), wrapped.subarray(0, wrappedKeyBytes), wrapped.subarray(wrappedKeyBytes, wrappedKeyBytes + TAG_BYTES));
    if (contentKey === undefined) return undefined;
    return aeadOpen(`aes-${contentKey.length * 8}-gcm` as CipherGCMTypes, contentKey, iv, AAD, ciphertext, tag);
  };
}

function aeadOpen(algorithm: CipherGCMTypes | "chacha20-poly1305", key: Buffer, iv: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv(algorithm as CipherGCMTypes, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** XChaCha20's nonce for the inner ChaCha20-Poly1305: four zero bytes and the last 8 bytes of the 24. */
function chachaNonce(nonce: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(4), nonce.subarray(16, 24)]);
}

/**
 * HChaCha20: the subkey of XChaCha20. It is the ChaCha20 state after its 20 rounds, words 0–3 and 12–15;
 * ChaCha20's first keystream block is that state plus the initial one, so those words of the block minus
 * the initial words (the constant, then the 16 bytes given as counter and nonce) are the subkey.
 */
export function hchacha20(key: Buffer, nonce16: Buffer): Buffer {
  const cipher = createCipheriv("chacha20", key, nonce16);
  const block = Buffer.concat([cipher.update(Buffer.alloc(64)), cipher.final()]);
  const subkey = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) {
    subkey.writeUInt32LE((block.readUInt32LE(4 * i) - SIGMA.readUInt32LE(4 * i)) >>> 0, 4 * i);
    subkey.writeUInt32LE((block.readUInt32LE(48 + 4 * i) - nonce16.readUInt32LE(4 * i)) >>> 0, 16 + 4 * i);
  }
  return subkey;
}

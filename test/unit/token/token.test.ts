/**
 * Token.sign/verify/encrypt/decrypt and Token.create on their own: round trips, the age rules of
 * Plug.Crypto in their order, refusals of damaged or foreign tokens, key rotation, the key cache, API
 * misuse, and the XChaCha20 construction against the test vectors of its specification
 * (draft-irtf-cfrg-xchacha). Compatibility with Phoenix is checked against Erlang in
 * test/integration/token.test.ts.
 */
import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServerErrorCode, Token, type TokenResult } from "../../../src/index.js";
import { encodeTerm } from "../../../src/server/token/etf.js";
import { ErlangAtom, ErlangTuple } from "../../../src/server/token/etf-term.js";
import { deriveKey } from "../../../src/server/token/key-generator.js";
import { hchacha20 } from "../../../src/server/token/message-encryptor.js";
import { signMessage } from "../../../src/server/token/message-verifier.js";

const SECRET = "x".repeat(64);
const OLD_SECRET = "y".repeat(64);
const SALT = "user socket";
const T0 = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;

const code = (c: string) => expect.objectContaining({ code: c });
const ok = (data: unknown): TokenResult => ({ ok: true, data }) as TokenResult;
const refused = (reason: string): TokenResult => ({ ok: false, reason }) as TokenResult;

/** A token whose payload is any bytes, signed right (for envelopes Fenix would never write). */
function signedPayload(payload: Uint8Array, secret = SECRET, salt = SALT): string {
  return signMessage(payload, deriveKey(Buffer.from(secret), salt));
}

/** `token` with the character at `index` replaced by another base64url character. */
function damage(token: string, index: number): string {
  const at = index < 0 ? token.length + index : index;
  return token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
}

describe("Token.sign and Token.verify", () => {
  it.each([
    ["an integer", 42],
    ["a string", "user:42"],
    ["an object", { user_id: 42, roles: ["admin"], active: true, manager: null }],
    ["atoms and tuples", new ErlangTuple([new ErlangAtom("user"), 42])],
    ["bytes", new Uint8Array([0, 255])],
    ["a big integer", 2n ** 80n],
  ])("gives back %s", (_label, data) => {
    expect(Token.verify(SECRET, SALT, Token.sign(SECRET, SALT, data))).toEqual(ok(data));
  });

  it("writes Plug's MessageVerifier format: HS256 header, payload, signature, unpadded base64url", () => {
    const token = Token.sign(SECRET, SALT, 1);
    expect(token).toMatch(/^SFMyNTY\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from("SFMyNTY", "base64url").toString()).toBe("HS256");
  });

  it("puts {data, signed_at_ms, max_age_sec} in the payload", () => {
    const token = Token.sign(SECRET, SALT, "d", { signedAt: new Date(T0), maxAgeSec: 60 });
    expect(new Uint8Array(Buffer.from(token.split(".")[1]!, "base64url"))).toEqual(encodeTerm(new ErlangTuple(["d", T0, 60])));
    const forever = Token.sign(SECRET, SALT, "d", { signedAt: T0 + 0.9, maxAgeSec: Infinity });
    expect(new Uint8Array(Buffer.from(forever.split(".")[1]!, "base64url"))).toEqual(encodeTerm(new ErlangTuple(["d", T0, new ErlangAtom("infinity")])));
  });

  it("signs with the first of a list of secrets", () => {
    expect(Token.sign([SECRET, OLD_SECRET], SALT, 1, { signedAt: T0 })).toBe(Token.sign(SECRET, SALT, 1, { signedAt: T0 }));
  });
});

describe("the age of a token", () => {
  const token = Token.sign(SECRET, SALT, "d", { signedAt: T0, maxAgeSec: 60 });
  const verifyAt = (now: number, maxAgeSec?: number) => Token.verify(SECRET, SALT, token, maxAgeSec === undefined ? { now } : { now, maxAgeSec });

  it("is accepted up to its max age, to the millisecond, and expired after", () => {
    expect(verifyAt(T0)).toEqual(ok("d"));
    expect(verifyAt(T0 + 60_000)).toEqual(ok("d"));
    expect(verifyAt(T0 + 60_001)).toEqual(refused("expired"));
  });

  it("is checked against verify's maxAgeSec instead of the token's when given", () => {
    expect(verifyAt(T0 + 30_000, 10)).toEqual(refused("expired"));
    expect(verifyAt(T0 + DAY_MS, 86_400)).toEqual(ok("d"));
    expect(verifyAt(T0 + 1_500, 1.5)).toEqual(ok("d"));
    expect(verifyAt(T0 + 1_501, 1.5)).toEqual(refused("expired"));
  });

  it("never expires under maxAgeSec Infinity, and always has under 0", () => {
    expect(verifyAt(T0 + 1000 * DAY_MS, Infinity)).toEqual(ok("d"));
    expect(verifyAt(T0, 0)).toEqual(refused("expired"));
  });

  it("is invalid when signed in the future — unless there is no limit, as in Plug", () => {
    expect(verifyAt(T0 - 1)).toEqual(refused("invalid"));
    expect(verifyAt(T0 - 1, Infinity)).toEqual(ok("d"));
    expect(verifyAt(T0 - 1, 0)).toEqual(refused("expired"));
  });

  it("is measured against a Date as well as ms", () => {
    expect(Token.verify(SECRET, SALT, token, { now: new Date(T0 + 60_001) })).toEqual(refused("expired"));
  });

  it("defaults to one day, and to now", () => {
    const fresh = Token.sign(SECRET, SALT, 1);
    expect(Token.verify(SECRET, SALT, fresh)).toEqual(ok(1));
    expect(Token.verify(SECRET, SALT, fresh, { now: Date.now() + DAY_MS + 1000 })).toEqual(refused("expired"));
  });
});

describe("refusals", () => {
  const token = Token.sign(SECRET, SALT, { user_id: 1 });

  it("says missing for undefined and null, invalid for anything else that is not a token", () => {
    expect(Token.verify(SECRET, SALT, undefined)).toEqual(refused("missing"));
    expect(Token.verify(SECRET, SALT, null)).toEqual(refused("missing"));
    for (const bad of ["", "abc", 42, { token }, [token], `${token}.`, ` ${token}`, token.replace(/\./g, "..")]) {
      expect(Token.verify(SECRET, SALT, bad)).toEqual(refused("invalid"));
    }
  });

  it("refuses a token of another salt or another secret", () => {
    expect(Token.verify(SECRET, "other salt", token)).toEqual(refused("invalid"));
    expect(Token.verify(OLD_SECRET, SALT, token)).toEqual(refused("invalid"));
  });

  it("refuses a damaged header, payload or signature", () => {
    const [header, payload, signature] = token.split(".") as [string, string, string];
    expect(Token.verify(SECRET, SALT, `SFM1MTI.${payload}.${signature}`)).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, `${header}.${damage(payload, 5)}.${signature}`)).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, damage(token, -3))).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, token.slice(0, -1))).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, `${header}.${payload}.${signature}=`)).toEqual(refused("invalid"));
  });

  it("refuses a rightly signed payload that is not a term, or not a token's", () => {
    expect(Token.verify(SECRET, SALT, signedPayload(new Uint8Array([1, 2, 3])))).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, signedPayload(new Uint8Array()))).toEqual(refused("invalid"));
    for (const envelope of [42, new ErlangTuple([1]), new ErlangTuple([1, "now"]), new ErlangTuple([1, 1.5, 60]), new ErlangTuple([1, T0, "60"]), new ErlangTuple([1, T0, new ErlangAtom("forever")]), { data: 1 }]) {
      expect(Token.verify(SECRET, SALT, signedPayload(encodeTerm(envelope)), { now: T0 })).toEqual(refused("invalid"));
    }
  });

  it("reads the envelopes of older Plug and Phoenix versions, with a max age of one day", () => {
    for (const envelope of [new ErlangTuple(["d", T0]), { data: "d", signed: T0 }]) {
      const legacy = signedPayload(encodeTerm(envelope));
      expect(Token.verify(SECRET, SALT, legacy, { now: T0 + DAY_MS })).toEqual(ok("d"));
      expect(Token.verify(SECRET, SALT, legacy, { now: T0 + DAY_MS + 1 })).toEqual(refused("expired"));
    }
  });
});

describe("whatever a client sends", () => {
  const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
  const answers = (result: TokenResult): void => {
    expect(result.ok ? "ok" : result.reason).toMatch(/^(ok|invalid|expired)$/);
  };
  const valid = Token.sign(SECRET, SALT, { user_id: 1, roles: ["a"] });

  it("gets an answer, never an exception: random strings and damaged tokens", () => {
    const damaged = fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, text]) => valid.slice(0, at % valid.length) + text + valid.slice((at % valid.length) + 1));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), damaged), (token) => {
        answers(Token.verify(SECRET, SALT, token));
        answers(Token.decrypt(SECRET, SALT, token));
      }),
      { numRuns: RUNS, seed: 7 },
    );
  });

  it("gets an answer for rightly signed payloads of any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => answers(Token.verify(SECRET, SALT, signedPayload(new Uint8Array([131, ...bytes])), { now: T0 }))),
      { numRuns: RUNS, seed: 7 },
    );
  });
});

describe("key rotation", () => {
  const old = Token.sign(OLD_SECRET, SALT, "old");

  it("verifies with any of a list of secrets", () => {
    expect(Token.verify([SECRET, OLD_SECRET], SALT, old)).toEqual(ok("old"));
    expect(Token.verify([SECRET, OLD_SECRET], SALT, Token.sign(SECRET, SALT, "new"))).toEqual(ok("new"));
    expect(Token.verify([SECRET], SALT, old)).toEqual(refused("invalid"));
  });

  it("takes secrets as bytes as well as strings", () => {
    expect(Token.verify(Buffer.from(OLD_SECRET), SALT, old)).toEqual(ok("old"));
    expect(Token.verify([new Uint8Array(Buffer.from(SECRET)), Buffer.from(OLD_SECRET)], SALT, old)).toEqual(ok("old"));
  });
});

describe("Token.create", () => {
  const tokens = Token.create({ secrets: [SECRET, OLD_SECRET], salt: SALT, maxAgeSec: 60 });

  it("signs with the first secret and the max age, and verifies with every secret", () => {
    const token = tokens.sign("d", { signedAt: T0 });
    expect(token).toBe(Token.sign(SECRET, SALT, "d", { signedAt: T0, maxAgeSec: 60 }));
    expect(tokens.verify(Token.sign(OLD_SECRET, SALT, "old"))).toEqual(ok("old"));
    expect(tokens.salt).toBe(SALT);
  });

  it("checks its max age on tokens that carry another, unless the call says otherwise", () => {
    const long = Token.sign(SECRET, SALT, "d", { signedAt: T0, maxAgeSec: 86_400 });
    expect(tokens.verify(long, { now: T0 + 61_000 })).toEqual(refused("expired"));
    expect(tokens.verify(long, { now: T0 + 61_000, maxAgeSec: 120 })).toEqual(ok("d"));
    expect(tokens.sign("d", { signedAt: T0, maxAgeSec: 5 })).toBe(Token.sign(SECRET, SALT, "d", { signedAt: T0, maxAgeSec: 5 }));
  });

  it("encrypts with the first secret and decrypts with every secret", () => {
    expect(tokens.decrypt(tokens.encrypt({ a: 1 }))).toEqual(ok({ a: 1 }));
    expect(tokens.decrypt(Token.encrypt(OLD_SECRET, SALT, "old"))).toEqual(ok("old"));
    expect(Token.decrypt(OLD_SECRET, SALT, tokens.encrypt("new"))).toEqual(refused("invalid"));
  });

  it("keeps its own copy of the secrets", () => {
    const secrets = [SECRET];
    const own = Token.create({ secrets, salt: SALT });
    secrets[0] = OLD_SECRET;
    expect(Token.verify(SECRET, SALT, own.sign(1))).toEqual(ok(1));
  });
});

describe("Token.encrypt and Token.decrypt", () => {
  const data = { email: "ada@example.com" };

  it("gives back the data, which the token does not show", () => {
    const token = Token.encrypt(SECRET, SALT, data);
    expect(token).toMatch(/^XCP\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token.slice(4), "base64url").toString("latin1")).not.toContain("ada@");
    expect(Token.decrypt(SECRET, SALT, token)).toEqual(ok(data));
  });

  it("uses a fresh nonce for every token", () => {
    expect(Token.encrypt(SECRET, SALT, 1, { signedAt: T0 })).not.toBe(Token.encrypt(SECRET, SALT, 1, { signedAt: T0 }));
  });

  it("applies the same age rules as verify", () => {
    const token = Token.encrypt(SECRET, SALT, 1, { signedAt: T0, maxAgeSec: 60 });
    expect(Token.decrypt(SECRET, SALT, token, { now: T0 + 60_000 })).toEqual(ok(1));
    expect(Token.decrypt(SECRET, SALT, token, { now: T0 + 60_001 })).toEqual(refused("expired"));
    expect(Token.decrypt(SECRET, SALT, token, { now: T0 - 1 })).toEqual(refused("invalid"));
  });

  it("refuses damaged tokens, other salts, and signed tokens", () => {
    const token = Token.encrypt(SECRET, SALT, data);
    expect(Token.decrypt(SECRET, "other", token)).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, damage(token, 10))).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, damage(token, -2))).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, token.slice(0, 40))).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, "QTEyOEdDTQ.a.b.c.d")).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, Token.sign(SECRET, SALT, data))).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, token)).toEqual(refused("invalid"));
    expect(Token.decrypt(SECRET, SALT, null)).toEqual(refused("missing"));
  });
});

describe("XChaCha20-Poly1305, against draft-irtf-cfrg-xchacha", () => {
  it("derives the HChaCha20 subkey of section 2.2.1", () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const nonce = Buffer.from("000000090000004a0000000031415927", "hex");
    expect(hchacha20(key, nonce).toString("hex")).toBe("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
  });

  it("seals the plaintext of appendix A.3.1 to its ciphertext and tag", () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i));
    const nonce = Buffer.from(Array.from({ length: 24 }, (_, i) => 0x40 + i));
    const plaintext = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const cipher = createCipheriv("chacha20-poly1305", hchacha20(key, nonce.subarray(0, 16)), Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]), { authTagLength: 16 });
    cipher.setAAD(Buffer.from("50515253c0c1c2c3c4c5c6c7", "hex"), { plaintextLength: plaintext.length });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    expect(ciphertext.subarray(0, 32).toString("hex")).toBe("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb");
    expect(cipher.getAuthTag().toString("hex")).toBe("c0875924c1c7987947deafd8780acf49");
  });
});

describe("the key cache", () => {
  it("derives a key once per secret and salt, and tells pairs apart", () => {
    const key = deriveKey(Buffer.from(SECRET), "cache test");
    expect(deriveKey(Buffer.from(SECRET), "cache test")).toBe(key);
    expect(deriveKey(Buffer.from(SECRET), "cache test 2")).not.toEqual(key);
    expect(deriveKey(Buffer.from(`${SECRET}a`), "b")).not.toEqual(deriveKey(Buffer.from(SECRET), "ab"));
  });

  it("forgets the least recently used key beyond 256", () => {
    const first = deriveKey(Buffer.from(SECRET), "lru 0");
    for (let i = 1; i <= 256; i++) deriveKey(Buffer.from(SECRET), `lru ${i}`);
    const again = deriveKey(Buffer.from(SECRET), "lru 0");
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});

describe("misuse", () => {
  it.each([
    ["a secret of 31 bytes", () => Token.sign("s".repeat(31), SALT, 1), ServerErrorCode.BAD_TOKEN_SECRET],
    ["a secret that is a number", () => Token.verify(42 as unknown as string, SALT, "t"), ServerErrorCode.BAD_TOKEN_SECRET],
    ["an empty list of secrets", () => Token.verify([], SALT, undefined), ServerErrorCode.BAD_TOKEN_SECRET],
    ["a short secret in a list", () => Token.verify([SECRET, "short"], SALT, "t"), ServerErrorCode.BAD_TOKEN_SECRET],
    ["create without secrets", () => Token.create({ salt: SALT } as never), ServerErrorCode.BAD_TOKEN_SECRET],
    ["create with an empty list", () => Token.create({ secrets: [], salt: SALT }), ServerErrorCode.BAD_TOKEN_SECRET],
    ["a salt that is not a string", () => Token.sign(SECRET, undefined as unknown as string, 1), ServerErrorCode.BAD_TOKEN_OPTION],
    ["create without a salt", () => Token.create({ secrets: [SECRET] } as never), ServerErrorCode.BAD_TOKEN_OPTION],
    ["create without options", () => Token.create(undefined as never), ServerErrorCode.BAD_TOKEN_OPTION],
    ["maxAgeSec NaN", () => Token.sign(SECRET, SALT, 1, { maxAgeSec: NaN }), ServerErrorCode.BAD_TOKEN_OPTION],
    ["maxAgeSec negative", () => Token.verify(SECRET, SALT, "t", { maxAgeSec: -1 }), ServerErrorCode.BAD_TOKEN_OPTION],
    ["maxAgeSec as a string", () => Token.create({ secrets: [SECRET], salt: SALT, maxAgeSec: "60" as never }), ServerErrorCode.BAD_TOKEN_OPTION],
    ["signedAt an invalid Date", () => Token.sign(SECRET, SALT, 1, { signedAt: new Date(NaN) }), ServerErrorCode.BAD_TOKEN_OPTION],
    ["now Infinity", () => Token.decrypt(SECRET, SALT, "t", { now: Infinity }), ServerErrorCode.BAD_TOKEN_OPTION],
    ["options that are not an object", () => Token.verify(SECRET, SALT, "t", 5 as never), ServerErrorCode.BAD_TOKEN_OPTION],
    ["data undefined", () => Token.sign(SECRET, SALT, undefined), ServerErrorCode.UNENCODABLE_TERM],
    ["data with a function", () => Token.encrypt(SECRET, SALT, { f: () => 1 }), ServerErrorCode.UNENCODABLE_TERM],
  ])("throws for %s", (_label, call, expected) => {
    expect(call).toThrow(code(expected));
  });

  it("checks the secret even when the token is missing", () => {
    expect(() => Token.verify("short", SALT, undefined)).toThrow(code(ServerErrorCode.BAD_TOKEN_SECRET));
  });
});

/**
 * Signed (and optionally encrypted), expiring tokens in the format of Phoenix.Token, so a Phoenix backend
 * and Fenix can mint and check each other's tokens: the data, the signing time and a max age as an
 * Erlang term, signed (or encrypted) under a key derived from a secret and a salt. Several secrets let
 * keys be rotated.
 */
import { ServerError, ServerErrorCode } from "../errors.js";
import { decodeTerm, describe, encodeTerm } from "./etf.js";
import { ErlangAtom, ErlangTuple, type ErlangTerm } from "./etf-term.js";
import { deriveKey, secretList, type TokenSecret } from "./key-generator.js";
import { decryptMessage, encryptMessage } from "./message-encryptor.js";
import { openSignedMessage, signMessage } from "./message-verifier.js";

export type { TokenSecret } from "./key-generator.js";

/** One secret, or a list of them: the first signs (or encrypts), every one verifies (or decrypts). */
export type TokenSecrets = TokenSecret | readonly TokenSecret[];

/** Options of {@link Token.sign} and {@link Token.encrypt}. */
export interface TokenSignOptions {
  /** When the token was signed, as a `Date` or ms since the epoch (Phoenix's `:signed_at` is in seconds). @defaultValue now */
  readonly signedAt?: Date | number;
  /** Seconds the token is valid, written into it; `verify` may ask for less or more. `Infinity`: no limit. @defaultValue 86400 (one day) */
  readonly maxAgeSec?: number;
}

/** Options of {@link Token.verify} and {@link Token.decrypt}. */
export interface TokenVerifyOptions {
  /** Seconds a token is valid after it was signed, instead of the max age written in it; `Infinity`: no limit, `0`: none is. @defaultValue the token's */
  readonly maxAgeSec?: number;
  /** The time to check against, as a `Date` or ms since the epoch (for tests). @defaultValue now */
  readonly now?: Date | number;
}

/** Why a token was refused, as Phoenix.Token says it: forged, damaged or signed in the future; too old; absent. */
export type TokenFailure = "invalid" | "expired" | "missing";

/** What {@link Token.verify} and {@link Token.decrypt} answer: the token's data, or why it was refused. */
export type TokenResult = { readonly ok: true; readonly data: ErlangTerm } | { readonly ok: false; readonly reason: TokenFailure };

/** Options of {@link Token.create}. */
export interface TokensOptions {
  /** The secrets, newest first: the first signs and encrypts, all of them verify and decrypt. */
  readonly secrets: readonly TokenSecret[];
  /** The salt (Phoenix calls it a namespace): tokens of one salt are refused under another. */
  readonly salt: string;
  /** Seconds tokens are valid: written into the tokens it signs, and checked on the tokens it verifies. @defaultValue 86400, and the token's own when verifying */
  readonly maxAgeSec?: number;
}

/** Signs, verifies, encrypts and decrypts the tokens of one salt, with rotating secrets: made by {@link Token.create}. */
export interface Tokens {
  /** The salt given to `create`. */
  readonly salt: string;
  /** {@link Token.sign} with the first secret. */
  sign(data: unknown, options?: TokenSignOptions): string;
  /** {@link Token.verify} with every secret. */
  verify(token: unknown, options?: TokenVerifyOptions): TokenResult;
  /** {@link Token.encrypt} with the first secret. */
  encrypt(data: unknown, options?: TokenSignOptions): string;
  /** {@link Token.decrypt} with every secret. */
  decrypt(token: unknown, options?: TokenVerifyOptions): TokenResult;
}

/** Phoenix's default max age: one day. */
const DEFAULT_MAX_AGE_SEC = 86_400;
const INFINITY = new ErlangAtom("infinity");

/**
 * Signs `data` into a token, as `Phoenix.Token.sign(secret_key_base, salt, data, opts)` does.
 *
 * @remarks
 * The token is `term_to_binary({data, signed_at_ms, max_age_sec})` signed with HMAC-SHA256 under
 * PBKDF2(secret, salt) in Plug's MessageVerifier format: readable by anyone (base64url), forgeable by no
 * one without the secret. Do not put secrets in `data` — use {@link Token.encrypt} for that. `data` is
 * written as an Erlang term (see `encodeTerm`): a JS object becomes a map with binary keys, so
 * `{ user_id: 1 }` reaches Elixir as `%{"user_id" => 1}`.
 *
 * @param secrets - the secret (at least 32 bytes: a Phoenix app's `secret_key_base`), or a list whose first signs.
 * @param salt - separates kinds of tokens: `"user socket"` tokens are refused where `"password reset"` ones are checked.
 * @throws ServerError `BAD_TOKEN_SECRET`, `BAD_TOKEN_OPTION`, or `UNENCODABLE_TERM` for data with no Erlang term.
 * @example
 * ```ts
 * const token = Token.sign(process.env.SECRET_KEY_BASE!, "user socket", 42, { maxAgeSec: 3600 });
 * ```
 */
function sign(secrets: TokenSecrets, salt: string, data: unknown, options: TokenSignOptions = {}): string {
  const key = deriveKey(secretList(secrets)[0]!, checkSalt(salt));
  return signMessage(envelope(data, options), key);
}

/**
 * Checks a token made by {@link Token.sign} or by `Phoenix.Token.sign`, and returns its data.
 *
 * @remarks
 * Answers `{ ok: true, data }`, or `{ ok: false, reason }`: `"missing"` when `token` is `undefined` or
 * `null`; `"invalid"` when it is not a string, not signed by any of `secrets` under `salt`, damaged, or
 * signed in the future; `"expired"` when it is older than its max age (`maxAgeSec`, else the one written
 * in the token). It never throws for a bad token — only for a bad secret, salt or option — so `token`
 * may come straight from a client. The checks and their order are Plug.Crypto's, so a token gets the
 * same answer from Phoenix and from Fenix. Keys are derived once per secret and salt and cached.
 *
 * @throws ServerError `BAD_TOKEN_SECRET` or `BAD_TOKEN_OPTION`.
 * @example
 * ```ts
 * const result = Token.verify([process.env.SECRET_KEY_BASE!, process.env.OLD_SECRET_KEY_BASE!], "user socket", info.authToken, { maxAgeSec: 3600 });
 * if (result.ok) console.log("user", result.data);
 * ```
 */
function verify(secrets: TokenSecrets, salt: string, token: unknown, options: TokenVerifyOptions = {}): TokenResult {
  return check(secrets, salt, token, options, openSignedMessage);
}

/**
 * Encrypts `data` into a token, as `Phoenix.Token.encrypt(secret_key_base, secret, data, opts)` does.
 *
 * @remarks
 * Like {@link Token.sign}, but the data cannot be read without the secret: XChaCha20-Poly1305 under the
 * derived key (Plug.Crypto.MessageEncryptor's format since plug_crypto 2.0, `XCP.` tokens).
 *
 * @throws ServerError `BAD_TOKEN_SECRET`, `BAD_TOKEN_OPTION`, or `UNENCODABLE_TERM`.
 * @example
 * ```ts
 * const token = Token.encrypt(process.env.SECRET_KEY_BASE!, "invite", { email: "ada@example.com" });
 * ```
 */
function encrypt(secrets: TokenSecrets, salt: string, data: unknown, options: TokenSignOptions = {}): string {
  const key = deriveKey(secretList(secrets)[0]!, checkSalt(salt));
  return encryptMessage(envelope(data, options), key);
}

/**
 * Decrypts a token made by {@link Token.encrypt} or by `Phoenix.Token.encrypt`, and returns its data.
 *
 * @remarks
 * Answers as {@link Token.verify} does. Reads the tokens of plug_crypto 2.x (`XCP.`) and 1.x (`A128GCM`).
 *
 * @throws ServerError `BAD_TOKEN_SECRET` or `BAD_TOKEN_OPTION`.
 * @example
 * ```ts
 * const result = Token.decrypt(process.env.SECRET_KEY_BASE!, "invite", token, { maxAgeSec: 7 * 86_400 });
 * ```
 */
function decrypt(secrets: TokenSecrets, salt: string, token: unknown, options: TokenVerifyOptions = {}): TokenResult {
  return check(secrets, salt, token, options, decryptMessage);
}

/**
 * Binds secrets, a salt and a max age into a {@link Tokens} object: the first secret signs, every secret
 * verifies — rotate keys by putting a new secret first and dropping the old one once its tokens expired.
 *
 * @remarks
 * `maxAgeSec` is written into the tokens it signs and checked on every token it verifies (so tokens
 * minted by Phoenix with another max age get this one); options given to a call win.
 *
 * @throws ServerError `BAD_TOKEN_SECRET` or `BAD_TOKEN_OPTION`, at once.
 * @example
 * ```ts
 * const userTokens = Token.create({ secrets: [process.env.SECRET_KEY_BASE!, process.env.OLD_SECRET_KEY_BASE!], salt: "user socket", maxAgeSec: 14 * 86_400 });
 * const token = userTokens.sign({ user_id: 42 });
 * userTokens.verify(token); // { ok: true, data: { user_id: 42 } }
 * ```
 */
function create(options: TokensOptions): Tokens {
  if (typeof options !== "object" || options === null) throw badOption(`Token.create needs { secrets, salt }; got ${describe(options)}`);
  if (!Array.isArray(options.secrets)) throw new ServerError(ServerErrorCode.BAD_TOKEN_SECRET, `Token.create needs secrets: a non-empty list of secrets; got ${describe(options.secrets)}.`);
  const secrets = Object.freeze([...options.secrets]);
  secretList(secrets);
  const salt = checkSalt(options.salt);
  const maxAgeSec = options.maxAgeSec === undefined ? undefined : checkMaxAge(options.maxAgeSec);
  const withMaxAge = <T extends { readonly maxAgeSec?: number }>(given: T | undefined): T => ({ maxAgeSec, ...given }) as T;
  return Object.freeze({
    salt,
    sign: (data: unknown, given?: TokenSignOptions) => sign(secrets, salt, data, withMaxAge(given)),
    verify: (token: unknown, given?: TokenVerifyOptions) => verify(secrets, salt, token, withMaxAge(given)),
    encrypt: (data: unknown, given?: TokenSignOptions) => encrypt(secrets, salt, data, withMaxAge(given)),
    decrypt: (token: unknown, given?: TokenVerifyOptions) => decrypt(secrets, salt, token, withMaxAge(given)),
  });
}

/**
 * Phoenix.Token for Fenix: `sign`/`verify` (readable, tamper-proof tokens), `encrypt`/`decrypt` (unreadable
 * ones), and `create` for a salt with rotating secrets. Tokens are interchangeable with Phoenix's.
 *
 * @example
 * ```ts
 * const token = Token.sign(secretKeyBase, "user socket", 42);
 * Token.verify(secretKeyBase, "user socket", token, { maxAgeSec: 86_400 }); // { ok: true, data: 42 }
 * ```
 */
export const Token = Object.freeze({ sign, verify, encrypt, decrypt, create });

/** The signed (or encrypted) payload: `term_to_binary({data, signed_at_ms, max_age_sec})`. */
function envelope(data: unknown, options: TokenSignOptions): Uint8Array {
  if (typeof options !== "object" || options === null) throw badOption(`token options must be an object; got ${describe(options)}`);
  const signedAt = options.signedAt === undefined ? Date.now() : timeOf(options.signedAt, "signedAt");
  const maxAgeSec = options.maxAgeSec === undefined ? DEFAULT_MAX_AGE_SEC : checkMaxAge(options.maxAgeSec);
  return encodeTerm(new ErlangTuple([data as ErlangTerm, Math.trunc(signedAt), maxAgeSec === Infinity ? INFINITY : maxAgeSec]), { maxDepth: 65 });
}

function check(secrets: TokenSecrets, salt: string, token: unknown, options: TokenVerifyOptions, open: (token: string, keys: Iterable<Buffer>) => Uint8Array | undefined): TokenResult {
  const list = secretList(secrets);
  checkSalt(salt);
  if (typeof options !== "object" || options === null) throw badOption(`token options must be an object; got ${describe(options)}`);
  const maxAgeSec = options.maxAgeSec === undefined ? undefined : checkMaxAge(options.maxAgeSec);
  const now = options.now === undefined ? Date.now() : timeOf(options.now, "now");
  if (token === undefined || token === null) return { ok: false, reason: "missing" };
  if (typeof token !== "string") return INVALID;
  const payload = open(token, keysOf(list, salt));
  const contents = payload === undefined ? undefined : openEnvelope(payload);
  if (contents === undefined) return INVALID;
  const reason = ageProblem(contents.signedAt, maxAgeSec ?? contents.maxAgeSec, now);
  return reason === undefined ? { ok: true, data: contents.data } : { ok: false, reason };
}

const INVALID: TokenResult = Object.freeze({ ok: false, reason: "invalid" });

/** Derives each key only when the one before it did not match. */
function* keysOf(secrets: readonly Buffer[], salt: string): Generator<Buffer> {
  for (const secret of secrets) yield deriveKey(secret, salt);
}

interface Contents {
  readonly data: ErlangTerm;
  readonly signedAt: number;
  readonly maxAgeSec: number;
}

/**
 * Reads `{data, signed_at, max_age}`; like Plug.Crypto, also `{data, signed_at}` and `%{data: …, signed: …}`
 * (tokens of older versions), whose max age is one day.
 */
function openEnvelope(payload: Uint8Array): Contents | undefined {
  let term: ErlangTerm;
  try {
    term = decodeTerm(payload);
  } catch {
    return undefined;
  }
  let data: ErlangTerm | undefined;
  let signedAt: ErlangTerm | undefined;
  let maxAge: ErlangTerm | undefined = DEFAULT_MAX_AGE_SEC;
  if (term instanceof ErlangTuple && (term.elements.length === 3 || term.elements.length === 2)) {
    [data, signedAt] = term.elements;
    if (term.elements.length === 3) maxAge = term.elements[2];
  } else if (isPlainObject(term) && "data" in term && "signed" in term) {
    data = term.data;
    signedAt = term.signed;
  }
  if (data === undefined || typeof signedAt !== "number" || !Number.isInteger(signedAt)) return undefined;
  const maxAgeSec = maxAge instanceof ErlangAtom && maxAge.name === "infinity" ? Infinity : maxAge;
  if (typeof maxAgeSec !== "number") return undefined;
  return { data, signedAt, maxAgeSec };
}

/** Plug.Crypto's age check, in its order: no limit; a limit of 0 or less; signed in the future; too old. */
function ageProblem(signedAt: number, maxAgeSec: number, now: number): TokenFailure | undefined {
  if (maxAgeSec === Infinity) return undefined;
  if (maxAgeSec <= 0) return "expired";
  if (signedAt > now) return "invalid";
  if (signedAt + Math.trunc(maxAgeSec * 1000) < now) return "expired";
  return undefined;
}

function isPlainObject(term: ErlangTerm): term is { readonly [key: string]: ErlangTerm } {
  return typeof term === "object" && term !== null && Object.getPrototypeOf(term) === Object.prototype;
}

function checkSalt(salt: unknown): string {
  if (typeof salt !== "string") throw badOption(`a token salt must be a string; got ${describe(salt)}`);
  return salt;
}

function checkMaxAge(value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) throw badOption(`maxAgeSec must be a number of seconds, 0 or more (Infinity: no limit); got ${describe(value)}`);
  return value;
}

function timeOf(value: unknown, name: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw badOption(`${name} must be a Date or ms since the epoch; got ${describe(value)}`);
  return ms;
}

function badOption(message: string): ServerError {
  return new ServerError(ServerErrorCode.BAD_TOKEN_OPTION, `${message[0]!.toUpperCase()}${message.slice(1)}.`);
}

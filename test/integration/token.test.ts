/**
 * Tokens shared with Phoenix. Erlang (`erl`) plays the Phoenix backend: it mints tokens with the steps of
 * Phoenix.Token.sign/encrypt (term_to_binary, Plug's PBKDF2 key, MessageVerifier's HMAC format,
 * MessageEncryptor's XChaCha20-Poly1305 and its plug_crypto 1.x AES-GCM format) for Fenix to verify, and
 * checks Fenix's tokens with the steps of Phoenix.Token.verify/decrypt (binary_to_term in safe mode, the
 * HMAC, the age rules). Then a Socket's `connect` verifies a token the official client passes as
 * `authToken`, over WebSocket and LongPoll, without it ever appearing in a URL.
 */
import { LongPoll } from "phoenix";
import WebSocket from "ws";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Channel, Endpoint, ok, silentLogger, Socket, Token, type ChannelRoute, type ConnectInfo, type Params, type TokenResult } from "../../src/index.js";
import { ErlangAtom, ErlangTuple, type ErlangTerm } from "../../src/server/token/etf-term.js";
import { requireErlang, runErlang } from "../support/erlang.js";
import { closeAllClients, connectSocket, createSocket, join, Recorder } from "../support/phoenix-client.js";

const SECRET = "phoenix-secret-key-base-".repeat(3);
const OLD_SECRET = "an-older-secret-key-base-".repeat(3);
const SALT = "user socket";
const T0 = Date.UTC(2026, 2, 1);
const DAY_MS = 86_400_000;

const atom = (name: string) => new ErlangAtom(name);
const okResult = (data: ErlangTerm): TokenResult => ({ ok: true, data });
const refused = (reason: "invalid" | "expired" | "missing"): TokenResult => ({ ok: false, reason });

/**
 * Phoenix.Token in Erlang, bound to variables. `B64`/`Unb64`: Elixir's `Base.url_encode64(padding: false)`
 * and back. `Key`: Plug.Crypto.KeyGenerator. `SignBin`: MessageVerifier.sign of a payload. `Encrypt`,
 * `LegacyEncrypt`: MessageEncryptor.encrypt of plug_crypto 2.x and 1.x. `Verify`, `Decrypt`:
 * Phoenix.Token.verify/decrypt, taking the time and `default` or a max age.
 */
const PHOENIX = `
  S = <<"${SECRET}">>, OldS = <<"${OLD_SECRET}">>, Salt = <<"${SALT}">>, T0 = ${T0},
  B64 = fun(Bin) ->
    S0 = base64:encode(Bin),
    S1 = binary:replace(binary:replace(S0, <<"+">>, <<"-">>, [global]), <<"/">>, <<"_">>, [global]),
    binary:replace(S1, <<"=">>, <<>>, [global])
  end,
  Unb64 = fun(Text) ->
    S1 = binary:replace(binary:replace(Text, <<"-">>, <<"+">>, [global]), <<"_">>, <<"/">>, [global]),
    base64:decode(<<S1/binary, (binary:copy(<<"=">>, (4 - byte_size(S1) rem 4) rem 4))/binary>>)
  end,
  Key = fun(Secret, Salt1) -> crypto:pbkdf2_hmac(sha256, Secret, Salt1, 1000, 32) end,
  SignBin = fun(Digest, Secret, Salt1, Bin) ->
    Alg = case Digest of sha256 -> <<"HS256">>; sha512 -> <<"HS512">> end,
    Plain = <<(B64(Alg))/binary, ".", (B64(Bin))/binary>>,
    <<Plain/binary, ".", (B64(crypto:mac(hmac, Digest, Key(Secret, Salt1), Plain)))/binary>>
  end,
  Sign = fun(Secret, Salt1, Term) -> SignBin(sha256, Secret, Salt1, term_to_binary(Term)) end,
  HChaCha = fun(K, N16) ->
    <<X0:32/little, X1:32/little, X2:32/little, X3:32/little, _:32/binary,
      X12:32/little, X13:32/little, X14:32/little, X15:32/little>> = crypto:crypto_one_time(chacha20, K, N16, <<0:512>>, true),
    <<Y0:32/little, Y1:32/little, Y2:32/little, Y3:32/little,
      Y12:32/little, Y13:32/little, Y14:32/little, Y15:32/little>> = <<"expand 32-byte k", N16/binary>>,
    << <<(X - Y):32/little>> || {X, Y} <- lists:zip([X0, X1, X2, X3, X12, X13, X14, X15], [Y0, Y1, Y2, Y3, Y12, Y13, Y14, Y15]) >>
  end,
  Encrypt = fun(Secret, Salt1, Term) ->
    <<N0:16/binary, N1:8/binary>> = Iv = crypto:strong_rand_bytes(24),
    {CT, Tag} = crypto:crypto_one_time_aead(chacha20_poly1305, HChaCha(Key(Secret, Salt1), N0), <<0:32, N1/binary>>, term_to_binary(Term), <<"A128GCM">>, true),
    <<"XCP.", (B64(<<Iv/binary, Tag/binary, CT/binary>>))/binary>>
  end,
  LegacyEncrypt = fun(Secret, Salt1, Term) ->
    Cek = crypto:strong_rand_bytes(16), Iv = crypto:strong_rand_bytes(12), WrapIv = crypto:strong_rand_bytes(12),
    {CT, Tag} = crypto:crypto_one_time_aead(aes_128_gcm, Cek, Iv, term_to_binary(Term), <<"A128GCM">>, true),
    {WCT, WTag} = crypto:crypto_one_time_aead(aes_256_gcm, Key(Secret, Salt1), WrapIv, Cek, <<>>, true),
    list_to_binary(lists:join(<<".">>, [B64(P) || P <- [<<"A128GCM">>, <<WCT/binary, WTag/binary, WrapIv/binary>>, Iv, CT, Tag]]))
  end,
  CheckAge = fun({Data, Signed, MaxAge0}, Now, MaxAgeOpt) ->
    MaxAge = case MaxAgeOpt of default -> MaxAge0; _ -> MaxAgeOpt end,
    if
      MaxAge =:= infinity -> {ok, Data};
      MaxAge =< 0 -> {error, expired};
      Signed > Now -> {error, invalid};
      Signed + trunc(MaxAge * 1000) < Now -> {error, expired};
      true -> {ok, Data}
    end
  end,
  Verify = fun(Secret, Salt1, Token, Now, MaxAgeOpt) ->
    case binary:split(Token, <<".">>, [global]) of
      [<<"SFMyNTY">> = Protected, Payload, Signature] ->
        Challenge = crypto:mac(hmac, sha256, Key(Secret, Salt1), <<Protected/binary, ".", Payload/binary>>),
        Given = Unb64(Signature),
        case byte_size(Given) =:= byte_size(Challenge) andalso crypto:hash_equals(Challenge, Given) of
          true -> CheckAge(binary_to_term(Unb64(Payload), [safe]), Now, MaxAgeOpt);
          false -> {error, invalid}
        end;
      _ -> {error, invalid}
    end
  end,
  Decrypt = fun(Secret, Salt1, <<"XCP.", Rest/binary>>, Now, MaxAgeOpt) ->
    <<N0:16/binary, N1:8/binary, Tag:16/binary, CT/binary>> = Unb64(Rest),
    case crypto:crypto_one_time_aead(chacha20_poly1305, HChaCha(Key(Secret, Salt1), N0), <<0:32, N1/binary>>, CT, <<"A128GCM">>, Tag, false) of
      error -> {error, invalid};
      Plain -> CheckAge(binary_to_term(Plain, [safe]), Now, MaxAgeOpt)
    end
  end,
`;

/** Tokens Erlang mints: name → Erlang expression of the token → what Fenix must answer. */
const MINTED: readonly (readonly [string, string, (token: string) => TokenResult, TokenResult])[] = [
  ["an integer", "Sign(S, Salt, {42, T0, 86400})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(42)],
  [
    "an Elixir map with atom keys",
    'Sign(S, Salt, {#{user_id => 42, role => admin, tags => [<<"a">>, <<"b">>]}, T0, 86400})',
    (t) => Token.verify(SECRET, SALT, t, { now: T0 }),
    okResult({ user_id: 42, role: atom("admin"), tags: ["a", "b"] }),
  ],
  ["a tuple with a charlist", 'Sign(S, Salt, {{user, "ada"}, T0, 86400})', (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(new ErlangTuple([atom("user"), [97, 100, 97]]))],
  ["a big integer, a float, bytes", "Sign(S, Salt, {[1 bsl 70, 2.5, <<255>>], T0, 86400})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult([2n ** 70n, 2.5, new Uint8Array([255])])],
  ["UTF-8 atoms (OTP 26 and later)", "SignBin(sha256, S, Salt, term_to_binary({#{user_id => 1}, T0, 60}, [{minor_version, 2}]))", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult({ user_id: 1 })],
  ["a compressed payload", "SignBin(sha256, S, Salt, term_to_binary({lists:duplicate(200, <<\"abc\">>), T0, 60}, [compressed]))", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(new Array<string>(200).fill("abc"))],
  ["HS512", "SignBin(sha512, S, Salt, term_to_binary({1, T0, 60}))", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(1)],
  ["max_age infinity, signed long ago", "Sign(S, Salt, {1, T0 - 1000 * 86400000, infinity})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(1)],
  ["max_age 60, 61 s old", "Sign(S, Salt, {1, T0 - 61000, 60})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), refused("expired")],
  ["max_age 60, 60 s old", "Sign(S, Salt, {1, T0 - 60000, 60})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(1)],
  ["a day's max age, checked with maxAgeSec 60", "Sign(S, Salt, {1, T0 - 61000, 86400})", (t) => Token.verify(SECRET, SALT, t, { now: T0, maxAgeSec: 60 }), refused("expired")],
  ["signed in the future", "Sign(S, Salt, {1, T0 + 1000, 60})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), refused("invalid")],
  ["Plug 1.1's {data, signed}", "Sign(S, Salt, {d, T0 - 86400000})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), okResult(atom("d"))],
  ["old Phoenix's %{data:, signed:}", "Sign(S, Salt, #{data => d, signed => T0 - 86400001})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), refused("expired")],
  ["another salt", 'Sign(S, <<"other">>, {1, T0, 60})', (t) => Token.verify(SECRET, SALT, t, { now: T0 }), refused("invalid")],
  ["the old secret, verified with [new, old]", "Sign(OldS, Salt, {1, T0, 60})", (t) => Token.verify([SECRET, OLD_SECRET], SALT, t, { now: T0 }), okResult(1)],
  ["the old secret, verified with the new one only", "Sign(OldS, Salt, {1, T0, 60})", (t) => Token.verify(SECRET, SALT, t, { now: T0 }), refused("invalid")],
  ["encrypted (plug_crypto 2.x)", 'Encrypt(S, Salt, {#{email => <<"ada@example.com">>}, T0, 86400})', (t) => Token.decrypt(SECRET, SALT, t, { now: T0 }), okResult({ email: "ada@example.com" })],
  ["encrypted, expired", "Encrypt(S, Salt, {1, T0 - 61000, 60})", (t) => Token.decrypt(SECRET, SALT, t, { now: T0 }), refused("expired")],
  ["encrypted with the old secret", "Encrypt(OldS, Salt, {1, T0, 60})", (t) => Token.decrypt([SECRET, OLD_SECRET], SALT, t, { now: T0 }), okResult(1)],
  ["encrypted, another salt", 'Encrypt(S, <<"other">>, {1, T0, 60})', (t) => Token.decrypt(SECRET, SALT, t, { now: T0 }), refused("invalid")],
  ["encrypted (plug_crypto 1.x A128GCM)", "LegacyEncrypt(S, Salt, {[1, 2, 3], T0, 86400})", (t) => Token.decrypt(SECRET, SALT, t, { now: T0 }), okResult([1, 2, 3])],
  ["encrypted (1.x) with the old secret", "LegacyEncrypt(OldS, Salt, {1, T0, 86400})", (t) => Token.decrypt([SECRET, OLD_SECRET], SALT, t, { now: T0 }), okResult(1)],
  ["a signed token given to decrypt", "Sign(S, Salt, {1, T0, 60})", (t) => Token.decrypt(SECRET, SALT, t, { now: T0 }), refused("invalid")],
];

/** Tokens Fenix mints: name → token → Erlang expression checking it → the Erlang answer expected. */
function fenixTokens(): readonly (readonly [string, string, string, string])[] {
  const at = { signedAt: T0 };
  const rotating = Token.create({ secrets: [OLD_SECRET, SECRET], salt: SALT });
  const signed = Token.sign(SECRET, SALT, { user_id: 42, name: "Ada" }, at);
  return [
    ["a map", signed, "Verify(S, Salt, Tok, T0, default)", '{ok, #{<<"user_id">> => 42, <<"name">> => <<"Ada">>}}'],
    ["atoms, tuples, lists", Token.sign(SECRET, SALT, new ErlangTuple([atom("ok"), [1, 2, 3], true, null]), at), "Verify(S, Salt, Tok, T0, default)", "{ok, {ok, [1, 2, 3], true, nil}}"],
    ["a big integer, a float, bytes", Token.sign(SECRET, SALT, [2n ** 70n, 2.5, new Uint8Array([255])], at), "Verify(S, Salt, Tok, T0, default)", "{ok, [1 bsl 70, 2.5, <<255>>]}"],
    ["max age Infinity", Token.sign(SECRET, SALT, 1, { signedAt: T0 - 1000 * DAY_MS, maxAgeSec: Infinity }), "Verify(S, Salt, Tok, T0, default)", "{ok, 1}"],
    ["max age 60, 61 s old", Token.sign(SECRET, SALT, 1, { signedAt: T0 - 61_000, maxAgeSec: 60 }), "Verify(S, Salt, Tok, T0, default)", "{error, expired}"],
    ["the default max age of a day", Token.sign(SECRET, SALT, 1, { signedAt: T0 - DAY_MS }), "Verify(S, Salt, Tok, T0, default)", "{ok, 1}"],
    ["a day and a millisecond old", Token.sign(SECRET, SALT, 1, { signedAt: T0 - DAY_MS - 1 }), "Verify(S, Salt, Tok, T0, default)", "{error, expired}"],
    ["checked with max_age 10", Token.sign(SECRET, SALT, 1, { signedAt: T0 - 11_000 }), "Verify(S, Salt, Tok, T0, 10)", "{error, expired}"],
    ["checked with another salt", signed, 'Verify(S, <<"other">>, Tok, T0, default)', "{error, invalid}"],
    ["damaged", `${signed.slice(0, -2)}${signed.endsWith("AA") ? "BB" : "AA"}`, "Verify(S, Salt, Tok, T0, default)", "{error, invalid}"],
    ["signed by Token.create's first secret", rotating.sign(1, at), "{Verify(OldS, Salt, Tok, T0, default), Verify(S, Salt, Tok, T0, default)}", "{{ok, 1}, {error, invalid}}"],
    ["encrypted", Token.encrypt(SECRET, SALT, { email: "ada@example.com" }, at), "Decrypt(S, Salt, Tok, T0, default)", '{ok, #{<<"email">> => <<"ada@example.com">>}}'],
    ["encrypted, expired", Token.encrypt(SECRET, SALT, 1, { signedAt: T0 - 61_000, maxAgeSec: 60 }), "Decrypt(S, Salt, Tok, T0, default)", "{error, expired}"],
    ["encrypted, decrypted with another salt", Token.encrypt(SECRET, SALT, 1, at), 'Decrypt(S, <<"other">>, Tok, T0, default)', "{error, invalid}"],
  ];
}

const erlang = await requireErlang();
const skipped = erlang ? "" : " (skipped: erl is not installed)";

describe.skipIf(!erlang)(`tokens minted by Erlang as Phoenix.Token does${skipped}`, () => {
  let minted: Map<string, string>;

  beforeAll(async () => {
    const body = MINTED.map(([name, expression]) => `io:format("~s\\t~s~n", [${JSON.stringify(name)}, ${expression}])`).join(",\n");
    const out = await runErlang(`${PHOENIX}\n${body}`);
    minted = new Map(out.trim().split("\n").map((line) => line.split("\t") as [string, string]));
  });

  it.each(MINTED.map(([name, , check, expected]) => [name, check, expected] as const))("%s", (name, check, expected) => {
    expect(check(minted.get(name)!)).toEqual(expected);
  });

  it("are refused when the payload or the signature is damaged", () => {
    const [header, payload, signature] = minted.get("an integer")!.split(".") as [string, string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    expect(Token.verify(SECRET, SALT, `${header}.${flip(payload, 3)}.${signature}`, { now: T0 })).toEqual(refused("invalid"));
    expect(Token.verify(SECRET, SALT, `${header}.${payload}.${flip(signature, 3)}`, { now: T0 })).toEqual(refused("invalid"));
  });
});

describe.skipIf(!erlang)(`tokens minted by Fenix, checked by Erlang as Phoenix.Token does${skipped}`, () => {
  it("get Phoenix's answers", async () => {
    const cases = fenixTokens();
    // Each check runs in its own fun, so that its Tok and R are its own.
    const body = cases
      .map(([name, token, check, expected]) => `(fun() -> Tok = <<"${token}">>, R = ${check}, io:format("~s\\t~s~n", [${JSON.stringify(name)}, case R =:= (${expected}) of true -> "pass"; false -> io_lib:format("got ~w", [R]) end]) end)()`)
      .join(",\n");
    const out = await runErlang(`${PHOENIX}\n${body}`);
    const answers = new Map(out.trim().split("\n").map((line) => line.split("\t") as [string, string]));
    expect(answers).toEqual(new Map(cases.map(([name]) => [name, "pass"])));
  });
});

// ## A Socket that verifies the token the client passes as authToken

class WhoAmIChannel extends Channel<{ userId: number }> {
  override join() {
    return ok({ user_id: this.assigns.userId });
  }
}

const userTokens = Token.create({ secrets: [SECRET, OLD_SECRET], salt: SALT, maxAgeSec: 3600 });
/** What each `connect` saw (the request URI and the token) and answered. */
const connects: { uri: string; authToken: string | undefined; result: TokenResult }[] = [];

class UserSocket extends Socket<{ userId: number }> {
  static override channels: readonly ChannelRoute[] = [["me", WhoAmIChannel]];

  override connect(_params: Params, info: ConnectInfo) {
    const result = userTokens.verify(info.authToken);
    connects.push({ uri: info.uri.href, authToken: info.authToken, result });
    if (!result.ok) return false;
    const { user_id } = result.data as { user_id?: unknown };
    if (typeof user_id !== "number") return false;
    this.assigns.userId = user_id;
    return true;
  }

  override id() {
    return `user_socket:${this.assigns.userId}`;
  }
}

describe.each([
  ["WebSocket", WebSocket],
  ["LongPoll", LongPoll],
] as const)("a Socket's connect verifying authToken over %s", (_name, transport) => {
  let endpoint: Endpoint;
  let url: string;

  beforeAll(async () => {
    endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoint.socket("/socket", UserSocket, { authToken: true, longpoll: { windowMs: 1_000 } });
    await endpoint.start();
    url = `${endpoint.url.replace(/^http/, "ws")}/socket`;
    return () => endpoint.stop();
  });

  afterEach(async () => {
    await closeAllClients();
    connects.length = 0;
  });

  it("accepts a token signed by Fenix, which never appears in a URL", async () => {
    const token = userTokens.sign({ user_id: 42 });
    const socket = await connectSocket(url, { transport, authToken: token });

    expect(await join(socket.channel("me"))).toEqual({ status: "ok", response: { user_id: 42 } });
    expect(connects.length).toBeGreaterThan(0);
    for (const seen of connects) {
      expect(seen.authToken).toBe(token);
      expect(seen.uri).not.toContain(token.split(".")[1]);
      expect(seen.uri).not.toContain(token.split(".")[2]);
    }
  });

  it.skipIf(!erlang)(`accepts a token minted by Erlang as Phoenix does${skipped}`, async () => {
    const token = (await runErlang(`${PHOENIX} io:format("~s", [Sign(S, Salt, {#{user_id => 7}, erlang:system_time(millisecond), 60})])`)).trim();
    const socket = await connectSocket(url, { transport, authToken: token });

    expect(await join(socket.channel("me"))).toEqual({ status: "ok", response: { user_id: 7 } });
  });

  it("refuses an expired, foreign or missing token: the client never opens", async () => {
    const expired = userTokens.sign({ user_id: 1 }, { signedAt: Date.now() - 3_601_000 });
    const foreign = Token.sign(SECRET, "another salt", { user_id: 1 });
    for (const authToken of [expired, foreign, undefined]) {
      const socket = createSocket(url, authToken === undefined ? { transport } : { transport, authToken });
      const errors = new Recorder<unknown>();
      const opens = new Recorder();
      socket.onError(errors.record);
      socket.onOpen(opens.record);
      socket.connect();
      await errors.waitFor(1);
      expect(opens.count).toBe(0);
      socket.disconnect();
    }
    // A client may retry before it is told to stop; each attempt is refused for its token's reason.
    const reasons = connects.map(({ result }) => (result.ok ? "ok" : result.reason));
    expect([...new Set(reasons)]).toEqual(["expired", "invalid", "missing"]);
  });
});

/**
 * A fuzzer for the connect pipeline: WebSocket upgrade requests written by hand over raw TCP (node:net) to a
 * real endpoint on loopback, 1 to 3 at once per run. Fuzzed: the path (the `/socket` and `/auth` mounts, their
 * LongPoll path, unknown paths), the query string (`vsn` values, nested params `a[b][c]` and `a[]`, huge
 * params, duplicate keys, `__proto__`-like keys, percent-encoding garbage, raw bytes above 0x7f), the method,
 * the upgrade headers (Upgrade, Connection, Sec-WebSocket-Key and -Version, valid or not), Origin, and
 * Sec-WebSocket-Protocol with `phoenix` and authToken entries (`base64url.bearer.phx.<token>`: the good
 * token, a bad one, bad base64, several), plus duplicated and oversized headers. Each run must leave:
 *
 * - every request answered within 3 s with an HTTP status line — 101 (upgraded; a heartbeat sent on the
 *   new connection is then answered, or the connection closed), a 4xx / 503 refusal, a 200 (a request that
 *   is not an upgrade, to the LongPoll path, opens a session) — or closed cleanly
 *   without an answer; never a 5xx other than 503, never a hang;
 * - no crashed process in the endpoint's runtime, nothing logged at level error, no uncaught exception or
 *   unhandled rejection;
 * - a WebSocket bystander on the same endpoint chatting the whole time without a lost, late or foreign frame.
 *
 * `npm test` runs 400 runs from a fixed seed (at most ~7 s); `npm run fuzz` runs FUZZ_RUNS from a random seed.
 * Set FUZZ_RUNS, FUZZ_SEED (and FUZZ_PATH) to reproduce a failure.
 */
import { connect as netConnect } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import fc from "fast-check";
import { EscapedErrors, expectUndisturbed, FUZZ_PATH, fuzzRuns, fuzzSeed, LONG, startGuardedEndpoint, testTimeoutMs, timeLimitMs, watchRun, WsBystander, type GuardedEndpoint } from "./fuzz-config.js";

const RUNS = fuzzRuns(400);
const SEED = fuzzSeed(20_261_206);
const ANSWER_MS = 3_000;

// ## Arbitraries

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.string({ maxLength }), weight: 4 }, { arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate), maxLength }), weight: 1 });
/** A query-string fragment: percent-encoded text, or the raw characters (minus those that end a request line). */
const raw = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(arb, fc.boolean()).map(([s, encode]) => (encode ? encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x")) : s.replace(/[\s#]/g, "+")));
const key = fc.oneof(
  { arbitrary: fc.constantFrom("vsn", "user", "token", "a[b]", "a[b][c]", "a[b][c][d][e]", "a[]", "a[][]", "a[b", "a]b[", "[", "[]", "]", "__proto__", "__proto__[x]", "constructor[prototype]", "a[__proto__]", "%5B%5D", "a%5Bb%5D"), weight: 4 },
  { arbitrary: raw(text(10)), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 40 }).map((n) => "a" + "[b]".repeat(n)), weight: 1 },
);
const value = fc.oneof(
  { arbitrary: fc.constantFrom("2.0.0", "1.0.0", "2.0.9", "2.1.0", "02.0.0", "", "x", "bad", "%", "%Z", "%E0%A4%A", "%FF%FE", "%00", "+", "%2B", "good-token"), weight: 4 },
  { arbitrary: raw(text(16)), weight: 2 },
  { arbitrary: fc.integer({ min: 1_000, max: 12_000 }).map((n) => "v".repeat(n)), weight: 1 },
);
const pair = fc.oneof({ arbitrary: fc.tuple(key, value).map(([k, v]) => `${k}=${v}`), weight: 8 }, { arbitrary: key, weight: 1 }, { arbitrary: fc.constantFrom("", "=", "==", "&&", "=x"), weight: 1 });
const query = fc.oneof(
  { arbitrary: fc.constantFrom("?vsn=2.0.0", "?vsn=1.0.0", "", "?vsn=2.0.0&vsn=1.0.0", "?vsn[]=2.0.0", "?vsn[a]=2.0.0"), weight: 2 },
  { arbitrary: fc.array(pair, { maxLength: 8 }).map((pairs) => `?${pairs.join("&")}`), weight: 4 },
  { arbitrary: fc.tuple(fc.array(pair, { maxLength: 5 }), fc.constantFrom("vsn=2.0.0", "vsn=1.0.0")).map(([pairs, vsn]) => `?${[...pairs, vsn].join("&")}`), weight: 4 },
);
const path = fc.oneof(
  { arbitrary: fc.constantFrom("/socket/websocket", "/auth/websocket"), weight: 10 },
  { arbitrary: fc.constantFrom("/socket/longpoll", "/socket", "/nope/websocket", "/socket/websocket/", "//socket/websocket", "/socket/../socket/websocket", "/socket%2Fwebsocket", "*", "/"), weight: 2 },
);
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64").replace(/=+$/, "");
const tokenEntry = fc.oneof(
  fc.constantFrom(`base64url.bearer.phx.${b64("good-token")}`, `base64url.bearer.phx.${b64("bad-token")}`, "base64url.bearer.phx.", "base64url.bearer.phx.!!!", "base64url.bearer.phx.%%", "base64url.bearer.phx"),
  text(12).map((t) => `base64url.bearer.phx.${b64(t)}`),
);
const protocolHeader = fc.option(
  fc.oneof(
    fc.array(fc.oneof({ arbitrary: fc.constant("phoenix"), weight: 4 }, { arbitrary: tokenEntry, weight: 3 }, { arbitrary: fc.constantFrom("foo", "", " ", "PHOENIX", "phoenix;v=1"), weight: 1 }), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(", ")),
    fc.constantFrom(",,,", ", phoenix ,", "phoenix,phoenix"),
  ),
  { nil: null, freq: 2 },
);
const origin = fc.option(fc.constantFrom("http://127.0.0.1", "http://localhost", "http://evil.example", "null", "", "::::", "http://", "file://", "http://[::1", "http://127.0.0.1:99999"), { nil: null, freq: 2 });
const goodKey = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("base64"));
const wsKey = fc.oneof({ arbitrary: goodKey, weight: 8 }, { arbitrary: fc.constantFrom(null, "", "short", "AAAAAAAAAAAAAAAAAAAAAA", "!!!!!!!!!!!!!!!!!!!!!!=="), weight: 1 });
const version = fc.oneof({ arbitrary: fc.constant("13"), weight: 8 }, { arbitrary: fc.constantFrom(null, "8", "12", "abc", ""), weight: 1 });
/** A header line that does not belong: duplicates, garbage, oversized. */
const extraHeader = fc.oneof(
  fc.constantFrom("Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: phoenix", "Origin: http://evil.example", "X-Junk: \u0001", "Bad Header", ": empty name", "Content-Length: 5", "Transfer-Encoding: chunked"),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `X-Big: ${"b".repeat(n)}`),
  fc.string({ unit: "binary-ascii", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, " ")),
);
const upgradeRequest = fc.record({
  method: fc.oneof({ arbitrary: fc.constant("GET"), weight: 12 }, { arbitrary: fc.constantFrom("POST", "HEAD", "OPTIONS", "get"), weight: 1 }),
  path,
  query,
  upgrade: fc.oneof({ arbitrary: fc.constant("websocket"), weight: 10 }, { arbitrary: fc.constantFrom(null, "WebSocket", "h2c", ""), weight: 1 }),
  connection: fc.oneof({ arbitrary: fc.constant("Upgrade"), weight: 10 }, { arbitrary: fc.constantFrom(null, "keep-alive", "close", "upgrade, keep-alive"), weight: 1 }),
  key: wsKey,
  version,
  origin,
  protocol: protocolHeader,
  extra: fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 4 }, { arbitrary: fc.array(extraHeader, { minLength: 1, maxLength: 3 }), weight: 1 }),
  /** What the client sends after the request: a heartbeat frame on an upgraded connection, or nothing. */
  chat: fc.boolean(),
});
type UpgradeRequest = typeof upgradeRequest extends fc.Arbitrary<infer T> ? T : never;

function requestText(r: UpgradeRequest, host: string): string {
  const lines = [`${r.method} ${r.path}${r.query} HTTP/1.1`, `Host: ${host}`];
  if (r.upgrade !== null) lines.push(`Upgrade: ${r.upgrade}`);
  if (r.connection !== null) lines.push(`Connection: ${r.connection}`);
  if (r.key !== null) lines.push(`Sec-WebSocket-Key: ${r.key}`);
  if (r.version !== null) lines.push(`Sec-WebSocket-Version: ${r.version}`);
  if (r.origin !== null) lines.push(`Origin: ${r.origin}`);
  if (r.protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${r.protocol}`);
  lines.push(...r.extra);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A masked client text frame. */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const mask = Buffer.from([1, 2, 3, 4]);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

/** How one request ended. */
type Outcome = { readonly kind: "status"; readonly status: number; readonly head: string; readonly chatted: "answered" | "closed" | "none" } | { readonly kind: "closed" };

/** Sends one request over raw TCP; resolves with its outcome, rejects on a hang. */
function attempt(port: number, r: UpgradeRequest): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    let status: { status: number; head: string } | null = null;
    let settled = false;
    const finish = (outcome: Outcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => {
      if (status !== null && status.status === 101) finish(new Error(`upgraded (${r.path}${r.query.slice(0, 200)}), but the heartbeat got neither an answer nor a close within ${ANSWER_MS} ms`));
      else finish(new Error(`no answer and no close within ${ANSWER_MS} ms to ${JSON.stringify(requestText(r, "h").slice(0, 400))}; received ${JSON.stringify(received.toString("latin1").slice(0, 200))}`));
    }, ANSWER_MS);
    socket.on("error", () => {});
    socket.on("connect", () => socket.write(requestText(r, `127.0.0.1:${port}`), "latin1"));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (status === null) {
        const end = received.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = received.subarray(0, end).toString("latin1");
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (match === null) return finish(new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 200))}`));
        status = { status: Number(match[1]), head };
        received = received.subarray(end + 4);
        if (status.status !== 101) return finish({ kind: "status", ...status, chatted: "none" });
        if (!r.chat) return finish({ kind: "status", ...status, chatted: "none" });
        socket.write(maskedText(`[null,"hb","phoenix","heartbeat",{}]`));
      }
      // Upgraded and chatting: any server frame (the heartbeat reply, or a close frame) is an answer.
      if (received.length > 0) finish({ kind: "status", ...status, chatted: "answered" });
    });
    socket.on("close", () => {
      if (status === null) finish({ kind: "closed" });
      else finish({ kind: "status", ...status, chatted: "closed" });
    });
  });
}

// ## The property

describe("connect pipeline fuzzing", () => {
  let server: GuardedEndpoint;
  let bystander: WsBystander;
  let port: number;
  const escaped = new EscapedErrors();

  beforeAll(async () => {
    escaped.install();
    server = await startGuardedEndpoint({ maxFrameBytes: 64 * 1024 });
    port = Number(new URL(server.httpUrl).port);
    bystander = await WsBystander.start(server);
  });

  afterAll(async () => {
    await bystander?.stop();
    await server?.stop();
    escaped.uninstall();
  });

  it(
    `answers or cleanly closes every fuzzed upgrade request and keeps serving (${RUNS} runs, seed ${SEED})`,
    async () => {
      const stats = { runs: 0, requests: 0, outcomes: {} as Record<string, number> };
      const deadline = Date.now() + timeLimitMs(7_000);
      const property = fc.asyncProperty(fc.array(upgradeRequest, { minLength: 1, maxLength: 3 }), async (requests) => {
        if (Date.now() > deadline) return;
        stats.runs++;
        const checkRun = watchRun(server, escaped, bystander);
        const outcomes = await Promise.all(requests.map((r) => attempt(port, r)));
        outcomes.forEach((o, i) => {
          stats.requests++;
          const name = o.kind === "closed" ? "closed" : o.status === 101 ? `101/${o.chatted}` : String(o.status);
          stats.outcomes[name] = (stats.outcomes[name] ?? 0) + 1;
          if (o.kind === "status" && o.status >= 500 && o.status !== 503) {
            throw new Error(`HTTP ${o.status} to ${JSON.stringify(requestText(requests[i]!, "h").slice(0, 400))}: ${o.head.slice(0, 200)}`);
          }
          if (o.kind === "status" && (o.status < 101 || (o.status > 101 && o.status < 400 && o.status !== 200))) throw new Error(`unexpected HTTP ${o.status}: ${o.head.slice(0, 200)}`);
        });
        await checkRun();
      });
      const started = Date.now();
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, path: FUZZ_PATH, endOnFailure: !LONG });
      } finally {
        console.log(
          `fuzz connect: seed ${SEED}, ${stats.runs} runs in ${Date.now() - started} ms, ${stats.requests} requests; outcomes ${JSON.stringify(stats.outcomes)}; ` +
            `client errors ${JSON.stringify(server.clientErrors)}; bystander rounds ${bystander.rounds}`,
        );
      }
      await expectUndisturbed(server, escaped, bystander);
    },
    testTimeoutMs(40_000),
  );
});

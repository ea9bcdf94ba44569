/**
 * A fuzzer for LongPoll (`<mount>/longpoll`) on a real endpoint on loopback. Each run opens a session (a GET
 * with a fuzzed query string: vsn, connect params, percent-encoding garbage), then sends 1 to 4 requests on
 * it, with a GET parked the whole time as the official client does: POSTs whose bodies are generated
 * ndjson lines — valid V2 and V1 frames (joins, heartbeats, channel events), base64 binary pushes, mutated frames, bad JSON, bad base64, huge lines, empty lines, CRLF endings,
 * invalid UTF-8 — under a valid, tampered, garbage, repeated or missing token (query or header) and various
 * content types, and more GETs under such tokens. Each run must leave:
 *
 * - every request answered within the poll window plus a margin: HTTP 200 with a JSON body whose status is
 *   one of 200, 204, 400, 403, 408, 410, 413 (the documented LongPoll statuses), or a bare HTTP 400 or 429;
 *   never a 500, never a hang;
 * - no crashed process in the endpoint's runtime, nothing logged at level error, no uncaught exception or
 *   unhandled rejection;
 * - a WebSocket bystander on the same endpoint chatting the whole time (a push and a broadcast per round)
 *   without a lost, late or foreign frame.
 *
 * `npm test` runs 60 runs from a fixed seed (at most ~8 s); `npm run fuzz` runs FUZZ_RUNS from a random seed.
 * Set FUZZ_RUNS, FUZZ_SEED (and FUZZ_PATH) to reproduce a failure.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, it } from "vitest";
import fc from "fast-check";
import { encodeClientPush } from "../../src/protocol/index.js";
import { EscapedErrors, expectUndisturbed, FUZZ_PATH, fuzzRuns, fuzzSeed, LONG, startGuardedEndpoint, testTimeoutMs, timeLimitMs, watchRun, WsBystander, type GuardedEndpoint } from "./fuzz-config.js";

const RUNS = fuzzRuns(60);
const SEED = fuzzSeed(20_261_205);
const WINDOW_MS = 100;
const MAX_FRAME_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
/** How long any answer may take: a POST waits up to one window per line for its acknowledgement. */
const ANSWER_MS = 8_000;
const BODY_STATUSES = new Set([200, 204, 400, 403, 408, 410, 413]);
const HTTP_STATUSES = new Set([200, 400, 429]);

// ## Arbitraries

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.string({ maxLength }), weight: 4 }, { arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate), maxLength }), weight: 1 });
const ref = fc.option(fc.oneof(fc.constantFrom("1", "2", "3", "10"), text(6)), { nil: null });
const topic = fc.oneof({ arbitrary: fc.constantFrom("echo:fuzz", "echo:fuzz2", "phoenix", "auth:x", "intercept:x", "nope:x"), weight: 8 }, { arbitrary: text(12), weight: 1 });
/** Channel events of the test endpoint, leaving out the ones that crash or stop a channel on purpose. */
const event = fc.oneof(
  { arbitrary: fc.constantFrom("phx_join", "phx_leave", "heartbeat", "ping", "noreply", "push", "broadcast", "broadcast_from", "status", "connect_params", "binary", "shout"), weight: 8 },
  { arbitrary: text(10), weight: 1 },
);
const payload = fc.oneof(
  fc.constant({}),
  fc.record({ event: fc.constantFrom("e", "f"), payload: fc.constant({ x: 1 }), status: fc.constantFrom("ok", "error", "weird"), token: fc.constantFrom("secret", "nope") }, { requiredKeys: [] }),
  fc.dictionary(text(6), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const v2Line = fc.tuple(ref, ref, topic, event, payload).map((a) => JSON.stringify(a));
const v1Line = fc.record({ topic, event, payload, ref }).map((o) => JSON.stringify(o));
const base64Line = fc.oneof(
  fc.record({ joinRef: ref, ref, topic, event, payload: fc.uint8Array({ maxLength: 32 }) }).map((m) => {
    try {
      return Buffer.from(encodeClientPush(m)).toString("base64");
    } catch {
      return "AAAA";
    }
  }),
  fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString("base64")),
);
const badLine = fc.oneof(
  fc.constantFrom("[", "{", "[null", "{}", "[]", "[1,2,3,4,5]", "null", "=", "A", "AAA", "AA==A", "%%%", "[\"\\ud800\"]", " [null,null,\"phoenix\",\"heartbeat\",{}]"),
  text(40),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
);
/** A line far larger than the frame limit, sometimes larger than the whole body limit. */
const hugeLine = fc.oneof(
  { arbitrary: fc.integer({ min: MAX_FRAME_BYTES - 64, max: MAX_FRAME_BYTES * 2 }).map((n) => JSON.stringify([null, "9", "echo:fuzz", "ping", { pad: "x".repeat(n) }])), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => "A".repeat(MAX_FRAME_BYTES * n)), weight: 2 },
  { arbitrary: fc.constant("[" + "x".repeat(MAX_BODY_BYTES + 10)), weight: 1 },
);
/** A string-level mutation of a line: a character dropped, replaced or duplicated, or the line cut. */
const mutatedLine = fc.tuple(fc.oneof(v2Line, v1Line, base64Line), fc.array(fc.tuple(fc.nat(), fc.constantFrom("drop", "cut", "dup", "set"), fc.string({ unit: "binary", minLength: 1, maxLength: 2 })), { minLength: 1, maxLength: 3 })).map(([line, edits]) => {
  let s = line;
  for (const [at, kind, c] of edits) {
    const i = s.length === 0 ? 0 : at % s.length;
    if (kind === "drop") s = s.slice(0, i) + s.slice(i + 1);
    else if (kind === "cut") s = s.slice(0, i);
    else if (kind === "dup") s = s.slice(0, i + 1) + s.slice(i);
    else s = s.slice(0, i) + c + s.slice(i + 1);
  }
  return s;
});
const line = fc.oneof(
  { arbitrary: v2Line, weight: 6 },
  { arbitrary: v1Line, weight: 1 },
  { arbitrary: base64Line, weight: 2 },
  { arbitrary: mutatedLine, weight: 3 },
  { arbitrary: badLine, weight: 2 },
  { arbitrary: fc.constant(""), weight: 1 },
  { arbitrary: hugeLine, weight: 1 },
);
/** Bytes that are not UTF-8, spliced into a body. */
const invalidUtf8 = fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]));

interface Post {
  readonly kind: "post";
  readonly lines: string[];
  readonly separator: string;
  readonly trailing: boolean;
  readonly corrupt: Array<[number, Buffer]>;
  readonly contentType: string | null;
  readonly token: TokenUse;
}
interface Poll {
  readonly kind: "poll";
  readonly token: TokenUse;
}
type TokenUse = "query" | "header" | "tampered" | "garbage" | "none" | "twice" | "empty";

const tokenUse = fc.oneof({ arbitrary: fc.constantFrom<TokenUse>("query", "header"), weight: 8 }, { arbitrary: fc.constantFrom<TokenUse>("tampered", "garbage", "none", "twice", "empty"), weight: 2 });
const post: fc.Arbitrary<Post> = fc.record({
  kind: fc.constant("post" as const),
  lines: fc.array(line, { minLength: 0, maxLength: 6 }),
  separator: fc.constantFrom("\n", "\n", "\r\n", "\r", "\n\n"),
  trailing: fc.boolean(),
  corrupt: fc.oneof({ arbitrary: fc.constant<Array<[number, Buffer]>>([]), weight: 4 }, { arbitrary: fc.array(fc.tuple(fc.nat(), invalidUtf8), { minLength: 1, maxLength: 2 }), weight: 1 }),
  contentType: fc.oneof({ arbitrary: fc.constant("application/x-ndjson"), weight: 6 }, { arbitrary: fc.constantFrom(null, "application/json", "text/plain; charset=utf-8", "x-ndjson; garbage"), weight: 1 }),
  token: tokenUse,
});
const poll: fc.Arbitrary<Poll> = fc.record({ kind: fc.constant("poll" as const), token: tokenUse });

/** The query string a session is opened with: mostly a good one, sometimes garbage around it. */
const paramKey = fc.oneof(fc.constantFrom("vsn", "user", "token", "a[b]", "a[b][c]", "a[]", "[", "]", "a[[", "__proto__", "constructor[x]", "%5B", "%ZZ", "%"), text(8));
const paramValue = fc.oneof(fc.constantFrom("2.0.0", "1.0.0", "2.0.7", "3.0.0", "", "bad", "%", "%E0%A4%A", "%FF", "+"), text(12));
const openQuery = fc.oneof(
  { arbitrary: fc.constantFrom("vsn=2.0.0", "vsn=2.0.0&user=fuzz", "vsn=1.0.0", ""), weight: 6 },
  { arbitrary: fc.array(fc.tuple(paramKey, paramValue), { maxLength: 5 }).map((pairs) => [...pairs.map(([k, v]) => `${k}=${v}`), "vsn=2.0.0"].join("&")), weight: 2 },
  { arbitrary: fc.constantFrom("vsn=9.9.9", "vsn=2.0.0&token=bad", "vsn=2.0.0&vsn=1.0.0", `vsn=2.0.0&big=${"x".repeat(6_000)}`), weight: 1 },
);
const scenario = fc.record({ query: openQuery, requests: fc.array(fc.oneof({ arbitrary: post, weight: 4 }, { arbitrary: poll, weight: 1 }), { minLength: 1, maxLength: 4 }) });

// ## HTTP

interface Answer {
  readonly http: number;
  readonly body: string;
}

/** Characters `http.request` refuses in a path are percent-encoded; everything else is sent as generated. */
function safePath(path: string): string {
  return Buffer.from(path, "utf8").reduce((out, byte) => out + (byte <= 0x20 || byte >= 0x7f ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte)), "");
}

/**
 * One request on a connection of its own. Resolves with the answer, or with `null` when the server closed
 * the connection before answering (only allowed for a body over the limit, cut short by the server).
 */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to ${method} ${path.slice(0, 200)} within ${ANSWER_MS} ms`));
    }, ANSWER_MS);
    const req = httpRequest({ host: "127.0.0.1", port, method, path: safePath(path), headers: { ...headers, ...(body === undefined ? {} : { "content-length": String(body.length) }) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ http: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", () => {
        clearTimeout(timer);
        resolve({ http: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || (error as NodeJS.ErrnoException).code === "EPIPE") resolve(null);
      else reject(error);
    });
    req.end(body);
  });
}

/** Checks an answer against the documented statuses; returns the body status (or the HTTP status). */
function check(answer: Answer | null, what: string, mayBeCut: boolean): number {
  if (answer === null) {
    if (!mayBeCut) throw new Error(`${what}: the connection closed without an answer`);
    return -1;
  }
  if (!HTTP_STATUSES.has(answer.http)) throw new Error(`${what}: HTTP ${answer.http} ${answer.body.slice(0, 200)}`);
  if (answer.http !== 200) return answer.http;
  let body: { status?: unknown };
  try {
    body = JSON.parse(answer.body) as { status?: unknown };
  } catch {
    throw new Error(`${what}: HTTP 200 with a body that is not JSON: ${answer.body.slice(0, 200)}`);
  }
  if (typeof body.status !== "number" || !BODY_STATUSES.has(body.status)) throw new Error(`${what}: body status ${JSON.stringify(body).slice(0, 200)}`);
  return body.status;
}

function tamper(token: string): string {
  const i = token.length >> 1;
  return token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);
}

function tokenParts(use: TokenUse, token: string | null): { query: string; headers: Record<string, string> } {
  const t = token ?? "none";
  switch (use) {
    case "query":
      return { query: `&token=${encodeURIComponent(t)}`, headers: {} };
    case "header":
      return { query: "", headers: { "x-phoenix-longpoll-token": t } };
    case "tampered":
      return { query: `&token=${encodeURIComponent(tamper(t))}`, headers: {} };
    case "garbage":
      return { query: "&token=%ZZ%00garbage", headers: { "x-phoenix-longpoll-token": "not.a.token" } };
    case "twice":
      return { query: `&token=x&token=${encodeURIComponent(t)}&token`, headers: {} };
    case "empty":
      return { query: "&token=", headers: { "x-phoenix-longpoll-token": "" } };
    case "none":
      return { query: "", headers: {} };
  }
}

function bodyOf(p: Post): Buffer {
  let body = Buffer.from(p.lines.join(p.separator) + (p.trailing ? p.separator : ""), "utf8");
  for (const [at, bytes] of p.corrupt) {
    const i = body.length === 0 ? 0 : at % body.length;
    body = Buffer.concat([body.subarray(0, i), bytes, body.subarray(i)]);
  }
  return body;
}

// ## The property

describe("LongPoll fuzzing", () => {
  let server: GuardedEndpoint;
  let bystander: WsBystander;
  let port: number;
  const escaped = new EscapedErrors();

  beforeAll(async () => {
    escaped.install();
    server = await startGuardedEndpoint(
      {},
      {
        maxFrameBytes: MAX_FRAME_BYTES,
        longpoll: { windowMs: WINDOW_MS, maxBodyBytes: MAX_BODY_BYTES, maxNewSessionsPerAddress: 1_000_000, maxConcurrentPostsPerAddress: 1_000 },
      },
    );
    port = Number(new URL(server.httpUrl).port);
    bystander = await WsBystander.start(server);
  });

  afterAll(async () => {
    await bystander?.stop();
    await server?.stop();
    escaped.uninstall();
  });

  it(
    `answers every fuzzed LongPoll request and keeps serving (${RUNS} runs, seed ${SEED})`,
    async () => {
      const stats = { runs: 0, requests: 0, statuses: {} as Record<string, number> };
      const count = (status: number) => (stats.statuses[status] = (stats.statuses[status] ?? 0) + 1);
      // Runs past the budget are skipped (not interrupted mid-way, which would leave requests in flight).
      const deadline = Date.now() + timeLimitMs(8_000);
      const property = fc.asyncProperty(scenario, async ({ query, requests }) => {
        if (Date.now() > deadline) return;
        stats.runs++;
        const checkRun = watchRun(server, escaped, bystander);
        const path = `/socket/longpoll?${query}`;
        const opened = await send(port, "GET", path, {});
        count(check(opened, `GET ${path.slice(0, 120)}`, false));
        stats.requests++;
        const token = opened !== null && opened.http === 200 ? ((JSON.parse(opened.body) as { token?: string }).token ?? null) : null;
        // Like the official client, poll the whole time (a parked GET keeps the session alive).
        let polling = token !== null;
        const poller = (async () => {
          while (polling) {
            stats.requests++;
            const status = check(await send(port, "GET", `/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(token!)}`, {}), "poll", false);
            count(status);
            if (status === 410) polling = false;
          }
        })();
        try {
          for (const r of requests) {
            const { query: tq, headers } = tokenParts(r.token, token);
            const url = `/socket/longpoll?vsn=2.0.0${tq}`;
            stats.requests++;
            if (r.kind === "poll") {
              count(check(await send(port, "GET", url, headers), `GET ${url}`, false));
              continue;
            }
            const body = bodyOf(r);
            const contentType: Record<string, string> = r.contentType === null ? {} : { "content-type": r.contentType };
            const what = `POST ${url} (${r.contentType}) ${JSON.stringify(body.toString("latin1").slice(0, 300))}`;
            count(check(await send(port, "POST", url, { ...headers, ...contentType }, body), what, body.length > MAX_BODY_BYTES));
          }
        } finally {
          polling = false;
          await poller;
        }
        await checkRun();
      });
      const started = Date.now();
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, path: FUZZ_PATH, endOnFailure: !LONG });
      } finally {
        console.log(
          `fuzz longpoll: seed ${SEED}, ${stats.runs} runs in ${Date.now() - started} ms, ${stats.requests} requests; statuses ${JSON.stringify(stats.statuses)}; ` +
            `client errors ${JSON.stringify(server.clientErrors)}; bystander rounds ${bystander.rounds}`,
        );
      }
      await expectUndisturbed(server, escaped, bystander);
    },
    testTimeoutMs(40_000),
  );
});

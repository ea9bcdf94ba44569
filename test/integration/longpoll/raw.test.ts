// LongPoll over raw HTTP: every status of the protocol's table, the headers, tokens (query, header, last
// `token` wins), POST batches (100-line cap, base64 binary lines, non-ndjson bodies), bad input, the
// session timeout and a forced disconnect.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamicSupervisor, Supervisor, type FenixError, type Pid } from "../../../src/index.js";
import { encodeClientPush } from "../../../src/protocol/index.js";
import { frame, longpoll, openSession, pollFrames } from "../../support/longpoll-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

const WINDOW_MS = 200;
let server: TestEndpoint;
let base: string;
let clientErrors: FenixError[];

beforeEach(async () => {
  server = await startTestEndpoint({ checkOrigin: ["http://good.example"] }, { longpoll: { windowMs: WINDOW_MS } });
  base = `${server.httpUrl}/socket`;
  clientErrors = [];
  server.endpoint.on("clientError", (error) => clientErrors.push(error));
});
afterEach(() => server.stop());

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The pids of the connection processes under the `/socket` mount (one per LongPoll session here). */
async function socketProcesses(): Promise<Pid[]> {
  const mounts = await Supervisor.whichChildren(server.endpoint.supervisor!);
  const mount = mounts.find((child) => child.id === "socket:/socket")!;
  const children = await DynamicSupervisor.whichChildren(mount.pid!);
  return children.flatMap((child) => (child.pid === null ? [] : [child.pid]));
}

/** Opens a session joined to `topic`; returns its token once the join reply has been polled. */
async function joined(topic = "echo:lp", query?: string): Promise<string> {
  const token = await openSession(base, query);
  expect((await longpoll(base, { token, body: [frame("1", "1", topic, "phx_join")] })).body).toEqual({ status: 200 });
  const [reply] = await pollFrames(base, token, 1);
  expect(reply).toMatchObject(["1", "1", topic, "phx_reply", { status: "ok" }]);
  return token;
}

describe("LongPoll HTTP answers", () => {
  it("answers OPTIONS with the CORS preflight headers", async () => {
    const answer = await longpoll(base, { method: "OPTIONS", headers: { "access-control-request-headers": "x-phoenix-authtoken, content-type" } });
    expect(answer.http).toBe(200);
    expect(answer.body).toBeNull();
    expect(answer.headers.get("access-control-allow-headers")).toBe("x-phoenix-authtoken, content-type");
    expect(answer.headers.get("access-control-allow-methods")).toBe("get, post, options");
    expect(answer.headers.get("access-control-max-age")).toBe("3600");
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers other methods with HTTP 400", async () => {
    expect((await longpoll(base, { method: "PUT", body: "x" })).http).toBe(400);
    expect((await longpoll(base, { method: "DELETE" })).http).toBe(400);
  });

  it("opens a session on a GET without a token: 410 with a token, as JSON that is not cached", async () => {
    const answer = await longpoll(base);
    expect(answer.http).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.body).toEqual({ status: 410, token: expect.any(String) as string, messages: [] });
  });

  it("answers 403 when the socket's connect refuses or the vsn is unknown", async () => {
    expect((await longpoll(base, { query: "vsn=2.0.0&token=bad" })).body).toEqual({ status: 403 });
    expect((await longpoll(base, { query: "vsn=9.0.0" })).body).toEqual({ status: 403 });
  });

  it("answers 403 to every request from an origin checkOrigin refuses", async () => {
    const token = await openSession(base);
    const evil = { origin: "http://evil.example" };
    expect((await longpoll(base, { headers: evil })).body).toEqual({ status: 403 });
    expect((await longpoll(base, { token, headers: evil })).body).toEqual({ status: 403 });
    expect((await longpoll(base, { token, headers: evil, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 403 });
    expect(clientErrors.map((e) => e.code)).toEqual(Array(3).fill("FENIX_ERR_SERVER_ORIGIN_REFUSED"));
    expect((await longpoll(base, { headers: { origin: "http://good.example" } })).body?.status).toBe(410);
  });

  it("delivers buffered frames with 200 and answers 204 after the window when there are none", async () => {
    const token = await joined();
    expect((await longpoll(base, { token, body: [frame("1", "2", "echo:lp", "ping", { n: 1 })] })).body).toEqual({ status: 200 });
    const answer = await longpoll(base, { token });
    expect(answer.body).toEqual({ status: 200, token, messages: [frame("1", "2", "echo:lp", "phx_reply", { status: "ok", response: { n: 1 } })] });

    const started = Date.now();
    expect((await longpoll(base, { token })).body).toEqual({ status: 204, token, messages: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS - 20);
  });

  it("answers a parked GET as soon as a frame arrives", async () => {
    const token = await joined();
    const parked = longpoll(base, { token });
    await delay(30);
    const started = Date.now();
    await longpoll(base, { token, body: [frame("1", "2", "echo:lp", "ping", { n: 2 })] });
    expect((await parked).body?.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(WINDOW_MS / 2);
  });

  it("answers POST 410 without a token, with a tampered token, and for a session that ended", async () => {
    const heartbeat = [frame(null, "1", "phoenix", "heartbeat")];
    expect((await longpoll(base, { body: heartbeat })).body).toEqual({ status: 410 });
    const token = await openSession(base, "vsn=2.0.0&user=eve");
    const [payload, mac] = token.split(".") as [string, string];
    const tampered = `${payload}.${mac.slice(0, -2)}${mac.endsWith("AA") ? "BB" : "AA"}`;
    expect((await longpoll(base, { token: tampered, body: heartbeat })).body).toEqual({ status: 410 });
    expect((await longpoll(base, { token: "garbage", body: heartbeat })).body).toEqual({ status: 410 });
    expect((await longpoll(base, { token, body: heartbeat })).body).toEqual({ status: 200 });
    server.endpoint.disconnect("user_socket:eve");
    await delay(20);
    expect((await longpoll(base, { token, body: heartbeat })).body).toEqual({ status: 410 });
  });

  it("opens a new session when a GET carries a stale or tampered token", async () => {
    const token = await openSession(base, "vsn=2.0.0&user=stale");
    server.endpoint.disconnect("user_socket:stale");
    await delay(20);
    const answer = await longpoll(base, { token });
    expect(answer.body).toEqual({ status: 410, token: expect.any(String) as string, messages: [] });
    expect(answer.body?.token).not.toBe(token);
    const fresh = await longpoll(base, { token: `${token}x` });
    expect(fresh.body?.status).toBe(410);
    expect(fresh.body?.token).not.toBe(token);
  });

  it("ends the session on a forced disconnect: a parked GET is answered 410 and the next GET opens a new one", async () => {
    const token = await joined("echo:lp", "vsn=2.0.0&user=bob");
    expect(server.endpoint.connectionCount).toBe(1);
    const parked = longpoll(base, { token });
    await delay(30);
    server.endpoint.disconnect("user_socket:bob");
    expect((await parked).body).toMatchObject({ status: 410 });
    const next = await longpoll(base, { token });
    expect(next.body?.status).toBe(410);
    expect(next.body?.token).not.toBe(token);
  });
});

describe("LongPoll session tokens", () => {
  it("reads the token from the x-phoenix-longpoll-token header before the query", async () => {
    const token = await joined();
    const answer = await longpoll(base, { token: "not-a-session", headers: { "x-phoenix-longpoll-token": token } });
    expect(answer.body).toEqual({ status: 204, token, messages: [] });
  });

  it("takes the last token query parameter, so a user param named token still connects", async () => {
    const token = await joined();
    expect((await longpoll(base, { query: "vsn=2.0.0&token=user-token", token })).body).toEqual({ status: 204, token, messages: [] });
    // The first GET: the user's token is no session token, so a session opens with the user's params.
    const first = await longpoll(base, { query: "vsn=2.0.0&token=user-token&" });
    expect(first.body?.status).toBe(410);
  });

  it("refuses a token of another endpoint (another secret)", async () => {
    const other = await startTestEndpoint({}, { longpoll: { windowMs: WINDOW_MS } });
    try {
      const foreign = await openSession(`${other.httpUrl}/socket`);
      expect((await longpoll(base, { token: foreign, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 410 });
    } finally {
      await other.stop();
    }
  });
});

describe("LongPoll POST batches", () => {
  it("handles at most the first 100 lines of a batch, in order", async () => {
    const token = await joined();
    const lines = Array.from({ length: 101 }, (_, i) => frame("1", String(i + 2), "echo:lp", "ping", { i }));
    expect((await longpoll(base, { token, body: lines })).body).toEqual({ status: 200 });
    const frames = await pollFrames(base, token, 100);
    expect(frames.map((f) => f[1])).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 2)));
    expect((await longpoll(base, { token })).body?.status).toBe(204);
  });

  it("splits on \\r\\n too and skips empty lines", async () => {
    const token = await joined();
    const body = `${frame("1", "2", "echo:lp", "ping")}\r\n\r\n${frame("1", "3", "echo:lp", "ping")}\n`;
    expect((await longpoll(base, { token, body, headers: { "content-type": "application/x-ndjson" } })).body).toEqual({ status: 200 });
    expect((await pollFrames(base, token, 2)).map((f) => f[1])).toEqual(["2", "3"]);
  });

  it("serves V1 clients: object frames in a plain JSON body or in ndjson lines, V1 frames back", async () => {
    const token = await openSession(base, "vsn=1.0.0");
    const join = JSON.stringify({ topic: "echo:v1", event: "phx_join", payload: {}, ref: "1" });
    expect((await longpoll(base, { token, body: join, headers: { "content-type": "application/json" } })).body).toEqual({ status: 200 });
    const ping = JSON.stringify({ topic: "echo:v1", event: "ping", payload: { v: 1 }, ref: "2" });
    expect((await longpoll(base, { token, body: [ping] })).body).toEqual({ status: 200 });
    const answer = await longpoll(base, { token });
    expect(answer.body?.messages?.map((m) => JSON.parse(m) as unknown)).toEqual([
      { topic: "echo:v1", event: "phx_reply", payload: { status: "ok", response: { joined: "echo:v1", user: null } }, ref: "1" },
      { topic: "echo:v1", event: "phx_reply", payload: { status: "ok", response: { v: 1 } }, ref: "2" },
    ]);
  });

  it("treats a body that is not ndjson as one text frame", async () => {
    const token = await joined();
    const body = frame("1", "2", "echo:lp", "ping", { text: "a\nb" });
    expect((await longpoll(base, { token, body, headers: { "content-type": "text/plain" } })).body).toEqual({ status: 200 });
    expect(await pollFrames(base, token, 1)).toEqual([["1", "2", "echo:lp", "phx_reply", { status: "ok", response: { text: "a\nb" } }]]);
  });

  it("decodes base64 lines as binary frames; binary frames to the client are dropped and reported", async () => {
    const token = await joined();
    const bytes = encodeClientPush({ joinRef: "1", ref: "2", topic: "echo:lp", event: "binary", payload: new Uint8Array([1, 2, 3]) });
    const lines = [Buffer.from(bytes).toString("base64"), frame("1", "3", "echo:lp", "ping", { after: true })];
    expect((await longpoll(base, { token, body: lines })).body).toEqual({ status: 200 });
    // The binary reply, push and broadcast cannot travel; the text reply behind them does.
    expect(await pollFrames(base, token, 1)).toEqual([["1", "3", "echo:lp", "phx_reply", { status: "ok", response: { after: true } }]]);
    expect(clientErrors.map((e) => e.code)).toContain("FENIX_ERR_SERVER_LONGPOLL_BINARY_DROPPED");
  });

  it("answers 408 when the socket's process does not handle a line within windowMs, and delivers none after it", async () => {
    const token = await joined();
    const [socketPid] = await socketProcesses();
    server.endpoint.runtime.suspend(socketPid!);
    const lines = [frame("1", "2", "echo:lp", "ping", { n: 1 }), frame("1", "3", "echo:lp", "ping", { n: 2 })];
    const started = Date.now();
    expect((await longpoll(base, { token, body: lines })).body).toEqual({ status: 408 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS - 20);

    // Once the process runs again it handles the line it had been given, and only that one.
    server.endpoint.runtime.resume(socketPid!);
    expect(await pollFrames(base, token, 1)).toEqual([["1", "2", "echo:lp", "phx_reply", { status: "ok", response: { n: 1 } }]]);
    expect((await longpoll(base, { token })).body?.status).toBe(204);
    expect((await longpoll(base, { token, body: [frame("1", "4", "echo:lp", "ping", { n: 3 })] })).body).toEqual({ status: 200 });
  });

  it("answers 200 only once every line was handled: the replies are already buffered for the next GET", async () => {
    const token = await joined();
    const lines = Array.from({ length: 10 }, (_, i) => frame("1", String(i + 2), "echo:lp", "ping", { i }));
    expect((await longpoll(base, { token, body: lines })).body).toEqual({ status: 200 });
    const answer = await longpoll(base, { token });
    expect(answer.body?.status).toBe(200);
    expect(answer.body?.messages?.length).toBe(10);
  });

  it("answers 400 to a line that is neither JSON text nor base64, handling none of the batch", async () => {
    const token = await joined();
    const lines = [frame("1", "2", "echo:lp", "ping"), "not base64!"];
    expect((await longpoll(base, { token, body: lines })).body).toEqual({ status: 400 });
    expect(clientErrors.map((e) => e.code)).toEqual(["FENIX_ERR_SERVER_LONGPOLL_BAD_LINE"]);
    expect((await longpoll(base, { token })).body?.status).toBe(204);
  });

  it("answers 413 to a body over maxBodyBytes and to a line over maxFrameBytes; the session goes on", async () => {
    const small = await startTestEndpoint({ maxFrameBytes: 1_000 }, { longpoll: { windowMs: WINDOW_MS, maxBodyBytes: 5_000 } });
    const errors: string[] = [];
    small.endpoint.on("clientError", (error) => errors.push(error.code));
    try {
      const smallBase = `${small.httpUrl}/socket`;
      const token = await openSession(smallBase);
      const big = frame(null, "1", "echo:x", "ping", { pad: "x".repeat(6_000) });
      expect((await longpoll(smallBase, { token, body: [big] })).body).toEqual({ status: 413 });
      const line = frame(null, "1", "echo:x", "ping", { pad: "x".repeat(1_500) });
      expect((await longpoll(smallBase, { token, body: [line] })).body).toEqual({ status: 413 });
      expect(errors).toEqual(["FENIX_ERR_SERVER_LONGPOLL_BODY_TOO_LARGE", "FENIX_ERR_SERVER_FRAME_TOO_LARGE"]);
      expect((await longpoll(smallBase, { token, body: [frame(null, "2", "phoenix", "heartbeat")] })).body).toEqual({ status: 200 });
      expect((await pollFrames(smallBase, token, 1))[0]).toEqual([null, "2", "phoenix", "phx_reply", { status: "ok", response: {} }]);
    } finally {
      await small.stop();
    }
  });
});

describe("LongPoll sessions", () => {
  it("passes the X-Phoenix-AuthToken header to connect when the socket reads auth tokens", async () => {
    const auth = `${server.httpUrl}/auth`;
    expect((await longpoll(auth, { headers: { "x-phoenix-authtoken": "good-token" } })).body?.status).toBe(410);
    expect((await longpoll(auth, { headers: { "x-phoenix-authtoken": "wrong" } })).body).toEqual({ status: 403 });
  });

  it("passes every query param to connect and says the transport is longpoll", async () => {
    const token = await joined("echo:lp", "vsn=2.0.0&user=carol&room[id]=7");
    await longpoll(base, { token, body: [frame("1", "2", "echo:lp", "connect_params")] });
    const [reply] = await pollFrames(base, token, 1);
    expect(reply?.[4]).toEqual({ status: "ok", response: { params: { vsn: "2.0.0", user: "carol", room: { id: "7" } } } });
  });

  it("ends a session that was not polled for 1.5 × windowMs, with its channels", async () => {
    const token = await joined();
    expect(server.endpoint.connectionCount).toBe(1);
    await delay(WINDOW_MS * 1.5 + 150);
    expect(server.endpoint.connectionCount).toBe(0);
    expect((await longpoll(base, { token, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 410 });
  });

  it("keeps a polled session alive past the socket's idle timeout (clients send no heartbeats over LongPoll)", async () => {
    const idle = await startTestEndpoint({}, { idleTimeoutMs: 100, longpoll: { windowMs: 100 } });
    try {
      const idleBase = `${idle.httpUrl}/socket`;
      const token = await openSession(idleBase);
      for (let i = 0; i < 5; i++) expect((await longpoll(idleBase, { token })).body?.status).toBe(204);
      expect(idle.endpoint.connectionCount).toBe(1);
    } finally {
      await idle.stop();
    }
  });

  it("closes the session when its buffer passes maxBufferedMessages", async () => {
    const tiny = await startTestEndpoint({}, { longpoll: { windowMs: WINDOW_MS, maxBufferedMessages: 5 } });
    const errors: string[] = [];
    tiny.endpoint.on("clientError", (error) => errors.push(error.code));
    try {
      const tinyBase = `${tiny.httpUrl}/socket`;
      const token = await openSession(tinyBase);
      const lines = Array.from({ length: 10 }, (_, i) => frame(null, String(i), "phoenix", "heartbeat"));
      await longpoll(tinyBase, { token, body: lines });
      await delay(20);
      expect(errors).toEqual(["FENIX_ERR_SERVER_SLOW_CONSUMER"]);
      expect(tiny.endpoint.connectionCount).toBe(0);
    } finally {
      await tiny.stop();
    }
  });

  it("ends every session when the endpoint stops", async () => {
    const token = await joined();
    const parked = longpoll(base, { token });
    await delay(30);
    await server.stop();
    expect(server.endpoint.connectionCount).toBe(0);
    await parked.then(
      (answer) => expect(answer.body?.status).toBe(410),
      () => {}, // the connection may be cut first
    );
  });
});

/**
 * The client LongPoll transport against a real endpoint (test/support/test-endpoint.ts), driven directly
 * with V2 frames: opening a session, joins, pushes and replies, batching (one POST per tick, 100 lines a
 * POST, one POST at a time), broadcasts, a forced disconnect (3410), a refused connect (403 → 1008), binary
 * frames as base64 lines, timeouts, and a close that leaves no request or timer behind. A few answers a
 * Fenix server never gives (500, unknown statuses, bodies that are not JSON) come from a scripted HTTP
 * server. The transports' request timeouts run on a virtual clock; the requests are real.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LongPollTransportError, longPollTransport, toLongPollUrl } from "../../../src/client/longpoll-transport.js";
import type { ClientTransport, TransportClose } from "../../../src/client/transport.js";
import { VirtualClock } from "../../../src/index.js";
import { encodeClientPush } from "../../../src/protocol/index.js";
import type { FenixError } from "../../../src/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

/**
 * The server's poll window. Long enough that a loaded machine never makes the client miss the server's
 * grace period for a new session (0.5 × the window) between the opening GET and the next one; no test
 * waits for it to run out.
 */
const WINDOW_MS = 2_000;
const WAIT_MS = 3_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/**
 * One turn of the host's timer queue: the transport's zero-delay tasks (first poll, flush, deliveries)
 * scheduled before it have run by then.
 */
const turn = () => delay(0);

// ---- fetch recorder: every request the transport makes, with a gate to hold POSTs ---------------------

interface Recorded {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
  /** The answer's body once it arrived. */
  answer?: string;
  done: boolean;
}

const realFetch = globalThis.fetch;
let requests: Recorded[];
/** While set, POSTs wait for it before they go out. */
let postGate: Promise<void> | null;
/** While set, GETs wait for it before they go out. */
let getGate: Promise<void> | null;

function installFetchRecorder(): void {
  requests = [];
  postGate = null;
  getGate = null;
  globalThis.fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const record: Recorded = {
      url: String(input),
      method: init.method ?? "GET",
      headers,
      body: typeof init.body === "string" ? init.body : undefined,
      signal: init.signal ?? undefined,
      done: false,
    };
    requests.push(record);
    try {
      if (record.method === "POST" && postGate !== null) await postGate;
      if (record.method === "GET" && getGate !== null) await getGate;
      init.signal?.throwIfAborted();
      const response = await realFetch(input, init);
      record.answer = await response.clone().text();
      return response;
    } finally {
      record.done = true;
    }
  }) as typeof fetch;
}

// ---- a transport with its events recorded ------------------------------------------------------------

class Probe {
  readonly transport: ClientTransport;
  readonly events: string[] = [];
  readonly messages: string[] = [];
  readonly errors: unknown[] = [];
  readonly closes: TransportClose[] = [];
  opens = 0;

  constructor(url: string, options: { authToken?: string; timeoutMs?: number } = {}) {
    this.transport = longPollTransport({ url, timeoutMs: options.timeoutMs ?? 5_000, clock, ...(options.authToken === undefined ? {} : { authToken: options.authToken }) });
    this.transport.onopen = () => {
      this.opens++;
      this.events.push("open");
    };
    this.transport.onmessage = (data) => {
      this.events.push("message");
      this.messages.push(data as string);
    };
    this.transport.onerror = (error) => {
      this.events.push("error");
      this.errors.push(error);
    };
    this.transport.onclose = (event) => {
      this.events.push("close");
      this.closes.push(event);
    };
    probes.push(this);
  }

  /** The decoded frames received. */
  frames(): [string | null, string | null, string, string, Record<string, unknown>][] {
    return this.messages.map((m) => JSON.parse(m) as [string | null, string | null, string, string, Record<string, unknown>]);
  }

  async until(what: string, check: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events ${JSON.stringify(this.events)}, frames ${JSON.stringify(this.messages)}`);
      await delay(5);
    }
  }

  opened(): Promise<void> {
    return this.until("open", () => this.opens === 1);
  }

  closed(): Promise<void> {
    return this.until("close", () => this.closes.length > 0);
  }

  /** Waits for the reply to `ref` and returns it. */
  async reply(ref: string): Promise<[string | null, string | null, string, string, Record<string, unknown>]> {
    await this.until(`reply ${ref}`, () => this.frames().some((f) => f[1] === ref && f[3] === "phx_reply"));
    return this.frames().find((f) => f[1] === ref && f[3] === "phx_reply")!;
  }

  sendFrame(joinRef: string | null, ref: string | null, topic: string, event: string, payload: object = {}): void {
    this.transport.send(JSON.stringify([joinRef, ref, topic, event, payload]));
  }

  /** Opens and joins `topic` with join ref "1". */
  async join(topic: string): Promise<void> {
    await this.opened();
    this.sendFrame("1", "1", topic, "phx_join");
    expect(await this.reply("1")).toMatchObject(["1", "1", topic, "phx_reply", { status: "ok" }]);
  }
}

let probes: Probe[];
let server: TestEndpoint;
let clientErrors: FenixError[];
/** The clock of the probes' transports (their request timeouts). */
let clock: VirtualClock;

beforeEach(async () => {
  installFetchRecorder();
  probes = [];
  clock = new VirtualClock();
  server = await startTestEndpoint({}, { longpoll: { windowMs: WINDOW_MS } });
  clientErrors = [];
  server.endpoint.on("clientError", (error) => clientErrors.push(error));
});

afterEach(async () => {
  for (const probe of probes) probe.transport.close();
  await server.stop();
  globalThis.fetch = realFetch;
});

const url = (query = "") => `${server.websocketUrl}?vsn=2.0.0${query === "" ? "" : `&${query}`}`;
const posts = () => requests.filter((r) => r.method === "POST");
const gets = () => requests.filter((r) => r.method === "GET");

describe("toLongPollUrl", () => {
  it("turns the WebSocket endpoint URL into the LongPoll one, keeping the query", () => {
    expect(toLongPollUrl("ws://h:4000/socket/websocket?vsn=2.0.0&a=1")).toBe("http://h:4000/socket/longpoll?vsn=2.0.0&a=1");
    expect(toLongPollUrl("wss://h/deep/socket/websocket?x=%20y")).toBe("https://h/deep/socket/longpoll?x=%20y");
    expect(toLongPollUrl("ws://h/socket/websocket")).toBe("http://h/socket/longpoll");
    expect(toLongPollUrl("ws://h/socket?vsn=2.0.0")).toBe("http://h/socket/longpoll?vsn=2.0.0");
  });
});

describe("a LongPoll session", () => {
  it("opens on the first GET (410 with a token), then sends the token on every request", async () => {
    const probe = new Probe(url("user=ada"));
    expect(probe.transport.kind).toBe("longpoll");
    await probe.join("echo:open");

    const [first, ...rest] = requests;
    expect(first!.url).toBe(`${server.httpUrl}/socket/longpoll?vsn=2.0.0&user=ada`);
    expect(first!.headers["x-phoenix-longpoll-token"]).toBeUndefined();
    expect(JSON.parse(first!.answer!)).toMatchObject({ status: 410 });
    const token = (JSON.parse(first!.answer!) as { token: string }).token;
    expect(rest.length).toBeGreaterThan(0);
    for (const request of rest) {
      expect(request.url).toBe(`${server.httpUrl}/socket/longpoll?vsn=2.0.0&user=ada&token=${encodeURIComponent(token)}`);
      expect(request.headers["x-phoenix-longpoll-token"]).toBe(token);
    }
    expect(probe.events.slice(0, 2)).toEqual(["open", "message"]);
  });

  it("pushes and gets replies, and receives broadcasts", async () => {
    const probe = new Probe(url());
    await probe.join("echo:pp");
    probe.sendFrame("1", "2", "echo:pp", "ping", { hello: "world" });
    expect(await probe.reply("2")).toEqual(["1", "2", "echo:pp", "phx_reply", { status: "ok", response: { hello: "world" } }]);

    server.endpoint.broadcast("echo:pp", "news", { n: 1 });
    await probe.until("broadcast", () => probe.frames().some((f) => f[3] === "news"));
    expect(probe.frames().find((f) => f[3] === "news")).toEqual([null, null, "echo:pp", "news", { n: 1 }]);

    probe.sendFrame("1", "3", "echo:pp", "broadcast", { event: "shout", payload: { loud: true } });
    await probe.until("own broadcast", () => probe.frames().some((f) => f[3] === "shout"));
    expect(probe.errors).toEqual([]);
    expect(probe.closes).toEqual([]);
  });

  it("sends the frames of one tick in one ndjson POST, at most 100 lines each, in order", async () => {
    const probe = new Probe(url());
    await probe.join("echo:burst");
    const before = posts().length;
    for (let i = 0; i < 150; i++) probe.sendFrame("1", String(100 + i), "echo:burst", "ping", { i });
    await probe.reply("249");

    const burst = posts().slice(before);
    expect(burst.map((p) => p.body!.split("\n").length)).toEqual([100, 50]);
    for (const post of burst) expect(post.headers["content-type"]).toBe("application/x-ndjson");
    expect(burst[0]!.body!.split("\n")[0]).toBe(JSON.stringify(["1", "100", "echo:burst", "ping", { i: 0 }]));

    const replies = probe.frames().filter((f) => f[3] === "phx_reply" && f[1] !== "1");
    expect(replies.map((f) => f[4].response)).toEqual(Array.from({ length: 150 }, (_, i) => ({ i })));
    // The replies came back in fewer GETs than frames: some answers held several messages.
    const batched = gets().filter((g) => g.answer !== undefined && ((JSON.parse(g.answer) as { messages?: unknown[] }).messages?.length ?? 0) > 1);
    expect(batched.length).toBeGreaterThan(0);
  });

  it("keeps one POST in flight; frames sent meanwhile go in the next one", async () => {
    const probe = new Probe(url());
    await probe.join("echo:gate");
    let release!: () => void;
    postGate = new Promise<void>((resolve) => (release = resolve));
    const before = posts().length;

    probe.sendFrame("1", "2", "echo:gate", "ping", { n: 2 });
    await probe.until("first POST", () => posts().length === before + 1);
    probe.sendFrame("1", "3", "echo:gate", "ping", { n: 3 });
    await turn();
    probe.sendFrame("1", "4", "echo:gate", "ping", { n: 4 });
    await turn();
    expect(posts().length).toBe(before + 1); // still only the first one

    postGate = null;
    release();
    await probe.reply("4");
    const sent = posts().slice(before);
    expect(sent.map((p) => p.body!.split("\n").map((line) => (JSON.parse(line) as string[])[1]))).toEqual([["2"], ["3", "4"]]);
    expect(probe.frames().filter((f) => f[3] === "phx_reply").map((f) => f[1])).toEqual(["1", "2", "3", "4"]);
  });

  it("delivers each message in its own macrotask: promise callbacks settle in between", async () => {
    const probe = new Probe(url());
    await probe.join("echo:tasks");
    // Hold the next GETs while the replies pile up, so that one answer brings them all.
    let release!: () => void;
    getGate = new Promise<void>((resolve) => (release = resolve));
    probe.sendFrame("1", "5", "echo:tasks", "ping"); // answers the GET parked now; the next one waits
    await probe.reply("5");
    const before = posts().length;
    for (let i = 0; i < 30; i++) probe.sendFrame("1", String(10 + i), "echo:tasks", "ping");
    await probe.until("the POST answered", () => posts().length === before + 1 && posts()[before]!.done);

    const log: string[] = [];
    probe.transport.onmessage = (data) => {
      const [, ref] = JSON.parse(data as string) as [string, string];
      log.push(`message ${ref}`);
      void Promise.resolve().then(() => log.push(`settled ${ref}`));
    };
    getGate = null;
    release();
    await probe.until("30 replies", () => log.length === 60);
    expect(gets().some((g) => g.answer !== undefined && (JSON.parse(g.answer) as { messages?: unknown[] }).messages?.length === 30)).toBe(true);
    expect(log).toEqual(Array.from({ length: 30 }, (_, i) => [`message ${10 + i}`, `settled ${10 + i}`]).flat());
  });

  it("sends binary frames as base64 lines, decoded by the server", async () => {
    const probe = new Probe(url());
    await probe.join("echo:bin");
    const before = posts().length;
    // An event the channel does not know: its text error reply names the event read from the binary frame.
    const unknown = encodeClientPush({ joinRef: "1", ref: "2", topic: "echo:bin", event: "bin_check", payload: new Uint8Array([1, 2, 3]) });
    // "binary" replies with the bytes reversed, which the server cannot send over LongPoll (dropped, reported).
    const binary = encodeClientPush({ joinRef: "1", ref: "3", topic: "echo:bin", event: "binary", payload: new Uint8Array([9, 8, 7, 255]) });
    // A view into a larger buffer, then an ArrayBuffer.
    const padded = new Uint8Array(unknown.length + 4);
    padded.set(unknown, 2);
    probe.transport.send(unknown);
    probe.transport.send(Uint8Array.from(binary).buffer);
    probe.transport.send(padded.subarray(2, 2 + unknown.length));
    probe.sendFrame("1", "4", "echo:bin", "ping", { after: "binary" });

    expect(await probe.reply("2")).toEqual(["1", "2", "echo:bin", "phx_reply", { status: "error", response: { reason: "unknown event bin_check" } }]);
    expect(await probe.reply("4")).toMatchObject(["1", "4", "echo:bin", "phx_reply", { status: "ok" }]);
    const lines = posts().slice(before).flatMap((p) => p.body!.split("\n"));
    expect(lines.slice(0, 3)).toEqual([Buffer.from(unknown).toString("base64"), Buffer.from(binary).toString("base64"), Buffer.from(unknown).toString("base64")]);
    await probe.until("dropped binary reply reported", () => clientErrors.some((e) => e.code === "FENIX_ERR_SERVER_LONGPOLL_BINARY_DROPPED"));
    expect(probe.errors).toEqual([]);
    expect(probe.closes).toEqual([]);
  });

  it("passes the auth token in the X-Phoenix-AuthToken header of every GET", async () => {
    const authUrl = `${server.websocketUrl.replace("/socket/", "/auth/")}?vsn=2.0.0`;
    const probe = new Probe(authUrl, { authToken: "good-token" });
    await probe.join("echo:auth");
    for (const get of gets()) expect(get.headers["x-phoenix-authtoken"]).toBe("good-token");

    const refused = new Probe(authUrl, { authToken: "wrong" });
    await refused.closed();
    expect(refused.errors).toEqual([403]);
    expect(refused.closes).toEqual([{ code: 1008, reason: "forbidden", wasClean: false }]);
  });
});

describe("failures", () => {
  it("closes with 3410 session_gone when the server ends the session (forced disconnect)", async () => {
    const probe = new Probe(url("user=alice"));
    await probe.join("echo:gone");
    server.endpoint.disconnect("user_socket:alice");
    await probe.closed();
    expect(probe.errors).toEqual([410]);
    expect(probe.closes).toEqual([{ code: 3410, reason: "session_gone", wasClean: false }]);
    expect(probe.events.slice(-2)).toEqual(["error", "close"]);
    const count = requests.length;
    probe.transport.send(JSON.stringify(["1", "9", "echo:gone", "ping", {}]));
    await probe.until("every request settled", () => requests.every((r) => r.done));
    await turn();
    expect(requests.length).toBe(count); // nothing after the close
  });

  it("reports a refused connect as 403 and closes with 1008 forbidden, never opening", async () => {
    const probe = new Probe(url("token=bad"));
    await probe.closed();
    expect(probe.opens).toBe(0);
    expect(probe.errors).toEqual([403]);
    expect(probe.closes).toEqual([{ code: 1008, reason: "forbidden", wasClean: false }]);
    expect(requests).toHaveLength(1);
  });

  it("closes with 1011 when a POST is refused", async () => {
    const probe = new Probe(url());
    await probe.join("echo:badpost");
    probe.transport.send("not a frame!"); // neither a text frame nor base64: the server answers 400
    await probe.closed();
    expect(probe.errors).toEqual([400]);
    expect(probe.closes).toEqual([{ code: 1011, reason: "internal server error", wasClean: false }]);
  });

  it("closes with 1011 when a request times out", async () => {
    const probe = new Probe(url(), { timeoutMs: 100 }); // shorter than the server's poll window
    await probe.opened();
    await probe.until("a parked GET", () => gets().length === 2 && !gets()[1]!.done);
    clock.advance(99);
    expect(probe.closes).toEqual([]);
    clock.advance(1);
    await probe.closed();
    expect(probe.errors).toHaveLength(1);
    expect(probe.errors[0]).toBeInstanceOf(LongPollTransportError);
    expect(probe.errors[0]).toMatchObject({ kind: "timeout", method: "GET" });
    expect(probe.closes).toEqual([{ code: 1011, reason: "timeout", wasClean: false }]);
  });

  it("closes with 1011 on a network error", async () => {
    const gone = await startTestEndpoint();
    const goneUrl = `${gone.websocketUrl}?vsn=2.0.0`;
    await gone.stop();
    const probe = new Probe(goneUrl);
    await probe.closed();
    expect(probe.errors[0]).toMatchObject({ kind: "network", method: "GET" });
    expect(probe.closes).toEqual([{ code: 1011, reason: "internal server error", wasClean: false }]);
  });

  it("closes with 1011 on an answer that is not a LongPoll body (no such mount)", async () => {
    const probe = new Probe(`${server.httpUrl.replace("http", "ws")}/nowhere/websocket?vsn=2.0.0`);
    await probe.closed();
    expect(probe.errors[0]).toMatchObject({ kind: "bad_response", method: "GET" });
    expect(probe.closes).toEqual([{ code: 1011, reason: "internal server error", wasClean: false }]);
  });
});

describe("answers from a scripted server", () => {
  let scripted: Server;
  let answers: string[];
  let scriptedUrl: string;
  let held: ServerResponse[];
  const reply = (res: ServerResponse, body: string) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  };
  /** Answers the oldest held request with `body`, or the next request if none is held. */
  const answer = (body: string) => {
    const res = held.shift();
    if (res === undefined) answers.push(body);
    else reply(res, body);
  };

  beforeEach(async () => {
    answers = [];
    held = [];
    scripted = createServer((_req, res) => {
      const body = answers.shift();
      if (body === undefined) held.push(res); // a parked poll, until answer() is called
      else reply(res, body);
    });
    await new Promise<void>((resolve) => scripted.listen(0, "127.0.0.1", resolve));
    scriptedUrl = `ws://127.0.0.1:${(scripted.address() as AddressInfo).port}/socket/websocket?vsn=2.0.0`;
  });
  afterEach(async () => {
    for (const probe of probes) probe.transport.close();
    scripted.closeAllConnections();
    await new Promise<void>((resolve) => scripted.close(() => resolve()));
  });

  it("polls again after 204, delivers 200 messages, and closes with 1011 on 500", async () => {
    answers.push(
      JSON.stringify({ status: 410, token: "T1", messages: [] }),
      JSON.stringify({ status: 204, token: "T1", messages: [] }),
      JSON.stringify({ status: 200, token: "T1", messages: ["a", "b"] }),
    );
    const probe = new Probe(scriptedUrl);
    await probe.until("two messages", () => probe.messages.length === 2);
    await probe.until("a parked poll", () => held.length === 1);
    answer(JSON.stringify({ status: 500 }));
    await probe.closed();
    expect(probe.events).toEqual(["open", "message", "message", "error", "close"]);
    expect(probe.messages).toEqual(["a", "b"]);
    expect(probe.errors).toEqual([500]);
    expect(probe.closes).toEqual([{ code: 1011, reason: "internal server error", wasClean: false }]);
    expect(gets().map((g) => new URL(g.url).searchParams.getAll("token"))).toEqual([[], ["T1"], ["T1"], ["T1"]]);
  });

  it("closes with 1011 on an unknown status or a body that is not JSON", async () => {
    answers.push(JSON.stringify({ status: 410, token: "T", messages: [] }), JSON.stringify({ status: 302 }));
    const odd = new Probe(scriptedUrl);
    await odd.closed();
    expect(odd.errors).toEqual([302]);
    expect(odd.closes[0]).toMatchObject({ code: 1011, wasClean: false });

    answers.push("<html>oops</html>");
    const html = new Probe(scriptedUrl);
    await html.closed();
    expect(html.errors[0]).toMatchObject({ kind: "bad_response" });
    expect(html.closes[0]).toMatchObject({ code: 1011, wasClean: false });
  });
});

describe("close()", () => {
  it("aborts the requests, cancels timers and queued frames, and fires onclose once", async () => {
    const probe = new Probe(url());
    await probe.join("echo:close");
    await probe.until("a parked GET", () => gets().some((g) => !g.done)); // a GET is parked on the server now
    expect(clock.pendingTimers()).toBeGreaterThan(0); // its timeout timer, at least

    probe.sendFrame("1", "2", "echo:close", "ping"); // waits for its tick: cancelled by the close
    const count = requests.length;
    probe.transport.close();
    probe.transport.close(4000, "again"); // no second onclose
    expect(probe.closes).toEqual([{ code: 1000, reason: "", wasClean: true }]);
    expect(probe.errors).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
    for (const request of requests) expect(request.done || request.signal?.aborted).toBe(true);

    // The aborted requests end without an answer that could start another poll.
    await probe.until("every request settled", () => requests.every((r) => r.done));
    await turn();
    expect(requests.length).toBe(count); // the frame was never posted, no poll followed
    expect(probe.closes).toHaveLength(1);
    expect(probe.events.at(-1)).toBe("close");
  });

  it("cancels the deliveries of messages already received", async () => {
    const probe = new Probe(url());
    await probe.join("echo:cancel");
    // Hold the next GETs while 40 replies pile up on the server, so that one answer brings them all.
    let release!: () => void;
    getGate = new Promise<void>((resolve) => (release = resolve));
    probe.sendFrame("1", "5", "echo:cancel", "ping"); // answers the GET parked now; the next one waits
    await probe.reply("5");
    const before = posts().length;
    for (let i = 0; i < 40; i++) probe.sendFrame("1", String(10 + i), "echo:cancel", "ping");
    await probe.until("the POST answered", () => posts().length === before + 1 && posts()[before]!.done);

    const seen: string[] = [];
    probe.transport.onmessage = (data) => {
      seen.push(data as string);
      probe.transport.close(4001, "enough");
    };
    getGate = null;
    release();
    await probe.closed();
    await turn(); // the deliveries queued behind the first one would have run by now
    const batch = gets().find((g) => g.answer !== undefined && (JSON.parse(g.answer) as { messages?: unknown[] }).messages?.length === 40);
    expect(batch).toBeDefined(); // one answer brought the 40 replies…
    expect(seen).toHaveLength(1); // …and the close cancelled the 39 after the first
    expect(probe.closes).toEqual([{ code: 4001, reason: "enough", wasClean: true }]);
  });

  it("before the first poll: no request at all", async () => {
    const probe = new Probe(url());
    probe.transport.close();
    expect(clock.pendingTimers()).toBe(0);
    await turn(); // the first poll would have started by now
    expect(requests).toHaveLength(0);
    expect(probe.events).toEqual(["close"]);
  });

  it("drops frames sent before open or after close", async () => {
    const probe = new Probe(url());
    probe.sendFrame("1", "1", "echo:early", "phx_join");
    await probe.opened();
    await turn();
    expect(posts()).toHaveLength(0);
    probe.transport.close();
    probe.sendFrame("1", "2", "echo:early", "phx_join");
    await turn();
    expect(posts()).toHaveLength(0);
  });
});

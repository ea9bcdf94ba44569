// The official phoenix client over LongPoll, where that transport differs from WebSocket: POST batches of
// a push burst, mixed LongPoll and WebSocket clients in one topic, endpoint shutdown, a POST line larger
// than maxFrameBytes, binary frames the server cannot send over LongPoll, and the session ending when the
// client stops polling. What both transports share is the channel suite in test/integration/channels.
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import type { Socket } from "phoenix";
import { ServerErrorCode, type ClientErrorContext, type FenixError } from "../../../src/index.js";
import { LONGPOLL, WEBSOCKET } from "../../support/client-transport.js";
import { closeAllClients, connectSocket, join, push, quietPeriod, recordEvent, Recorder, WAIT_MS, type ClientOptions, joinRecording } from "../../support/phoenix-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

const WINDOW_MS = 200;
let server: TestEndpoint;

beforeEach(async () => {
  server = await startTestEndpoint({}, { longpoll: { windowMs: WINDOW_MS } });
});
afterEach(async () => {
  await closeAllClients();
  await server.stop();
});

const connectLongPoll = (url: string, options: ClientOptions = {}): Promise<Socket> =>
  connectSocket(url, { ...LONGPOLL.clientOptions, ...options });
const connectWebSocket = (url: string, options: ClientOptions = {}): Promise<Socket> =>
  connectSocket(url, { ...WEBSOCKET.clientOptions, ...options });

/** A client error as reported on the endpoint's `clientError`: its code and the transport it came from. */
interface Report {
  readonly code: string;
  readonly transport: string;
}

/** Records the endpoint's `clientError` reports. */
function recordClientErrors(target: TestEndpoint): Recorder<Report> {
  const reports = new Recorder<Report>();
  target.endpoint.on("clientError", (error: FenixError, context: ClientErrorContext) =>
    reports.record({ code: error.code, transport: context.transport }),
  );
  return reports;
}

const bytesOf = (value: unknown): number[] => {
  expect(value).toBeInstanceOf(ArrayBuffer);
  return [...new Uint8Array(value as ArrayBuffer)];
};

describe("the official client over LongPoll", () => {
  it("sends a burst of pushes in batches and gets every reply in order", async () => {
    const socket = await connectLongPoll(server.socketUrl);
    const channel = socket.channel("echo:burst", {});
    await join(channel);
    const replies = await Promise.all(Array.from({ length: 150 }, (_, i) => push(channel, "ping", { i })));
    expect(replies.map((r) => (r.response as { i: number }).i)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it("mixed clients: a LongPoll client and a WebSocket client in the same topic see each other's broadcasts", async () => {
    const lpSocket = await connectLongPoll(server.socketUrl);
    const wsSocket = await connectWebSocket(server.socketUrl);
    const lpChannel = lpSocket.channel("echo:mixed", {});
    const wsChannel = wsSocket.channel("echo:mixed", {});
    const lpNews = recordEvent(lpChannel, "news");
    const wsNews = recordEvent(wsChannel, "news");
    await join(lpChannel);
    await join(wsChannel);

    await push(wsChannel, "broadcast", { event: "news", payload: { from: "ws" } });
    await push(lpChannel, "broadcast", { event: "news", payload: { from: "lp" } });
    server.endpoint.broadcast("echo:mixed", "news", { from: "endpoint" });

    const expected = [{ from: "ws" }, { from: "lp" }, { from: "endpoint" }];
    expect(await lpNews.waitFor(3)).toEqual(expected);
    expect(await wsNews.waitFor(3)).toEqual(expected);
  });
});

describe("endpoint shutdown", () => {
  it("ends the client's session: it sees its connection close, and its reconnect attempts fail with errors", async () => {
    const socket = await connectLongPoll(server.socketUrl);
    await join(socket.channel("echo:shutdown"));
    const closes = new Recorder<CloseEvent>();
    const errors = new Recorder<unknown>();
    const opens = new Recorder();
    socket.onClose(closes.record);
    socket.onError(errors.record);
    socket.onOpen(opens.record);

    await server.stop();

    await closes.waitFor(1);
    // The endpoint is gone: each attempt the client makes on its reconnect backoff fails with an error.
    const errorsAtClose = errors.count;
    await errors.waitFor(errorsAtClose + 2);
    expect(opens.count).toBe(0);
    expect(socket.isConnected()).toBe(false);
  });
});

describe("frame size", () => {
  it("refuses a POST line larger than maxFrameBytes (413): the client's connection errors, and it reconnects and rejoins", async () => {
    const small = await startTestEndpoint({ maxFrameBytes: 10_000 }, { longpoll: { windowMs: WINDOW_MS } });
    onTestFinished(() => small.stop());
    const reports = recordClientErrors(small);
    const socket = await connectLongPoll(small.socketUrl);
    const errors = new Recorder<unknown>();
    const opens = new Recorder();
    socket.onError(errors.record);
    socket.onOpen(opens.record);
    const big = socket.channel("echo:big");
    const joins = await joinRecording(big);

    void push(big, "ping", { body: "x".repeat(20_000) }, { timeout: 200 });

    // The client reports the status of the refused POST as its connection error.
    expect(await errors.waitFor(1)).toEqual([413]);
    expect(await reports.waitFor(1)).toEqual([{ code: ServerErrorCode.FRAME_TOO_LARGE, transport: "longpoll" }]);
    await opens.waitFor(1);
    await joins.waitFor(2);
    expect(await push(big, "ping", { small: true })).toEqual({ status: "ok", response: { small: true } });
    expect(errors.count).toBe(1);
  });
});

describe("binary frames", () => {
  it("drops a binary broadcast to a LongPoll client and reports it, while the JSON traffic of its socket goes on", async () => {
    const reports = recordClientErrors(server);
    const lp = await connectLongPoll(server.socketUrl);
    const ws = await connectWebSocket(server.socketUrl);
    const lpChannel = lp.channel("echo:bytes");
    const wsChannel = ws.channel("echo:bytes");
    await join(lpChannel);
    await join(wsChannel);
    const lpBytes = recordEvent(lpChannel, "binary_broadcast");
    const lpNews = recordEvent(lpChannel, "news");
    const wsBytes = recordEvent(wsChannel, "binary_broadcast");

    expect((await push(wsChannel, "binary", Uint8Array.from([1, 2]).buffer)).status).toBe("ok");

    // The WebSocket sender got its copy (written before its reply); the LongPoll client's was dropped.
    expect(bytesOf(wsBytes.values[0])).toEqual([2, 1]);
    expect(await reports.waitFor(1)).toEqual([{ code: ServerErrorCode.LONGPOLL_BINARY_DROPPED, transport: "longpoll" }]);
    expect(await push(lpChannel, "ping", { still: "fine" })).toEqual({ status: "ok", response: { still: "fine" } });
    server.endpoint.broadcast("echo:bytes", "news", { after: "bytes" });
    expect(await lpNews.waitFor(1)).toEqual([{ after: "bytes" }]);
    expect(lpBytes.count).toBe(0);
    expect(lp.isConnected()).toBe(true);
    expect(reports.count).toBe(1);
  });

  it("takes a LongPoll client's binary push (a base64 line) to its channel, and drops the binary reply, push and broadcast it gets back", async () => {
    const reports = recordClientErrors(server);
    const lp = await connectLongPoll(server.socketUrl);
    const ws = await connectWebSocket(server.socketUrl);
    const lpChannel = lp.channel("echo:lp-bytes");
    const wsChannel = ws.channel("echo:lp-bytes");
    await join(lpChannel);
    await join(wsChannel);
    const lpPushes = recordEvent(lpChannel, "binary_push");
    const lpBroadcasts = recordEvent(lpChannel, "binary_broadcast");
    const wsBytes = recordEvent(wsChannel, "binary_broadcast");

    const binaryReply = push(lpChannel, "binary", Uint8Array.from([1, 2, 3]).buffer, { timeout: 200 });

    // The channel got the bytes: its broadcast of them, reversed, reaches the WebSocket client.
    const [broadcast] = await wsBytes.waitFor(1);
    expect(bytesOf(broadcast)).toEqual([3, 2, 1]);
    // The binary push, broadcast copy and reply to the LongPoll client: each dropped and reported.
    const dropped = { code: ServerErrorCode.LONGPOLL_BINARY_DROPPED, transport: "longpoll" };
    expect(await reports.waitFor(3)).toEqual([dropped, dropped, dropped]);
    expect(await push(lpChannel, "ping", { json: true })).toEqual({ status: "ok", response: { json: true } });
    expect(await binaryReply).toEqual({ status: "timeout", response: {} });
    expect(lpPushes.count).toBe(0);
    expect(lpBroadcasts.count).toBe(0);
    expect(lp.isConnected()).toBe(true);
  });
});

describe("session timeout", () => {
  it("ends the session within 1.5 × windowMs once the client stops polling", async () => {
    const socket = await connectLongPoll(server.socketUrl);
    await join(socket.channel("echo:gone"));
    expect(server.endpoint.connectionCount).toBe(1);
    // The client idles, as clients do before they go: its next poll is parked on the server.
    await quietPeriod(50);

    // A LongPoll client tells the server nothing when it goes: it aborts its poll and stops polling.
    const stoppedAt = Date.now();
    socket.disconnect();
    await vi.waitUntil(() => server.endpoint.connectionCount === 0, { timeout: WAIT_MS, interval: 10 });
    const elapsed = Date.now() - stoppedAt;

    // Not at once (a client that polls late may still come back), and not later than 1.5 × windowMs
    // after its last poll, give or take the server's timer running late on a busy machine.
    expect(elapsed).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(elapsed).toBeLessThanOrEqual(WINDOW_MS * 1.5 + 100);
  });
});

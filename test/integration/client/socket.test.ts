// fenix-client sockets against a real Fenix endpoint: open/close callbacks and state, connect params
// (a function re-read on reconnect), the auth token, forced disconnects, a server restart on the same
// port, and the heartbeat timeout.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamicSupervisor, Supervisor, type Pid } from "../../../src/index.js";
import { ClientError, ClientErrorCode, FALLBACK_KEY, webSocketTransport, type TransportClose, type TransportFactory } from "../../../src/client/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { BACKOFF_MS, Recorder, advanceBackoff, channel, clock, closeAll, connectSocket, createSocket, nextJoin, nextOpen, until } from "./helpers.js";

let server: TestEndpoint;

beforeEach(async () => {
  server = await startTestEndpoint();
});

afterEach(async () => {
  await closeAll();
  await server.stop();
});

/** The pids of the connection processes of the `/socket` mount. */
async function socketProcesses(endpoint: TestEndpoint): Promise<Pid[]> {
  const mounts = await Supervisor.whichChildren(endpoint.endpoint.supervisor!);
  const mount = mounts.find((child) => child.id === "socket:/socket")!;
  const children = await DynamicSupervisor.whichChildren(mount.pid!);
  return children.flatMap((child) => (child.pid === null ? [] : [child.pid]));
}

describe("connect and disconnect", () => {
  it("reports open and close, tracks its state, and stops reconnecting after disconnect()", async () => {
    const socket = createSocket(server.socketUrl);
    const opens = new Recorder<void>();
    const closes = new Recorder<TransportClose>();
    socket.onOpen(opens.record);
    const offClose = socket.onClose(closes.record);
    expect(socket.state).toBe("closed");
    expect(socket.isConnected()).toBe(false);
    const open = nextOpen(socket);
    socket.connect();
    socket.connect(); // no second connection
    expect(socket.state).toBe("connecting");
    await open;
    expect(socket.state).toBe("open");
    expect(socket.isConnected()).toBe(true);
    expect(socket.transportKind).toBe("websocket");
    expect(server.endpoint.connectionCount).toBe(1);
    const closing = socket.disconnect(1000, "bye");
    expect(socket.state).toBe("closing");
    await closing;
    expect(socket.state).toBe("closed");
    expect(opens.values).toHaveLength(1);
    expect(closes.values).toHaveLength(1);
    expect(closes.values[0]?.code).toBe(1000);
    offClose();
    // Well past the reconnect backoff: no timer is left to reconnect.
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(3 * BACKOFF_MS);
    expect(socket.state).toBe("closed");
    await until(() => server.endpoint.connectionCount === 0, "the server to see the close");
  });

  it("sends params in the query (nested with brackets) and re-reads a params function on every connect", async () => {
    let n = 0;
    const socket = await connectSocket(server.socketUrl, { params: () => ({ user: "u1", n: ++n, nested: { a: 1, list: ["x", "y"] } }) });
    const ch = channel(socket, "echo:params");
    await ch.join();
    expect(await ch.push("connect_params", {})).toEqual({
      params: { user: "u1", n: "1", nested: { a: "1", list: { 0: "x", 1: "y" } }, vsn: "2.0.0" },
    });
    const rejoined = nextJoin(ch);
    server.endpoint.disconnect("user_socket:u1");
    await advanceBackoff();
    await rejoined;
    expect(await ch.push("connect_params", {})).toMatchObject({ params: { n: "2" } });
  });

  it("reports a refused connection on onError as TRANSPORT_ERROR and keeps retrying", async () => {
    const socket = createSocket(server.socketUrl, { params: { token: "bad" } });
    const errors = new Recorder<ClientError>();
    const closes = new Recorder<TransportClose>();
    socket.onError(errors.record);
    socket.onClose(closes.record);
    socket.connect();
    await closes.waitFor(1);
    await advanceBackoff();
    await closes.waitFor(2);
    expect(errors.values[0]).toBeInstanceOf(ClientError);
    expect(errors.values[0]?.code).toBe(ClientErrorCode.TRANSPORT_ERROR);
    expect(socket.state).toBe("connecting");
    expect(socket.isConnected()).toBe(false);
  });

  it("throws BAD_ARGUMENT for a bad endpoint or option", async () => {
    const { Socket } = await import("../../../src/client/index.js");
    expect(() => new Socket("example.com/socket")).toThrow(expect.objectContaining({ code: ClientErrorCode.BAD_ARGUMENT }));
    expect(() => new Socket("ws://h/socket", { heartbeatIntervalMs: 0 })).toThrow(expect.objectContaining({ code: ClientErrorCode.BAD_ARGUMENT }));
    expect(new Socket("http://h/socket/").endpoint).toBe("ws://h/socket");
  });
});

describe("authToken", () => {
  const authUrl = (): string => server.socketUrl.replace(/\/socket$/, "/auth");

  it("is accepted by a mount that requires it", async () => {
    const socket = await connectSocket(authUrl(), { authToken: "good-token", params: { user: "tok" } });
    const ch = channel(socket, "echo:auth");
    await expect(ch.join()).resolves.toEqual({ joined: "echo:auth", user: "tok" });
  });

  it("is refused when wrong: no open, errors reported", async () => {
    const socket = createSocket(authUrl(), { authToken: () => "bad-token" });
    const errors = new Recorder<ClientError>();
    const opens = new Recorder<void>();
    socket.onError(errors.record);
    socket.onOpen(opens.record);
    socket.connect();
    await errors.waitFor(1);
    await advanceBackoff();
    await errors.waitFor(2);
    expect(opens.values).toHaveLength(0);
  });
});

describe("reconnect", () => {
  it("reconnects and rejoins after endpoint.disconnect(socketId)", async () => {
    const socket = await connectSocket(server.socketUrl, { params: { user: "x" } });
    const ch = channel(socket, "echo:forced");
    await ch.join();
    const closes = new Recorder<TransportClose>();
    const chErrors = new Recorder<ClientError>();
    socket.onClose(closes.record);
    ch.onError(chErrors.record);
    const rejoined = nextJoin(ch);
    const inFlight = ch.push("noreply", {});
    server.endpoint.disconnect("user_socket:x");
    await advanceBackoff();
    await rejoined;
    expect(closes.values[0]?.code).toBe(1001);
    expect(chErrors.values[0]?.code).toBe(ClientErrorCode.DISCONNECTED);
    await expect(inFlight).rejects.toMatchObject({ code: ClientErrorCode.DISCONNECTED });
    expect(socket.state).toBe("open");
    await expect(ch.push("ping", { ok: 1 })).resolves.toEqual({ ok: 1 });
  });

  it("survives a server restart on the same port: channels rejoin, offline pushes are delivered exactly once", async () => {
    const port = Number(new URL(server.httpUrl).port);
    const socket = await connectSocket(server.socketUrl, { params: { user: "r" } });
    const ch = channel(socket, "echo:restart");
    await ch.join();
    const seen = new Recorder<unknown>();
    ch.on("offline", seen.record);
    const closed = new Recorder<TransportClose>();
    socket.onClose(closed.record);
    await server.stop();
    await closed.waitFor(1);
    expect(ch.state).toBe("errored");
    // Made while offline: they wait in the channel and go out once it has rejoined on the new server,
    // which pushes each one back (so the client sees every delivery).
    const offline = [ch.push("push", { event: "offline", payload: { n: 1 } }), ch.push("push", { event: "offline", payload: { n: 2 } })];
    server = await startTestEndpoint({ port });
    await advanceBackoff();
    await expect(Promise.all(offline)).resolves.toEqual([{}, {}]);
    expect(ch.state).toBe("joined");
    await seen.waitFor(2);
    await ch.push("ping", {});
    expect(seen.values).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("closes and reconnects when a heartbeat gets no reply before the next one", async () => {
    const socket = await connectSocket(server.socketUrl, { heartbeatIntervalMs: 50, params: { user: "hb" } });
    const ch = channel(socket, "echo:hb");
    await ch.join();
    // Heartbeats get answered: nothing happens for a few periods.
    const closes = new Recorder<TransportClose>();
    const heartbeatReplies = new Recorder<unknown>();
    socket.onClose(closes.record);
    socket.onMessage((message) => {
      if (message.topic === "phoenix" && message.event === "phx_reply") heartbeatReplies.record(message.ref);
    });
    for (let period = 1; period <= 4; period++) {
      clock.advance(50);
      await heartbeatReplies.waitFor(period);
    }
    expect(closes.values).toHaveLength(0);
    const [pid] = await socketProcesses(server);
    server.endpoint.runtime.suspend(pid!);
    const rejoined = nextJoin(ch);
    clock.advance(50); // a heartbeat the suspended connection cannot answer…
    expect(closes.values).toHaveLength(0);
    clock.advance(50); // …is still unanswered when the next one is due
    await closes.waitFor(1);
    expect(closes.values[0]).toMatchObject({ code: 1000, reason: "heartbeat timeout" });
    await advanceBackoff();
    await rejoined;
    expect(socket.isConnected()).toBe(true);
    server.endpoint.runtime.resume(pid!);
  });
});

describe("fallback", () => {
  it("falls back to LongPoll when the WebSocket fails before opening, remembers it, and works over it", async () => {
    // A WebSocket factory pointed at a mount that does not exist: its handshake fails.
    const broken: TransportFactory = (options) => webSocketTransport({ ...options, url: options.url.replace("/socket/websocket", "/nowhere/websocket") });
    const storage = new Map<string, string>();
    const socket = createSocket(server.socketUrl, {
      transport: broken,
      longPollFallbackMs: 2_000,
      sessionStorage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
      params: { user: "lp" },
    });
    const open = nextOpen(socket);
    socket.connect();
    await open;
    expect(socket.transportKind).toBe("longpoll");
    expect(storage.get(FALLBACK_KEY)).toBe("true");
    const ch = channel(socket, "echo:fallback");
    await expect(ch.join()).resolves.toEqual({ joined: "echo:fallback", user: "lp" });
    await expect(ch.push("ping", { over: "longpoll" })).resolves.toEqual({ over: "longpoll" });
  });
});

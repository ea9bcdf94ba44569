// The `clock` option of the client Socket: every timer of the socket, its channels and pushes runs on the
// given clock (here the server's VirtualClock, which fits ClientClock), so heartbeats, timeouts and
// backoffs happen exactly when the test moves time, with a scripted transport and no sleeping.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ClientErrorCode, Socket, systemClock, type ClientClock, type ClientTransport, type TransportClose, type TransportOptions } from "../../../src/client/index.js";
import { VirtualClock } from "../../../src/index.js";

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** A transport the test drives: it records frames and answers only what the test tells it to. */
class ScriptedTransport implements ClientTransport {
  readonly kind = "websocket" as const;
  onopen: () => void = () => {};
  onmessage: (data: string | ArrayBuffer) => void = () => {};
  onclose: (event: TransportClose) => void = () => {};
  onerror: (error: unknown) => void = () => {};
  readonly sent: Frame[] = [];
  closed = false;
  /** When false, `close()` never reports (a dead peer). */
  reportsClose = true;

  constructor(readonly options: TransportOptions) {}

  send(data: string | ArrayBuffer | Uint8Array): void {
    this.sent.push(JSON.parse(data as string) as Frame);
  }
  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reportsClose) queueMicrotask(() => this.onclose({ code, reason, wasClean: true }));
  }
  /** The frames sent with `event`. */
  frames(event: string): Frame[] {
    return this.sent.filter((f) => f[3] === event);
  }
  reply(frame: Frame, status = "ok", response: Record<string, unknown> = {}): void {
    this.onmessage(JSON.stringify([frame[0], frame[1], frame[2], "phx_reply", { status, response }]));
  }
}

let clock: VirtualClock;
let transports: ScriptedTransport[];
let sockets: Socket[];

function openSocket(options: ConstructorParameters<typeof Socket>[1] = {}): Socket {
  const socket = new Socket("ws://example.test/socket", {
    clock,
    transport: (opts) => {
      const t = new ScriptedTransport(opts);
      transports.push(t);
      return t;
    },
    reconnectAfterMs: () => 100,
    rejoinAfterMs: () => 500,
    ...options,
  });
  sockets.push(socket);
  socket.connect();
  transports.at(-1)!.onopen();
  return socket;
}

const flush = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

beforeEach(() => {
  clock = new VirtualClock();
  transports = [];
  sockets = [];
});
afterEach(async () => {
  for (const t of transports) t.reportsClose = true;
  await Promise.all(sockets.map((s) => s.disconnect()));
});

describe("the clock option", () => {
  it("accepts the server's VirtualClock and the host clock; refuses what is not a clock", () => {
    expectTypeOf<VirtualClock>().toExtend<ClientClock>();
    expectTypeOf(systemClock).toEqualTypeOf<ClientClock>();
    expect(() => new Socket("ws://h/socket", { clock: {} as ClientClock })).toThrow(expect.objectContaining({ code: ClientErrorCode.BAD_ARGUMENT }));
    expect(() => new Socket("ws://h/socket", { clock: systemClock })).not.toThrow();
    const start = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(start);
  });

  it("passes the clock to the transport", () => {
    openSocket();
    expect(transports[0]!.options.clock).toBe(clock);
  });

  it("sends heartbeats every heartbeatIntervalMs of the clock and drops a connection whose heartbeat is unanswered", async () => {
    const socket = openSocket({ heartbeatIntervalMs: 1_000 });
    const t = transports[0]!;
    const closes: TransportClose[] = [];
    socket.onClose((event) => closes.push(event));
    clock.advance(999);
    expect(t.frames("heartbeat")).toHaveLength(0);
    clock.advance(1);
    expect(t.frames("heartbeat")).toHaveLength(1);
    t.reply(t.frames("heartbeat")[0]!);
    clock.advance(1_000);
    expect(t.frames("heartbeat")).toHaveLength(2);
    expect(closes).toEqual([]);
    clock.advance(1_000); // the second one was never answered
    expect(closes).toEqual([{ code: 1000, reason: "heartbeat timeout", wasClean: false }]);
    expect(socket.isConnected()).toBe(false);
    // Reconnects on the backoff of the clock.
    clock.advance(99);
    expect(transports).toHaveLength(1);
    clock.advance(1);
    expect(transports).toHaveLength(2);
    await flush();
  });

  it("times out joins and pushes on the clock, and rejoins on the rejoin backoff", async () => {
    const socket = openSocket({ timeoutMs: 2_000 });
    const t = transports[0]!;
    const ch = socket.channel("room:1");
    const joining = ch.join();
    clock.advance(1_999);
    expect(ch.state).toBe("joining");
    clock.advance(1);
    await expect(joining).rejects.toMatchObject({ code: ClientErrorCode.JOIN_TIMEOUT });
    expect(t.frames("phx_join")).toHaveLength(1);
    clock.advance(499);
    expect(t.frames("phx_join")).toHaveLength(1);
    clock.advance(1);
    const [, rejoin] = t.frames("phx_join");
    expect(rejoin).toBeDefined();
    t.reply(rejoin!);
    expect(ch.state).toBe("joined");

    const push = ch.push("ping", {}, { timeout: 300 });
    clock.advance(299);
    t.reply(t.frames("ping")[0]!, "ok", { pong: true });
    await expect(push).resolves.toEqual({ pong: true });
    const unanswered = ch.push("ping", {}, { timeout: 300 });
    clock.advance(300);
    await expect(unanswered).rejects.toMatchObject({ code: ClientErrorCode.PUSH_TIMEOUT });
  });

  it("gives up on an unacknowledged leave and on a transport that never reports its close after timeoutMs", async () => {
    const socket = openSocket({ timeoutMs: 2_000 });
    const t = transports[0]!;
    const ch = socket.channel("room:2");
    void ch.join();
    t.reply(t.frames("phx_join")[0]!);
    let left = false;
    const leaving = ch.leave().then(() => (left = true));
    clock.advance(1_999);
    await flush();
    expect(left).toBe(false);
    clock.advance(1);
    await leaving;
    expect(ch.state).toBe("closed");

    t.reportsClose = false;
    let closed = false;
    const closing = socket.disconnect().then(() => (closed = true));
    clock.advance(1_999);
    await flush();
    expect(closed).toBe(false);
    clock.advance(1);
    await closing;
    expect(socket.state).toBe("closed");
    expect(clock.pendingTimers()).toBe(0);
  });
});

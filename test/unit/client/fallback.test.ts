// The LongPoll fallback rules (§4.6 of the protocol reference), with fake transports: fall back on an
// error before open or when the health check does not pass in time, stay on the primary once it passed,
// remember the fallback for the session, and go straight to the fallback when it is remembered. The
// sockets' timers run on a virtual clock.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FALLBACK_KEY, Socket, type ClientTransport, type StorageLike, type TransportFactory, type TransportOptions } from "../../../src/client/index.js";
import { VirtualClock } from "../../../src/index.js";

class FakeTransport implements ClientTransport {
  onopen: () => void = () => {};
  onmessage: (data: string | ArrayBuffer) => void = () => {};
  onclose: (event: { code: number; reason: string; wasClean: boolean }) => void = () => {};
  onerror: (error: unknown) => void = () => {};
  readonly sent: (string | ArrayBuffer | Uint8Array)[] = [];
  closed = false;
  constructor(
    readonly kind: "websocket" | "longpoll",
    readonly options: TransportOptions,
  ) {}
  send(data: string | ArrayBuffer | Uint8Array): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.onclose({ code, reason, wasClean: true }));
  }
  /** Answers every heartbeat sent so far. */
  answerHeartbeats(): void {
    for (const frame of this.sent) {
      const [, ref, topic, event] = JSON.parse(frame as string) as unknown[];
      if (topic === "phoenix" && event === "heartbeat") {
        this.onmessage(JSON.stringify([null, ref, "phoenix", "phx_reply", { status: "ok", response: {} }]));
      }
    }
  }
}

function fakes(): { ws: FakeTransport[]; lp: FakeTransport[]; primary: TransportFactory; fallback: TransportFactory } {
  const ws: FakeTransport[] = [];
  const lp: FakeTransport[] = [];
  return {
    ws,
    lp,
    primary: (options) => {
      const t = new FakeTransport("websocket", options);
      ws.push(t);
      return t;
    },
    fallback: (options) => {
      const t = new FakeTransport("longpoll", options);
      lp.push(t);
      return t;
    },
  };
}

function memoryStorage(): StorageLike & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

const sockets: Socket[] = [];
let clock: VirtualClock;
function socketWith(options: ConstructorParameters<typeof Socket>[1]): Socket {
  const socket = new Socket("ws://example.test/socket", { reconnectAfterMs: () => 5, clock, ...options });
  sockets.push(socket);
  return socket;
}

beforeEach(() => {
  clock = new VirtualClock();
});

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.disconnect()));
});

describe("longPollFallbackMs", () => {
  it("falls back at once when the WebSocket fails before it opens, and remembers it once LongPoll opens", async () => {
    const f = fakes();
    const storage = memoryStorage();
    const socket = socketWith({ transport: f.primary, fallbackTransport: f.fallback, longPollFallbackMs: 1000, sessionStorage: storage });
    socket.connect();
    expect(f.ws).toHaveLength(1);
    expect(f.ws[0]!.options.url).toBe("ws://example.test/socket/websocket?vsn=2.0.0");
    f.ws[0]!.onerror(new Error("refused"));
    expect(f.ws[0]!.closed).toBe(true);
    expect(f.lp).toHaveLength(1);
    expect(f.lp[0]!.options.url).toBe("ws://example.test/socket/websocket?vsn=2.0.0");
    expect(storage.map.has(FALLBACK_KEY)).toBe(false);
    f.lp[0]!.onopen();
    expect(socket.isConnected()).toBe(true);
    expect(socket.transportKind).toBe("longpoll");
    expect(storage.map.get(FALLBACK_KEY)).toBe("true");
    // No heartbeats over LongPoll.
    expect(f.lp[0]!.sent).toEqual([]);
  });

  it("falls back when the WebSocket does not answer the health-check heartbeat in time", async () => {
    const f = fakes();
    const storage = memoryStorage();
    const socket = socketWith({ transport: f.primary, fallbackTransport: f.fallback, longPollFallbackMs: 30, sessionStorage: storage });
    socket.connect();
    f.ws[0]!.onopen();
    expect(socket.isConnected()).toBe(true);
    expect(f.ws[0]!.sent).toHaveLength(1); // the health-check ping
    clock.advance(29);
    expect(f.ws[0]!.closed).toBe(false);
    clock.advance(31);
    expect(f.ws[0]!.closed).toBe(true);
    expect(f.lp).toHaveLength(1);
    f.lp[0]!.onopen();
    expect(storage.map.get(FALLBACK_KEY)).toBe("true");
  });

  it("keeps the WebSocket once it answered the health check, also across reconnects", async () => {
    const f = fakes();
    const storage = memoryStorage();
    const socket = socketWith({ transport: f.primary, fallbackTransport: f.fallback, longPollFallbackMs: 30, sessionStorage: storage });
    socket.connect();
    f.ws[0]!.onopen();
    f.ws[0]!.answerHeartbeats();
    clock.advance(60);
    expect(f.lp).toHaveLength(0);
    expect(f.ws[0]!.closed).toBe(false);
    // A lost connection reconnects over WebSocket.
    f.ws[0]!.onclose({ code: 1006, reason: "", wasClean: false });
    clock.advance(20);
    expect(f.ws).toHaveLength(2);
    expect(f.lp).toHaveLength(0);
    expect(storage.map.size).toBe(0);
  });

  it("goes straight to LongPoll when the fallback is remembered", () => {
    const f = fakes();
    const storage = memoryStorage();
    storage.setItem(FALLBACK_KEY, "true");
    const socket = socketWith({ transport: f.primary, fallbackTransport: f.fallback, longPollFallbackMs: 30, sessionStorage: storage });
    socket.connect();
    expect(f.ws).toHaveLength(0);
    expect(f.lp).toHaveLength(1);
  });

  it("is off by default: an error before open reconnects with the primary transport", async () => {
    const f = fakes();
    const socket = socketWith({ transport: f.primary, fallbackTransport: f.fallback });
    socket.connect();
    f.ws[0]!.onerror(new Error("refused"));
    f.ws[0]!.onclose({ code: 1006, reason: "", wasClean: false });
    clock.advance(20);
    expect(f.ws.length).toBeGreaterThanOrEqual(2);
    expect(f.lp).toHaveLength(0);
  });

  it("passes the auth token, connect params and the LongPoll request timeout to the factory", () => {
    const f = fakes();
    const socket = socketWith({ transport: f.primary, authToken: "tok", params: { a: 1, b: null, c: { d: "x y" } }, longPollTimeoutMs: 1234 });
    socket.connect();
    expect(f.ws[0]!.options).toEqual({ url: "ws://example.test/socket/websocket?a=1&c%5Bd%5D=x%20y&vsn=2.0.0", authToken: "tok", timeoutMs: 1234, clock });
  });
});

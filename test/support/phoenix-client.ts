/**
 * Drives the official `phoenix` client from Node in tests: sockets over the run's transport (WebSocket
 * through `ws`, or LongPoll; see client-transport.ts) with timers shortened to milliseconds, promises for
 * joins, pushes and pings, recorders to wait for events, and a cleanup that disconnects every client and
 * cancels every client timer so no handle outlives a test.
 */
import { LongPoll, Socket, type Channel, type Push, type SocketConnectOption } from "phoenix";
import WebSocket from "ws";
import { afterEach, beforeEach } from "vitest";
import { clientTransport } from "./client-transport.js";
import { startTestEndpoint, type TestEndpoint } from "./test-endpoint.js";

/** Options of the official client's `Socket`. */
export type ClientOptions = Partial<SocketConnectOption>;

/**
 * Client timers short enough for tests: pushes time out after 2 s, rejoins and reconnects happen after
 * 50 ms instead of after 1–10 s. Heartbeats keep the 30 s default unless a test sets `heartbeatIntervalMs`.
 */
export const FAST_CLIENT_OPTIONS = {
  timeout: 2_000,
  rejoinAfterMs: () => 50,
  reconnectAfterMs: () => 50,
} as const satisfies ClientOptions;

/** How long a wait for something that should happen gives up after, in ms. */
export const WAIT_MS = 3_000;

/** A reply to a join or a push: the server's status and response, or status `"timeout"`. */
export interface Reply {
  readonly status: string;
  readonly response: unknown;
}

/** A message as the client decoded it (what `socket.onMessage` callbacks receive). */
export interface ClientMessage {
  readonly join_ref?: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: unknown;
}

/** `Push.receive` accepts any status at runtime; the published types only list ok, error and timeout. */
interface AnyStatusPush {
  receive(status: string, callback: (response: unknown) => void): AnyStatusPush;
}

/** Client internals the cleanup reaches into: timers `disconnect()` leaves scheduled, and the transport. */
interface PushInternals {
  cancelTimeout(): void;
}
interface ChannelInternals {
  readonly rejoinTimer: { reset(): void };
  /** Event bindings; a pending push (including internal ones, such as leaves) has a `chan_reply_<ref>` one. */
  readonly bindings: readonly { readonly event: string }[];
  trigger(event: string, payload: object): void;
}
interface SocketInternals {
  readonly channels: readonly ChannelInternals[];
  /** The transport instance of the current connection (a `ws` WebSocket or a `LongPoll`), if any. */
  readonly conn: unknown;
}

const sockets = new Set<Socket>();
const pendingPushes = new Set<Push>();

/**
 * Creates an official-client socket with {@link FAST_CLIENT_OPTIONS}; it is not connected yet. It uses the
 * run's transport ({@link clientTransport}) unless `options.transport` names one.
 */
export function createSocket(url: string, options: ClientOptions = {}): Socket {
  const socket = new Socket(url, { ...clientTransport.clientOptions, ...FAST_CLIENT_OPTIONS, ...options });
  sockets.add(socket);
  return socket;
}

/** Creates a socket, connects it, and resolves once it is open; rejects on a connection error. */
export async function connectSocket(url: string, options: ClientOptions = {}): Promise<Socket> {
  const socket = createSocket(url, options);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      const refs = [
        socket.onOpen(() => {
          socket.off(refs);
          resolve();
        }),
        socket.onError((error) => {
          socket.off(refs);
          reject(new Error(`the socket to ${url} failed to open: ${show(error)}`));
        }),
      ];
      socket.connect();
    }),
    WAIT_MS,
    `the socket to ${url} did not open`,
  );
  return socket;
}

/** Joins `channel` and resolves with the first answer to the join: ok, error or timeout. */
export function join(channel: Channel, timeoutMs?: number): Promise<Reply> {
  return replyOf(channel.join(timeoutMs));
}

/**
 * Joins `channel` and records the response of every ok join reply: the first join and each rejoin the
 * client makes by itself (after a reconnect or a channel error). Resolves once the first one arrived.
 */
export async function joinRecording(channel: Channel): Promise<Recorder<unknown>> {
  const joins = new Recorder<unknown>();
  channel.join().receive("ok", joins.record);
  await joins.waitFor(1);
  return joins;
}

/** Options of {@link push}. */
export interface PushOptions {
  /** The push timeout in ms. @defaultValue the socket's `timeout` */
  readonly timeout?: number;
  /** Reply statuses to listen for besides ok, error and timeout (custom statuses such as `"created"`). */
  readonly statuses?: readonly string[];
}

/** Pushes an event and resolves with its reply (or status `"timeout"`). */
export function push(channel: Channel, event: string, payload: object = {}, options: PushOptions = {}): Promise<Reply> {
  return replyOf(channel.push(event, payload, options.timeout), options.statuses);
}

/** Resolves with the first of the push's replies, whatever its status; `extraStatuses` adds custom ones. */
export function replyOf(pushed: Push, extraStatuses: readonly string[] = []): Promise<Reply> {
  pendingPushes.add(pushed);
  return new Promise((resolve) => {
    const hooks = pushed as unknown as AnyStatusPush;
    for (const status of ["ok", "error", "timeout", ...extraStatuses]) {
      hooks.receive(status, (response) => {
        pendingPushes.delete(pushed);
        resolve({ status, response });
      });
    }
  });
}

/** Sends a heartbeat with `socket.ping` and resolves with the round trip in ms. */
export function ping(socket: Socket): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      if (!socket.ping(resolve)) reject(new Error("ping: the socket is not connected"));
    }),
    WAIT_MS,
    "no reply to the ping",
  );
}

/**
 * Collects the values passed to a callback and lets a test wait until enough of them arrived.
 *
 * @example
 * ```ts
 * const news = new Recorder<unknown>();
 * channel.on("news", news.record);
 * await news.waitFor(1);
 * ```
 */
export class Recorder<T = void> {
  readonly values: T[] = [];
  readonly #waiters = new Set<() => void>();

  /** The callback to register: records its first argument. */
  readonly record = (value: T): void => {
    this.values.push(value);
    for (const wake of [...this.#waiters]) wake();
  };

  /** How many values arrived so far. */
  get count(): number {
    return this.values.length;
  }

  /** Resolves with all values once at least `count` arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = WAIT_MS): Promise<T[]> {
    await this.#until(() => this.values.length >= count, `${count} values`, timeoutMs);
    return this.values;
  }

  /** Resolves with the first value (already recorded or still to come) that `matches`; rejects after `timeoutMs`. */
  async waitForValue(matches: (value: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
    await this.#until(() => this.values.some(matches), "a matching value", timeoutMs);
    return this.values.find(matches)!;
  }

  #until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`expected ${what} within ${timeoutMs} ms, got ${this.values.length}: ${show(this.values)}`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }
}

/** Records the payloads of `event` on `channel`. */
export function recordEvent(channel: Channel, event: string): Recorder<unknown> {
  const recorder = new Recorder<unknown>();
  channel.on(event, recorder.record);
  return recorder;
}

/** Records every message the socket receives (all topics), optionally only those `filter` keeps. */
export function recordMessages(socket: Socket, filter: (message: ClientMessage) => boolean = () => true): Recorder<ClientMessage> {
  const recorder = new Recorder<ClientMessage>();
  socket.onMessage((message) => {
    const m = message as ClientMessage;
    if (filter(m)) recorder.record(m);
  });
  return recorder;
}

/** The longest quiet window a test may wait to see that nothing arrives. */
const MAX_QUIET_MS = 300;

/**
 * Waits `ms` (at most 300) for a check that something does NOT happen, where no event can tell that it
 * will not. Prefer a round trip ({@link ping}) behind the frames in question when ordering allows.
 */
export function quietPeriod(ms: number): Promise<void> {
  if (ms > MAX_QUIET_MS) throw new Error(`quiet periods are capped at ${MAX_QUIET_MS} ms; got ${ms}`);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Disconnects every socket created here and cancels the client timers that would otherwise stay
 * scheduled (push timeouts, rejoin backoffs). Call it in `afterEach`, before stopping the endpoint.
 */
export async function closeAllClients(): Promise<void> {
  const all = [...sockets];
  sockets.clear();
  for (const pushed of pendingPushes) (pushed as unknown as PushInternals).cancelTimeout();
  pendingPushes.clear();
  await Promise.all(
    all.map(async (socket) => {
      cancelChannelTimers(socket);
      await closeTransport(socket);
      await new Promise<void>((resolve) => socket.disconnect(resolve));
      // Disconnecting errors the channels; make sure none of them scheduled a rejoin meanwhile.
      cancelChannelTimers(socket);
    }),
  );
}

/**
 * Closes the socket's transport after detaching the client from it. `disconnect()` then finds it closed
 * and finishes at once; on an open WebSocket it would poll its state every 150 ms, which adds up over a
 * suite. Detached, the client neither reconnects nor runs the test's close callbacks for this close.
 */
async function closeTransport(socket: Socket): Promise<void> {
  const conn = (socket as unknown as SocketInternals).conn;
  if (conn instanceof LongPoll) closeLongPoll(conn);
  else if (conn instanceof WebSocket) await closeWebSocket(conn);
}

/** The LongPoll internals the cleanup sets: its event handlers (called unguarded, so never `null`). */
interface LongPollInternals {
  onopen: () => void;
  onerror: (error: unknown) => void;
  onmessage: (message: unknown) => void;
  onclose: (event: unknown) => void;
  close(): void;
}

/**
 * Closes a LongPoll transport at once: `close()` aborts its pending poll and POST (their fetch timers are
 * cleared as the aborts settle), cancels its queued message deliveries and batch timer, and it polls no more.
 */
function closeLongPoll(longpoll: LongPoll): void {
  const lp = longpoll as unknown as LongPollInternals;
  const ignore = (): void => {};
  lp.onopen = ignore;
  lp.onerror = ignore;
  lp.onmessage = ignore;
  lp.onclose = ignore;
  lp.close();
}

/** Closes a `ws` WebSocket with its handlers removed, and waits until it has closed. */
async function closeWebSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
  // Closing a connection that is still opening emits an error, which needs a listener.
  ws.on("error", () => {});
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.close();
  await withTimeout(closed, WAIT_MS, "the client's WebSocket did not close");
}

/** A reply status no hook listens for: delivering it to a pending push only clears the push's timer. */
const CLEANUP_STATUS = "fenix_test_cleanup";

function cancelChannelTimers(socket: Socket): void {
  for (const channel of (socket as unknown as SocketInternals).channels) {
    channel.rejoinTimer.reset();
    for (const { event } of [...channel.bindings]) {
      if (event.startsWith("chan_reply_")) channel.trigger(event, { status: CLEANUP_STATUS, response: {} });
    }
  }
}

/** Rejects with `message` if `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function show(value: unknown): string {
  if (value instanceof Error) return value.message;
  const message = (value as { message?: unknown } | null)?.message;
  if (typeof message === "string") return message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Starts a fresh test endpoint before each test of the calling file and, after each, closes every official
 * client and stops it. The returned object always refers to the current test's endpoint.
 */
export function useTestEndpoint(): TestEndpoint {
  let current: TestEndpoint | undefined;
  beforeEach(async () => {
    current = await startTestEndpoint();
  });
  afterEach(async () => {
    await closeAllClients();
    await current?.stop();
    current = undefined;
  });
  const get = (): TestEndpoint => {
    if (current === undefined) throw new Error("useTestEndpoint(): the endpoint exists only while a test runs");
    return current;
  };
  return {
    get endpoint() {
      return get().endpoint;
    },
    get httpUrl() {
      return get().httpUrl;
    },
    get socketUrl() {
      return get().socketUrl;
    },
    get websocketUrl() {
      return get().websocketUrl;
    },
    stop: () => get().stop(),
  };
}

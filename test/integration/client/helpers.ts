/**
 * Helpers of the fenix-client tests: sockets on a virtual clock (their heartbeats, timeouts and backoffs
 * move only when a test advances {@link clock}; the network stays real), a registry that closes every
 * socket and channel after each test (so no timer or connection outlives it), and small waiting tools.
 */
import { afterEach } from "vitest";
import { Socket, type Channel, type EventMap, type JoinParamsOf, type SocketOptions, type UntypedEvents } from "../../../src/client/index.js";
import { VirtualClock } from "../../../src/index.js";

/** The reconnect and rejoin backoff of test sockets, in (virtual) ms. */
export const BACKOFF_MS = 20;

/** Short backoffs; pushes and joins time out after 2 s (of the virtual clock). */
export const FAST: SocketOptions = { reconnectAfterMs: () => BACKOFF_MS, rejoinAfterMs: () => BACKOFF_MS, timeoutMs: 2_000 };

/**
 * The clock of the sockets made by {@link createSocket} and {@link connectSocket}: a new one for each test
 * (replaced by {@link closeAll}).
 */
export let clock = new VirtualClock();

/** How long a wait for something that should happen gives up after, in ms. */
export const WAIT_MS = 3_000;

const sockets = new Set<Socket>();
const channels = new Set<Channel<EventMap>>();

/** Creates a tracked socket with {@link FAST} options on {@link clock} (not connected). */
export function createSocket(url: string, options: SocketOptions = {}): Socket {
  const socket = new Socket(url, { ...FAST, clock, ...options });
  sockets.add(socket);
  return socket;
}

/** Creates a tracked socket, connects it, and resolves once it is open. */
export async function connectSocket(url: string, options: SocketOptions = {}): Promise<Socket> {
  const socket = createSocket(url, options);
  const open = nextOpen(socket);
  socket.connect();
  await open;
  return socket;
}

/** Creates a tracked channel. */
export function channel<E extends EventMap = UntypedEvents>(socket: Socket, topic: string, params?: JoinParamsOf<E>): Channel<E> {
  const ch = socket.channel<E>(topic, params);
  channels.add(ch as unknown as Channel<EventMap>);
  return ch;
}

/** Resolves at the socket's next open. */
export function nextOpen(socket: Socket, ms = WAIT_MS): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const off = socket.onOpen(() => {
        off();
        resolve();
      });
    }),
    ms,
    "the socket did not open",
  );
}

/** Resolves at the channel's next successful (re)join. */
export function nextJoin(ch: Channel<EventMap> | Channel, ms = WAIT_MS): Promise<unknown> {
  return withTimeout(
    new Promise<unknown>((resolve) => {
      const off = (ch as Channel).onJoin((response) => {
        off();
        resolve(response);
      });
    }),
    ms,
    `"${ch.topic}" did not rejoin`,
  );
}

/** Rejects with `message` if `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` is true (polled every 5 ms); rejects after `ms`. */
export async function until(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`expected ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until a client timer falls due within {@link BACKOFF_MS} (the reconnect timer once the socket saw
 * its connection drop, or a channel's rejoin timer), then moves {@link clock} past it.
 */
export async function advanceBackoff(what = "a reconnect or rejoin to be scheduled"): Promise<void> {
  await until(() => (clock.nextDue() ?? Infinity) <= clock.now() + BACKOFF_MS, what);
  clock.advance(BACKOFF_MS);
}

/** Resolves after the host ran its pending tasks (I/O callbacks included): no sleeping. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Collects values passed to a callback. */
export class Recorder<T> {
  readonly values: T[] = [];
  readonly record = (value: T): void => {
    this.values.push(value);
  };
  async waitFor(count: number, ms = WAIT_MS): Promise<T[]> {
    await until(() => this.values.length >= count, `${count} values (got ${this.values.length})`, ms);
    return this.values;
  }
}

/**
 * Disconnects every tracked socket, then closes every tracked channel (at once, as they are offline), and
 * gives the next test a fresh {@link clock}. A transport that does not report its close in time is given up
 * on by moving the clock past the sockets' close timeout.
 */
export async function closeAll(): Promise<void> {
  const all = [...sockets];
  sockets.clear();
  const closed = Promise.all(all.map((socket) => socket.disconnect()));
  let done = false;
  void closed.then(() => (done = true));
  await until(() => done, "the sockets to close", 1_000).catch(() => clock.advance(FAST.timeoutMs!));
  await closed;
  const open = [...channels];
  channels.clear();
  await Promise.all(open.map((ch) => ch.leave()));
  clock = new VirtualClock();
}

/** Registers {@link closeAll} after each test of the calling file. */
export function useClientCleanup(): void {
  afterEach(closeAll);
}

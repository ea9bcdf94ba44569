/**
 * Helpers of the fenix-client tests: sockets with millisecond backoffs, a registry that closes every
 * socket and channel after each test (so no timer or connection outlives it), and small waiting tools.
 */
import { afterEach } from "vitest";
import { Socket, type Channel, type ChannelParams, type EventMap, type SocketOptions, type UntypedEvents } from "../../../src/client/index.js";

/** Backoffs short enough for tests; pushes and joins time out after 2 s. */
export const FAST: SocketOptions = { reconnectAfterMs: () => 20, rejoinAfterMs: () => 20, timeoutMs: 2_000 };

/** How long a wait for something that should happen gives up after, in ms. */
export const WAIT_MS = 3_000;

const sockets = new Set<Socket>();
const channels = new Set<Channel<EventMap>>();

/** Creates a tracked socket with {@link FAST} options (not connected). */
export function createSocket(url: string, options: SocketOptions = {}): Socket {
  const socket = new Socket(url, { ...FAST, ...options });
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
export function channel<E extends EventMap = UntypedEvents>(socket: Socket, topic: string, params?: ChannelParams): Channel<E> {
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

/** Disconnects every tracked socket, then closes every tracked channel (at once, as they are offline). */
export async function closeAll(): Promise<void> {
  const all = [...sockets];
  sockets.clear();
  await Promise.all(all.map((socket) => socket.disconnect()));
  const open = [...channels];
  channels.clear();
  await Promise.all(open.map((ch) => ch.leave()));
}

/** Registers {@link closeAll} after each test of the calling file. */
export function useClientCleanup(): void {
  afterEach(closeAll);
}

/**
 * The client socket: one connection to a Fenix (or Phoenix) endpoint over a transport, kept alive with
 * heartbeats, reconnected on the official client's backoff, optionally falling back from WebSocket to
 * LongPoll, and shared by the channels it creates.
 */
import { REFUSED_CLOSE_CODE, Reserved } from "../protocol/reserved.js";
import { Channel, type ChannelHost, type ChannelLink, type ChannelParams, type JoinParamsOf } from "./channel.js";
import { systemClock, type ClientClock, type ClientTimerHandle } from "./clock.js";
import { decodeMessage, encodeMessage, type ClientMessage, type OutgoingMessage } from "./codec.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import type { EventMap, UntypedEvents } from "./events.js";
import { longPollTransport } from "./longpoll-transport.js";
import { FallbackMemory, type StorageLike } from "./fallback-memory.js";
import type { ClientTransport, TransportClose, TransportFactory } from "./transport.js";
import { webSocketTransport } from "./websocket-transport.js";
import { emit, subscribe, type Listener } from "./listeners.js";

/** The state of a socket. `"connecting"` also covers the wait before a reconnect. */
export type SocketState = "connecting" | "open" | "closing" | "closed";

/** Connect params: an object (nested objects and arrays use bracket syntax), or a function re-read on every connect. */
export type SocketParams = { readonly [key: string]: unknown } | (() => { readonly [key: string]: unknown });

/** Options of {@link Socket}. */
export interface SocketOptions {
  /** Connect params, sent in the query string. A function is called again for every connection attempt. */
  readonly params?: SocketParams;
  /** A token sent in the handshake (WebSocket subprotocol, LongPoll header) instead of the query; a function is re-read on every connect. */
  readonly authToken?: string | (() => string | undefined);
  /** Default timeout of joins, pushes and leaves, in ms. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** Period of heartbeats, and how long a heartbeat waits for its reply, in ms. @defaultValue 30000 */
  readonly heartbeatIntervalMs?: number;
  /** Delay before reconnect attempt `tries` (1, 2, …). @defaultValue 10, 50, 100, 150, 200, 250, 500, 1000, 2000, then 5000 ms */
  readonly reconnectAfterMs?: (tries: number) => number;
  /**
   * What to do when the server's `connect` refuses the connection with a reason
   * (`FENIX_ERR_CLIENT_CONNECT_REFUSED`): `null` stops reconnecting until the next `connect()`; a function
   * gives the delay before reconnect attempt `tries` (1, 2, …) after a refusal, to retry on a slower backoff.
   * @defaultValue null (stop)
   */
  readonly reconnectAfterRefusalMs?: ((tries: number) => number) | null;
  /** Delay before channel rejoin attempt `tries` (1, 2, …). @defaultValue 1000, 2000, 5000, then 10000 ms */
  readonly rejoinAfterMs?: (tries: number) => number;
  /** The transport. @defaultValue {@link webSocketTransport} */
  readonly transport?: TransportFactory;
  /**
   * If set, how long to try the primary transport (WebSocket) before falling back to LongPoll for the rest
   * of the session; an error before it opens falls back at once. Off by default.
   */
  readonly longPollFallbackMs?: number;
  /** The transport to fall back to. @defaultValue longPollTransport */
  readonly fallbackTransport?: TransportFactory;
  /** Where the fallback is remembered. @defaultValue `globalThis.sessionStorage` when present, else memory shared by the process */
  readonly sessionStorage?: StorageLike;
  /** Request timeout of the LongPoll transport, in ms. @defaultValue 20000 */
  readonly longPollTimeoutMs?: number;
  /**
   * The source of time of the socket, its channels, their pushes and its transports: heartbeats, push,
   * join and leave timeouts, rejoin and reconnect backoff, the LongPoll fallback and request timeouts.
   *
   * @remarks
   * Any object with `now()`, `setTimeout(fn, ms)` and `clearTimeout(handle)` ({@link ClientClock}). Tests
   * pass a virtual clock (the server's `VirtualClock` fits) and move time with it instead of sleeping;
   * network I/O is not affected.
   *
   * @defaultValue {@link systemClock}: `Date.now` and the global timers
   *
   * @example
   * ```ts
   * const clock = new VirtualClock();
   * const socket = new Socket("ws://localhost:4000/socket", { clock, heartbeatIntervalMs: 1000 });
   * socket.connect();
   * // … once open:
   * clock.advance(1000); // the first heartbeat goes out now
   * ```
   */
  readonly clock?: ClientClock;
}

/** The protocol version this client speaks. */
export const VSN = "2.0.0";

const RECONNECT_STEPS = [10, 50, 100, 150, 200, 250, 500, 1000, 2000];
const REJOIN_STEPS = [1000, 2000, 5000];

/** The official client's reconnect backoff: 10, 50, 100, 150, 200, 250, 500, 1000, 2000, then 5000 ms. */
export function defaultReconnectAfterMs(tries: number): number {
  return RECONNECT_STEPS[tries - 1] ?? 5000;
}

/** The official client's rejoin backoff: 1000, 2000, 5000, then 10000 ms. */
export function defaultRejoinAfterMs(tries: number): number {
  return REJOIN_STEPS[tries - 1] ?? 10_000;
}

/**
 * Serializes connect params as the official client does: `k=v` pairs, nested objects as `a[b]=v`, arrays
 * as `a[0]=x`; null and undefined values are skipped.
 */
export function serializeParams(params: { readonly [key: string]: unknown }, prefix?: string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = prefix === undefined ? key : `${prefix}[${key}]`;
    if (typeof value === "object") {
      const nested = serializeParams(value as { readonly [key: string]: unknown }, name);
      if (nested !== "") parts.push(nested);
    } else {
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.join("&");
}

/** Turns the endpoint into an absolute ws(s) URL, or throws BAD_ARGUMENT. */
function absoluteEndpoint(endpoint: string): string {
  if (typeof endpoint !== "string" || endpoint === "") {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `The endpoint must be a URL such as "wss://example.com/socket", received ${JSON.stringify(endpoint)}.`);
  }
  const trimmed = endpoint.replace(/\/+$/, "");
  if (/^wss?:\/\//i.test(trimmed)) return trimmed;
  if (/^https?:\/\//i.test(trimmed)) return trimmed.replace(/^http/i, "ws");
  const location = (globalThis as { location?: { protocol: string; host: string } }).location;
  if (location !== undefined && trimmed.startsWith("/")) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return trimmed.startsWith("//") ? `${scheme}${trimmed}` : `${scheme}//${location.host}${trimmed}`;
  }
  throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `The endpoint "${endpoint}" must be an absolute ws://, wss://, http:// or https:// URL (relative URLs need a page location).`);
}

/** The `clock` option checked: an object with `now`, `setTimeout` and `clearTimeout` functions. */
function clientClock(clock: ClientClock | undefined): ClientClock {
  if (clock === undefined) return systemClock;
  const c = clock as Partial<Record<keyof ClientClock, unknown>> | null;
  for (const method of ["now", "setTimeout", "clearTimeout"] as const) {
    if (typeof c?.[method] !== "function") throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `Socket option clock has no ${method}() method.`);
  }
  return clock;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `Socket option ${name} must be a positive number of ms, received ${String(value)}.`);
  }
  return value;
}

/**
 * A connection to an endpoint, shared by its channels.
 *
 * @remarks
 * `connect()` opens it and keeps it open: after a close it did not ask for, it reconnects on the
 * `reconnectAfterMs` backoff, and channels rejoin. Failures are reported to `onError` callbacks as a
 * {@link ClientError} `TRANSPORT_ERROR`; a refused handshake looks like any network failure (the browser
 * hides the HTTP status), so the socket keeps retrying. Pushes made while offline wait in their channel
 * and are sent once it has rejoined.
 *
 * @example
 * ```ts
 * const socket = new Socket("wss://example.com/socket", { params: () => ({ token: currentToken() }) });
 * socket.connect();
 * const room = socket.channel("room:lobby");
 * await room.join();
 * ```
 */
export class Socket {
  /** The endpoint as an absolute `ws(s)://…/socket` URL. */
  readonly endpoint: string;
  /** The protocol version sent as `vsn` (only V2 is spoken). */
  readonly vsn = VSN;
  readonly #params: SocketParams;
  readonly #authToken: string | (() => string | undefined) | undefined;
  readonly #timeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #reconnectAfterMs: (tries: number) => number;
  readonly #rejoinAfterMs: (tries: number) => number;
  readonly #primary: TransportFactory;
  readonly #fallback: TransportFactory;
  readonly #fallbackMs: number | undefined;
  readonly #memory: FallbackMemory;
  readonly #longPollTimeoutMs: number;
  readonly #clock: ClientClock;
  readonly #channels = new Set<ChannelLink>();
  readonly #host: ChannelHost;
  #state: SocketState = "closed";
  #wantConnected = false;
  #transport: ClientTransport | undefined;
  #open = false;
  #ref = 0;
  #reconnectTimer: ClientTimerHandle | undefined;
  #reconnectTries = 0;
  #heartbeatTimer: ClientTimerHandle | undefined;
  #pendingHeartbeat: string | null = null;
  /** Set once the session fell back to LongPoll: every later connection uses it. */
  #fellBack = false;
  /** Whether the current attempt is a primary one that may still fall back. */
  #fallbackArmed = false;
  #fallbackTimer: ClientTimerHandle | undefined;
  #healthPing: string | null = null;
  #primaryHealthy = false;
  #closeWaiters: (() => void)[] = [];
  #closeTimer: ClientTimerHandle | undefined;
  readonly #onOpen = new Set<Listener<[]>>();
  readonly #onClose = new Set<Listener<[TransportClose]>>();
  readonly #onError = new Set<Listener<[ClientError]>>();
  readonly #reconnectAfterRefusalMs: ((tries: number) => number) | null;
  /** The refusal that stopped the socket (until the next `connect()`): joins meanwhile reject with it. */
  #refusal: ClientError | null = null;
  /** Refusals in a row, for `reconnectAfterRefusalMs`. */
  #refusalTries = 0;
  readonly #onMessage = new Set<Listener<[ClientMessage]>>();

  /**
   * @param endpoint - the socket's mount as a URL: `"wss://example.com/socket"` (`http(s)://` is taken as
   * `ws(s)://`; a path such as `"/socket"` works in browsers). `/websocket` and the query are appended.
   * @throws {@link ClientError} `BAD_ARGUMENT` for a bad endpoint or option.
   */
  constructor(endpoint: string, options: SocketOptions = {}) {
    this.endpoint = absoluteEndpoint(endpoint);
    this.#params = options.params ?? {};
    this.#authToken = options.authToken;
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs, 10_000);
    this.#heartbeatIntervalMs = positive("heartbeatIntervalMs", options.heartbeatIntervalMs, 30_000);
    this.#longPollTimeoutMs = positive("longPollTimeoutMs", options.longPollTimeoutMs, 20_000);
    this.#fallbackMs = options.longPollFallbackMs === undefined ? undefined : positive("longPollFallbackMs", options.longPollFallbackMs, 0);
    this.#reconnectAfterMs = options.reconnectAfterMs ?? defaultReconnectAfterMs;
    this.#rejoinAfterMs = options.rejoinAfterMs ?? defaultRejoinAfterMs;
    this.#reconnectAfterRefusalMs = options.reconnectAfterRefusalMs ?? null;
    this.#primary = options.transport ?? webSocketTransport;
    this.#fallback = options.fallbackTransport ?? longPollTransport;
    this.#memory = new FallbackMemory(options.sessionStorage);
    this.#clock = clientClock(options.clock);
    this.#host = {
      timeoutMs: this.#timeoutMs,
      clock: this.#clock,
      rejoinAfterMs: (tries) => this.#rejoinAfterMs(tries),
      isConnected: () => this.#open,
      refusal: () => this.#refusal,
      makeRef: () => this.#makeRef(),
      send: (message) => this.#send(message),
      register: (link) => {
        for (const other of [...this.#channels]) if (other !== link && other.topic === link.topic) other.displaced();
        this.#channels.add(link);
      },
      unregister: (link) => {
        this.#channels.delete(link);
      },
    };
  }

  /** The socket's state. */
  get state(): SocketState {
    return this.#state;
  }

  /** Whether the transport is open. */
  isConnected(): boolean {
    return this.#open;
  }

  /** The kind of the current transport, or undefined when there is none. */
  get transportKind(): ClientTransport["kind"] | undefined {
    return this.#transport?.kind;
  }

  /** Opens the connection and keeps it open (reconnecting on the backoff) until {@link Socket.disconnect}. Does nothing if already connecting or open. */
  connect(): void {
    if (this.#wantConnected) return;
    this.#wantConnected = true;
    this.#refusal = null;
    this.#reconnectTries = 0;
    this.#openTransport();
  }

  /**
   * Closes the connection and stops reconnecting. Channels stay as they are (errored) and rejoin on the next
   * `connect()`; pushes that waited for a reply reject with `DISCONNECTED`. Resolves once the transport has closed.
   */
  disconnect(code = 1000, reason = ""): Promise<void> {
    this.#wantConnected = false;
    this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const transport = this.#transport;
    if (transport === undefined) {
      this.#state = "closed";
      return Promise.resolve();
    }
    this.#state = "closing";
    this.#stopTimers();
    return new Promise<void>((resolve) => {
      this.#closeWaiters.push(resolve);
      // A transport that never reports its close (a dead peer) is given up on after the default timeout.
      this.#closeTimer ??= this.#clock.setTimeout(() => {
        if (this.#transport === transport) this.#abandon(transport, { code, reason, wasClean: false });
      }, this.#timeoutMs);
      transport.close(code, reason);
    });
  }

  /**
   * Creates a channel on `topic`; `params` (or the function, called on every join) is the join payload.
   * Declare the event map as `E` for typed pushes and events.
   */
  channel<E extends EventMap = UntypedEvents>(topic: string, params?: JoinParamsOf<E>): Channel<E> {
    // The params travel as they are; a contract only types them.
    return new Channel<E>(this.#host, topic, params as ChannelParams | undefined);
  }

  /** Calls `callback` every time the transport opens. Returns an unsubscribe function. */
  onOpen(callback: () => void): () => void {
    return subscribe(this.#onOpen, callback);
  }

  /** Calls `callback` every time a transport closes (including failed attempts), with its close code. Returns an unsubscribe function. */
  onClose(callback: (event: TransportClose) => void): () => void {
    return subscribe(this.#onClose, callback);
  }

  /** Calls `callback` when a transport fails (`TRANSPORT_ERROR`, with the transport's error as `cause`). Returns an unsubscribe function. */
  onError(callback: (error: ClientError) => void): () => void {
    return subscribe(this.#onError, callback);
  }

  /** Calls `callback` with every message received, on any topic. Returns an unsubscribe function. */
  onMessage(callback: (message: ClientMessage) => void): () => void {
    return subscribe(this.#onMessage, callback);
  }

  #makeRef(): string {
    this.#ref += 1;
    return String(this.#ref);
  }

  #url(): string {
    const params = typeof this.#params === "function" ? this.#params() : this.#params;
    const query = serializeParams(params);
    return `${this.endpoint}/websocket?${query === "" ? "" : `${query}&`}vsn=${VSN}`;
  }

  #chooseFactory(): TransportFactory {
    this.#fallbackArmed = false;
    if (this.#fellBack) return this.#fallback;
    if (this.#fallbackMs !== undefined && this.#primary !== this.#fallback) {
      if (this.#memory.remembered()) {
        this.#fellBack = true;
        return this.#fallback;
      }
      this.#fallbackArmed = !this.#primaryHealthy;
    }
    return this.#primary;
  }

  #openTransport(): void {
    this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#state = "connecting";
    const factory = this.#chooseFactory();
    let transport: ClientTransport;
    try {
      const token = typeof this.#authToken === "function" ? this.#authToken() : this.#authToken;
      transport = factory({ url: this.#url(), ...(token === undefined ? {} : { authToken: token }), timeoutMs: this.#longPollTimeoutMs, clock: this.#clock });
    } catch (error) {
      this.#report(error);
      this.#scheduleReconnect();
      return;
    }
    this.#transport = transport;
    this.#open = false;
    transport.onopen = () => {
      if (this.#transport === transport) this.#opened(transport);
    };
    transport.onmessage = (data) => {
      if (this.#transport === transport) this.#received(data);
    };
    transport.onerror = (error) => {
      if (this.#transport !== transport) return;
      this.#report(error);
      if (this.#fallbackArmed && !this.#open) this.#fallBack(transport);
    };
    transport.onclose = (event) => {
      if (this.#transport === transport) this.#closed(event);
    };
    if (this.#fallbackArmed) this.#startFallbackTimer(transport);
  }

  #opened(transport: ClientTransport): void {
    this.#open = true;
    this.#state = this.#wantConnected ? "open" : "closing";
    this.#reconnectTries = 0;
    if (this.#fellBack && !this.#primaryHealthy) this.#memory.remember();
    if (this.#fallbackArmed) {
      // Open is not enough: the WebSocket must answer a heartbeat before the fallback timer fires.
      this.#startFallbackTimer(transport);
      this.#healthPing = this.#makeRef();
      this.#send({ joinRef: null, ref: this.#healthPing, topic: Reserved.PHOENIX_TOPIC, event: Reserved.HEARTBEAT, payload: {} });
    }
    if (transport.kind !== "longpoll") this.#startHeartbeat(transport);
    emit(this.#onOpen);
    for (const link of [...this.#channels]) link.socketOpened();
  }

  #received(data: string | ArrayBuffer): void {
    // A refused WebSocket opens and closes without a message: only a served connection resets the refusals.
    this.#refusalTries = 0;
    const message = decodeMessage(data);
    if (message === undefined) return;
    const { ref } = message;
    if (ref !== null && message.topic === Reserved.PHOENIX_TOPIC) {
      if (ref === this.#pendingHeartbeat) this.#pendingHeartbeat = null;
      if (ref === this.#healthPing) {
        this.#healthPing = null;
        this.#primaryHealthy = true;
        this.#fallbackArmed = false;
        this.#clock.clearTimeout(this.#fallbackTimer);
        this.#fallbackTimer = undefined;
      }
    }
    emit(this.#onMessage, message);
    for (const link of [...this.#channels]) {
      if (link.topic !== message.topic) continue;
      if (message.joinRef !== null && message.joinRef !== link.joinRef) continue;
      link.handle(message);
    }
  }

  #closed(event: TransportClose): void {
    this.#transport = undefined;
    this.#lost(event);
  }

  /** Drops a transport without waiting for its close (heartbeat timeout, fallback, dead peer). */
  #abandon(transport: ClientTransport, event: TransportClose): void {
    this.#transport = undefined;
    detach(transport, event.code, event.reason);
    this.#lost(event);
  }

  #lost(event: TransportClose): void {
    this.#open = false;
    this.#stopTimers();
    if (event.code === REFUSED_CLOSE_CODE) {
      this.#refused(event);
      return;
    }
    for (const link of [...this.#channels]) link.connectionLost();
    emit(this.#onClose, event);
    if (this.#wantConnected) {
      this.#scheduleReconnect();
      return;
    }
    this.#closedForGood();
  }

  /** The server's `connect` refused with a reason: reported as such, and reconnecting stops (or backs off as configured). */
  #refused(event: TransportClose): void {
    const error = new ClientError(ClientErrorCode.CONNECT_REFUSED, `${this.endpoint} refused the connection: ${event.reason}`, {
      response: { reason: event.reason },
    });
    for (const link of [...this.#channels]) link.socketRefused(error);
    emit(this.#onClose, event);
    this.#report(error);
    const retry = this.#reconnectAfterRefusalMs;
    if (this.#wantConnected && retry !== null) {
      this.#refusalTries += 1;
      this.#reconnectIn(retry(this.#refusalTries));
      return;
    }
    this.#wantConnected = false;
    this.#refusal = error;
    this.#closedForGood();
  }

  #closedForGood(): void {
    this.#state = "closed";
    this.#clock.clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #scheduleReconnect(): void {
    if (!this.#wantConnected) {
      this.#state = "closed";
      return;
    }
    this.#reconnectTries += 1;
    this.#reconnectIn(this.#reconnectAfterMs(this.#reconnectTries));
  }

  /** Opens a new transport after `ms`, unless disconnected or connected meanwhile. */
  #reconnectIn(ms: number): void {
    this.#state = "connecting";
    this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#wantConnected && this.#transport === undefined) this.#openTransport();
    }, ms);
  }

  #startFallbackTimer(transport: ClientTransport): void {
    this.#clock.clearTimeout(this.#fallbackTimer);
    this.#fallbackTimer = this.#clock.setTimeout(() => {
      this.#fallbackTimer = undefined;
      if (this.#transport === transport && this.#fallbackArmed) this.#fallBack(transport);
    }, this.#fallbackMs ?? 0);
  }

  /** Gives up on the primary transport for the rest of the session and connects with the fallback at once. */
  #fallBack(transport: ClientTransport): void {
    this.#clock.clearTimeout(this.#fallbackTimer);
    this.#fallbackTimer = undefined;
    this.#fellBack = true;
    this.#fallbackArmed = false;
    const wasOpen = this.#open;
    this.#transport = undefined;
    detach(transport, 1000, "falling back to longpoll");
    this.#open = false;
    this.#stopTimers();
    if (wasOpen) {
      for (const link of [...this.#channels]) link.connectionLost();
      emit(this.#onClose, { code: 1000, reason: "falling back to longpoll", wasClean: true });
    }
    if (this.#wantConnected) this.#openTransport();
  }

  #startHeartbeat(transport: ClientTransport): void {
    this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#pendingHeartbeat = null;
    const tick = (): void => {
      if (this.#transport !== transport) return;
      if (this.#pendingHeartbeat !== null) {
        this.#pendingHeartbeat = null;
        this.#report(new Error("no reply to the heartbeat"), ClientErrorCode.TRANSPORT_ERROR);
        this.#abandon(transport, { code: 1000, reason: "heartbeat timeout", wasClean: false });
        return;
      }
      this.#pendingHeartbeat = this.#makeRef();
      this.#send({ joinRef: null, ref: this.#pendingHeartbeat, topic: Reserved.PHOENIX_TOPIC, event: Reserved.HEARTBEAT, payload: {} });
      this.#heartbeatTimer = this.#clock.setTimeout(tick, this.#heartbeatIntervalMs);
    };
    this.#heartbeatTimer = this.#clock.setTimeout(tick, this.#heartbeatIntervalMs);
  }

  #stopTimers(): void {
    this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#clock.clearTimeout(this.#fallbackTimer);
    this.#heartbeatTimer = undefined;
    this.#fallbackTimer = undefined;
    this.#pendingHeartbeat = null;
    this.#healthPing = null;
  }

  #send(message: OutgoingMessage): void {
    const transport = this.#transport;
    if (transport === undefined || !this.#open) return;
    let frame: string | Uint8Array;
    try {
      frame = encodeMessage(message);
    } catch (error) {
      this.#report(error, ClientErrorCode.BAD_ARGUMENT);
      return;
    }
    transport.send(frame);
  }

  #report(error: unknown, code: ClientErrorCode = ClientErrorCode.TRANSPORT_ERROR): void {
    if (this.#onError.size === 0) return;
    const clientError =
      error instanceof ClientError
        ? error
        : new ClientError(code, `${code === ClientErrorCode.TRANSPORT_ERROR ? "The connection to" : "A message for"} ${this.endpoint} failed: ${describe(error)}`, { cause: error });
    emit(this.#onError, clientError);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === "string" && message !== "") return message;
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === "string" ? `${type} event` : String(error);
}

/** Stops listening to a transport and closes it: nothing it reports afterwards reaches the socket. */
function detach(transport: ClientTransport, code: number, reason: string): void {
  const ignore = (): void => {};
  transport.onopen = ignore;
  transport.onmessage = ignore;
  transport.onerror = ignore;
  transport.onclose = ignore;
  transport.close(code, reason);
}

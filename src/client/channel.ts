/**
 * A client channel: one topic joined over a socket. It joins and rejoins (after a crash, a reconnect or a
 * join timeout, on the rejoin backoff), buffers pushes until it is joined, matches replies by ref, drops
 * frames of an old join, and hands received events to the callbacks registered with `on`.
 */
import type { JsonObject } from "../protocol/message.js";
import type { StreamPosition } from "../protocol/position.js";
import { Reserved } from "../protocol/reserved.js";
import type { ClientClock, ClientTimerHandle } from "./clock.js";
import type { ClientMessage, OutgoingMessage } from "./codec.js";
import { isBytes } from "./codec.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import type { EventMap, PushEvent, PushPayload, PushReply, ServerEvent, ServerEventPayload, ServerPayload, UntypedEvents } from "./events.js";
import { call, emit, subscribe, type Listener } from "./listeners.js";
import { OutgoingPush, type PushOptions } from "./push.js";
import { StreamRecovery, positionOf, type RecoverResult } from "./recovery.js";

/** The state of a channel. */
export type ChannelState = "closed" | "joining" | "joined" | "leaving" | "errored";

/** Join params: an object, or a function called again for every (re)join. */
export type ChannelParams = JsonObject | (() => JsonObject);

/** The response of an ok join reply: `E["join"]["reply"]` when the event map declares it. */
export type JoinReply<E extends EventMap> = E extends { join: { reply: infer R } } ? R : ServerPayload;

/** The join params of a channel of map `E`: the contract's `join.params` (or a function re-read on every join), else any object. */
export type JoinParamsOf<E extends EventMap> = E extends { join: { params: infer P } } ? P | (() => P) : ChannelParams;

/** What the socket offers its channels (internal). */
export interface ChannelHost {
  readonly timeoutMs: number;
  /** The socket's clock: every timer of the channel and its pushes. */
  readonly clock: ClientClock;
  rejoinAfterMs(tries: number): number;
  isConnected(): boolean;
  /** The refusal that stopped the socket, if it is stopped by one. */
  refusal(): ClientError | null;
  makeRef(): string;
  send(message: OutgoingMessage): void;
  register(link: ChannelLink): void;
  unregister(link: ChannelLink): void;
}

/** What the socket calls on a channel (internal). */
export interface ChannelLink {
  readonly topic: string;
  /** The ref of the current join, or null when none is on the wire. */
  readonly joinRef: string | null;
  /** A frame for this topic whose join ref is null or the current one. */
  handle(message: ClientMessage): void;
  socketOpened(): void;
  connectionLost(): void;
  /** The server refused the connection: joins and pushes waiting on it fail with `error`. */
  socketRefused(error: ClientError): void;
  /** Another channel object of the same topic is joining: this one leaves. */
  displaced(): void;
}

function rejected<T>(error: ClientError): Promise<T> {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  return promise;
}

function validTimeout(ms: number): boolean {
  return typeof ms === "number" && ms > 0 && Number.isFinite(ms);
}

/**
 * A channel on one topic, created by `socket.channel(topic, params)`.
 *
 * @remarks
 * Errors: every promise rejects with a {@link ClientError} (see its codes). A push whose promise nobody
 * awaits fails silently; to observe failures, await (or `.catch`) the promise, or listen with `onError` for
 * channel-level failures (crash, lost connection, refused or timed-out join).
 *
 * @typeParam E - the channel's event map ({@link EventMap}); untyped channels accept any event.
 *
 * @example
 * ```ts
 * const room = socket.channel<ChatEvents>("room:lobby", { user: "ana" });
 * await room.join();
 * room.on("new_msg", (msg) => console.log(msg.body));
 * await room.push("new_msg", { body: "hi" });
 * ```
 */
export class Channel<E extends EventMap = UntypedEvents> {
  /** The channel's topic. */
  readonly topic: string;
  readonly #host: ChannelHost;
  readonly #params: ChannelParams;
  readonly #link: ChannelLink;
  #state: ChannelState = "closed";
  #everJoined = false;
  #joinRef: string | null = null;
  #joinTimeoutMs: number;
  #joinTimer: ClientTimerHandle | undefined;
  #rejoinTimer: ClientTimerHandle | undefined;
  #rejoinTries = 0;
  #firstJoin: { resolve: (response: JoinReply<E>) => void; reject: (error: ClientError) => void } | undefined;
  #buffer: OutgoingPush<unknown>[] = [];
  readonly #inflight = new Map<string, OutgoingPush<unknown>>();
  /** Reply handlers of the join and leave pushes, by ref. */
  readonly #control = new Map<string, (status: string, response: unknown) => void>();
  readonly #bindings = new Map<number, { event: string; callback: (payload: never) => void }>();
  #nextBinding = 1;
  readonly #onJoin = new Set<Listener<[JoinReply<E>]>>();
  readonly #onClose = new Set<Listener<[]>>();
  readonly #onError = new Set<Listener<[ClientError]>>();
  readonly #onRecover = new Set<Listener<[RecoverResult]>>();
  readonly #recovery: StreamRecovery;

  /** @internal Use `socket.channel(topic, params)`. */
  constructor(host: ChannelHost, topic: string, params: ChannelParams = {}) {
    if (typeof topic !== "string" || topic === "") {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `A channel topic must be a non-empty string, received ${JSON.stringify(topic)}.`);
    }
    this.topic = topic;
    this.#host = host;
    this.#params = params;
    this.#joinTimeoutMs = host.timeoutMs;
    const joinRefOf = (): string | null => this.#joinRef;
    this.#link = {
      topic,
      get joinRef() {
        return joinRefOf();
      },
      handle: (message) => this.#handle(message),
      socketOpened: () => this.#socketOpened(),
      connectionLost: () => this.#connectionLost(),
      socketRefused: (error) => this.#socketRefused(error),
      displaced: () => void this.leave(),
    };
    this.#recovery = new StreamRecovery({
      clock: host.clock,
      timeoutMs: host.timeoutMs,
      canRecover: () => this.#state === "joined" && this.#joinRef !== null && this.#host.isConnected(),
      pushRecover: (payload, onReply) => this.#pushRecover(payload, onReply),
      report: (result) => emit(this.#onRecover, result),
    });
  }

  /** The channel's state. */
  get state(): ChannelState {
    return this.#state;
  }

  /**
   * On a history topic, the stream position of the last message delivered (or skipped for this client):
   * sent as `since` on every rejoin. Null before the first join reply, and on topics without history.
   */
  get position(): StreamPosition | null {
    return this.#recovery.position;
  }

  /**
   * On a history topic, whether the last join or gap recovery recovered every missed message (false: the
   * application must reload its state). Null before the first join reply, and on topics without history.
   */
  get recovered(): boolean | null {
    return this.#recovery.recovered;
  }

  /** The ref of the current join (the channel incarnation), or null when no join is on the wire. */
  joinRef(): string | null {
    return this.#joinRef;
  }

  /**
   * Joins the topic and resolves with the join reply's response.
   *
   * @remarks
   * Callable on a channel in state `"closed"` (new, left, or refused). Once joined, the channel rejoins by
   * itself after a server crash (`phx_error`), a reconnect, or a join timeout, on the rejoin backoff; each
   * successful rejoin calls the `onJoin` callbacks. A refused join closes the channel (no automatic retry).
   * On a history topic, every join once a {@link Channel.position} is known (rejoins, and `join()` after
   * `leave()`) adds it to the params as `since`, so the server sends what was missed (see `onRecover`).
   *
   * @param timeoutMs - how long each join attempt waits for its reply. @defaultValue the socket's `timeoutMs`
   * @returns the first attempt's outcome. Rejects with `JOIN_REFUSED` (with the server's `response`),
   * `JOIN_TIMEOUT` (the channel keeps retrying), `CHANNEL_CLOSED` (left meanwhile), `BAD_STATE` (already
   * joining or joined) or `BAD_ARGUMENT`.
   */
  join(timeoutMs: number = this.#host.timeoutMs): Promise<JoinReply<E>> {
    if (!validTimeout(timeoutMs)) {
      return rejected(new ClientError(ClientErrorCode.BAD_ARGUMENT, `join(timeoutMs) must be a positive number, received ${String(timeoutMs)}.`, { topic: this.topic }));
    }
    if (this.#state !== "closed") {
      return rejected(new ClientError(ClientErrorCode.BAD_STATE, `join() on "${this.topic}" while it is ${this.#state}; join once, or after leave().`, { topic: this.topic }));
    }
    const refusal = this.#host.refusal();
    if (refusal !== null) return rejected(this.#refusedError(refusal));
    this.#joinTimeoutMs = timeoutMs;
    this.#rejoinTries = 0;
    const promise = new Promise<JoinReply<E>>((resolve, reject) => {
      this.#firstJoin = { resolve, reject };
    });
    promise.catch(() => {});
    this.#host.register(this.#link);
    this.#attemptJoin();
    return promise;
  }

  /**
   * Pushes an event and resolves with the response of the server's `"ok"` reply.
   *
   * @remarks
   * Bytes (`ArrayBuffer` or `Uint8Array`) go as a binary frame; a binary reply resolves with a `Uint8Array`.
   * Until the channel is joined (first join, or rejoin after a disconnect) the push waits in the channel's
   * buffer and is sent once joined; its timeout runs from now. A push is sent at most once.
   *
   * @returns rejects with `PUSH_ERROR` (any other status; `status` and `response` hold the reply),
   * `PUSH_TIMEOUT`, `DISCONNECTED` (the connection dropped before the reply), `CHANNEL_ERRORED` (the server
   * channel crashed before the reply), `CHANNEL_CLOSED`, `BAD_STATE` (no `join()` yet) or `BAD_ARGUMENT`.
   */
  push<K extends PushEvent<E>>(event: K, payload: PushPayload<E, K>, options: PushOptions = {}): Promise<PushReply<E, K>> {
    const timeout = options.timeout ?? this.#host.timeoutMs;
    const details = { topic: this.topic, event };
    if (typeof event !== "string" || event === "") {
      return rejected(new ClientError(ClientErrorCode.BAD_ARGUMENT, `An event must be a non-empty string, received ${JSON.stringify(event)}.`, details));
    }
    const body = payload as unknown;
    if (!isBytes(body) && (typeof body !== "object" || body === null || Array.isArray(body))) {
      return rejected(new ClientError(ClientErrorCode.BAD_ARGUMENT, `The payload of "${event}" must be an object or bytes.`, details));
    }
    if (!validTimeout(timeout)) {
      return rejected(new ClientError(ClientErrorCode.BAD_ARGUMENT, `The push timeout must be a positive number, received ${String(timeout)}.`, details));
    }
    if (this.#state === "closed" && !this.#everJoinRequested()) {
      return rejected(new ClientError(ClientErrorCode.BAD_STATE, `push("${event}") on "${this.topic}" before join().`, details));
    }
    if (this.#state === "closed" || this.#state === "leaving") {
      return rejected(new ClientError(ClientErrorCode.CHANNEL_CLOSED, `push("${event}") on "${this.topic}", which is ${this.#state}.`, details));
    }
    const push = new OutgoingPush<unknown>(this.topic, event, body as JsonObject, timeout, this.#host.clock, (p) => this.#forget(p));
    if (this.#state === "joined" && this.#host.isConnected()) this.#send(push);
    else this.#buffer.push(push);
    return push.promise as Promise<PushReply<E, K>>;
  }

  /**
   * Calls `callback` with the payload of every `event` the server pushes or broadcasts on this topic.
   *
   * @returns a ref for {@link Channel.off}.
   */
  on<K extends ServerEvent<E>>(event: K, callback: (payload: ServerEventPayload<E, K>) => void): number {
    const ref = this.#nextBinding++;
    this.#bindings.set(ref, { event, callback: callback as (payload: never) => void });
    return ref;
  }

  /** Removes the callback registered by `on` under `ref`. */
  off(ref: number): void {
    this.#bindings.delete(ref);
  }

  /**
   * Leaves the topic. Resolves once the server acknowledged, or after `timeoutMs`, or at once when not
   * joined or not connected; never rejects. Buffered and unanswered pushes reject with `CHANNEL_CLOSED`.
   */
  leave(timeoutMs: number = this.#host.timeoutMs): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    this.#clearTimers();
    this.#failBuffer(ClientErrorCode.CHANNEL_CLOSED, "left");
    const joinRef = this.#joinRef;
    if (this.#state === "leaving" || joinRef === null || !this.#host.isConnected()) {
      this.#close();
      return Promise.resolve();
    }
    this.#state = "leaving";
    return new Promise<void>((resolve) => {
      const ref = this.#host.makeRef();
      const done = (): void => {
        this.#host.clock.clearTimeout(timer);
        this.#control.delete(ref);
        if (this.#state === "leaving") this.#close();
        resolve();
      };
      const timer = this.#host.clock.setTimeout(done, validTimeout(timeoutMs) ? timeoutMs : this.#host.timeoutMs);
      this.#control.set(ref, done);
      this.#leaveWaiter = done;
      this.#host.send({ joinRef, ref, topic: this.topic, event: Reserved.LEAVE, payload: {} });
    });
  }

  #leaveWaiter: (() => void) | undefined;

  /** Calls `callback` after every successful join and rejoin, with the join reply's response. Returns an unsubscribe function. */
  onJoin(callback: (response: JoinReply<E>) => void): () => void {
    return subscribe(this.#onJoin, callback);
  }

  /** Calls `callback` when the channel closes (left, closed by the server, or join refused). Returns an unsubscribe function. */
  onClose(callback: () => void): () => void {
    return subscribe(this.#onClose, callback);
  }

  /**
   * Calls `callback` when the channel fails: `CHANNEL_ERRORED` (the server channel crashed; it rejoins),
   * `DISCONNECTED` (the connection dropped; it rejoins once reconnected), `JOIN_TIMEOUT` (it retries),
   * `JOIN_REFUSED` (it closes). Returns an unsubscribe function.
   */
  onError(callback: (error: ClientError) => void): () => void {
    return subscribe(this.#onError, callback);
  }

  /**
   * Calls `callback` after every ok join reply on a history topic (`reason: "rejoin"`, the first join
   * included) and after every recovery of a gap (`reason: "gap"`). When `recovered` is false, messages were
   * lost for good: reload the state the channel feeds. Returns an unsubscribe function.
   */
  onRecover(callback: (result: RecoverResult) => void): () => void {
    return subscribe(this.#onRecover, callback);
  }

  #everJoinRequested(): boolean {
    return this.#everJoined;
  }

  #params$(): JsonObject {
    return typeof this.#params === "function" ? this.#params() : this.#params;
  }

  #attemptJoin(): void {
    this.#everJoined = true;
    this.#clearTimers();
    this.#state = "joining";
    this.#joinRef = null;
    if (this.#host.isConnected()) this.#sendJoin();
    const timeoutMs = this.#joinTimeoutMs;
    this.#joinTimer = this.#host.clock.setTimeout(() => this.#joinTimedOut(timeoutMs), timeoutMs);
  }

  #sendJoin(): void {
    const ref = this.#host.makeRef();
    this.#joinRef = ref;
    this.#control.set(ref, (status, response) => this.#joinReplied(ref, status, response));
    this.#host.send({ joinRef: ref, ref, topic: this.topic, event: Reserved.JOIN, payload: this.#recovery.joinPayload(this.#params$()) });
  }

  #joinReplied(ref: string, status: string, response: unknown): void {
    if (ref !== this.#joinRef || this.#state !== "joining") return;
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    if (status === "ok") {
      this.#state = "joined";
      this.#rejoinTries = 0;
      const recovery = this.#recovery.joined(response);
      const first = this.#firstJoin;
      this.#firstJoin = undefined;
      first?.resolve(response as JoinReply<E>);
      emit(this.#onJoin, response as JoinReply<E>);
      if (recovery !== null) emit(this.#onRecover, recovery);
      const buffered = this.#buffer;
      this.#buffer = [];
      for (const push of buffered) if (!push.settled) this.#send(push);
      return;
    }
    const error = new ClientError(ClientErrorCode.JOIN_REFUSED, `The server refused to join "${this.topic}" (status "${status}").`, {
      topic: this.topic,
      status,
      response,
    });
    this.#joinRef = null;
    this.#rejectFirstJoin(error);
    emit(this.#onError, error);
    this.#close();
  }

  #joinTimedOut(timeoutMs: number): void {
    this.#joinTimer = undefined;
    if (this.#state !== "joining") return;
    const joinRef = this.#joinRef;
    if (joinRef !== null) {
      this.#control.delete(joinRef);
      // Tell the server to drop the join in case it did complete.
      if (this.#host.isConnected()) {
        this.#host.send({ joinRef, ref: this.#host.makeRef(), topic: this.topic, event: Reserved.LEAVE, payload: {} });
      }
    }
    this.#joinRef = null;
    this.#state = "errored";
    const error = new ClientError(ClientErrorCode.JOIN_TIMEOUT, `No reply to the join of "${this.topic}" within ${timeoutMs} ms; retrying.`, {
      topic: this.topic,
    });
    this.#rejectFirstJoin(error);
    emit(this.#onError, error);
    this.#scheduleRejoin();
  }

  #scheduleRejoin(): void {
    this.#host.clock.clearTimeout(this.#rejoinTimer);
    this.#rejoinTimer = undefined;
    // Without a connection, the socket's next open rejoins at once.
    if (!this.#host.isConnected()) return;
    this.#rejoinTries += 1;
    this.#rejoinTimer = this.#host.clock.setTimeout(() => {
      this.#rejoinTimer = undefined;
      if (this.#state === "errored") this.#attemptJoin();
    }, this.#host.rejoinAfterMs(this.#rejoinTries));
  }

  #handle(message: ClientMessage): void {
    const { event, ref } = message;
    if (event === Reserved.REPLY) {
      if (ref === null) return;
      const payload = message.payload as { status?: unknown; response?: unknown };
      const status = typeof payload.status === "string" ? payload.status : "error";
      const control = this.#control.get(ref);
      if (control !== undefined) {
        this.#control.delete(ref);
        control(status, payload.response ?? {});
        return;
      }
      const push = this.#inflight.get(ref);
      if (push !== undefined) {
        this.#inflight.delete(ref);
        push.reply(status, payload.response ?? {});
      }
      return;
    }
    if (event === Reserved.ERROR || event === Reserved.CLOSE) {
      // Only the current incarnation's own notice counts.
      if (message.joinRef === null || message.joinRef !== this.#joinRef) return;
      if (event === Reserved.CLOSE) {
        this.#close();
        return;
      }
      if (this.#state !== "joined" && this.#state !== "joining") return;
      this.#host.clock.clearTimeout(this.#joinTimer);
      this.#joinTimer = undefined;
      this.#recovery.cancel();
      this.#joinRef = null;
      this.#state = "errored";
      const error = new ClientError(ClientErrorCode.CHANNEL_ERRORED, `The channel "${this.topic}" crashed on the server; rejoining.`, {
        topic: this.topic,
        response: message.payload,
      });
      this.#failInflight(ClientErrorCode.CHANNEL_ERRORED, "crashed on the server");
      emit(this.#onError, error);
      this.#scheduleRejoin();
      return;
    }
    const position = positionOf(message);
    // A positioned message is delivered once, in offset order; a marker only moves the position.
    if (position !== null && !this.#recovery.accept(position)) return;
    if (event === Reserved.POSITION) return;
    for (const { event: bound, callback } of [...this.#bindings.values()]) {
      if (bound === event) call(callback as (payload: unknown) => void, message.payload);
    }
  }

  /** Sends `fenix_recover` on the current join; the reply goes to `onReply` as soon as it is read. */
  #pushRecover(payload: JsonObject, onReply: (status: string, response: unknown) => void): () => void {
    const ref = this.#host.makeRef();
    this.#control.set(ref, onReply);
    this.#host.send({ joinRef: this.#joinRef, ref, topic: this.topic, event: Reserved.RECOVER, payload });
    return () => {
      this.#control.delete(ref);
    };
  }

  #socketOpened(): void {
    if (this.#state === "errored" || (this.#state === "joining" && this.#joinRef === null)) this.#attemptJoin();
  }

  /** The socket was refused: a join waiting for it fails now (not with a later timeout), and so do pushes. */
  #socketRefused(refusal: ClientError): void {
    if (this.#state !== "joining" && this.#state !== "errored" && this.#state !== "joined") return;
    this.#clearTimers();
    if (this.#joinRef !== null) this.#control.delete(this.#joinRef);
    this.#joinRef = null;
    this.#state = "errored";
    const error = this.#refusedError(refusal);
    this.#rejectFirstJoin(error);
    this.#failInflight(ClientErrorCode.CONNECT_REFUSED, "had its connection refused");
    for (const push of this.#buffer.splice(0)) push.fail(error);
    emit(this.#onError, error);
  }

  #refusedError(refusal: ClientError): ClientError {
    return new ClientError(ClientErrorCode.CONNECT_REFUSED, `"${this.topic}" cannot join: ${refusal.message}`, { topic: this.topic, response: refusal.response });
  }

  #connectionLost(): void {
    if (this.#state === "leaving") {
      this.#leaveWaiter?.();
      return;
    }
    if (this.#state !== "joined" && this.#state !== "joining" && this.#state !== "errored") return;
    this.#host.clock.clearTimeout(this.#rejoinTimer);
    this.#rejoinTimer = undefined;
    this.#recovery.cancel();
    const wasActive = this.#state !== "errored";
    if (this.#joinRef !== null) this.#control.delete(this.#joinRef);
    this.#joinRef = null;
    if (this.#state === "joined") this.#state = "errored";
    this.#failInflight(ClientErrorCode.DISCONNECTED, "lost its connection");
    if (wasActive) {
      emit(this.#onError, new ClientError(ClientErrorCode.DISCONNECTED, `The connection of "${this.topic}" was lost; it rejoins once reconnected.`, { topic: this.topic }));
    }
  }

  #rejectFirstJoin(error: ClientError): void {
    const first = this.#firstJoin;
    this.#firstJoin = undefined;
    first?.reject(error);
  }

  #close(): void {
    const wasClosed = this.#state === "closed";
    this.#clearTimers();
    this.#state = "closed";
    this.#joinRef = null;
    this.#leaveWaiter = undefined;
    this.#control.clear();
    this.#rejectFirstJoin(new ClientError(ClientErrorCode.CHANNEL_CLOSED, `The channel "${this.topic}" closed before it was joined.`, { topic: this.topic }));
    this.#failBuffer(ClientErrorCode.CHANNEL_CLOSED, "closed");
    this.#failInflight(ClientErrorCode.CHANNEL_CLOSED, "closed");
    this.#host.unregister(this.#link);
    if (!wasClosed) emit(this.#onClose);
  }

  #send(push: OutgoingPush<unknown>): void {
    const ref = this.#host.makeRef();
    push.ref = ref;
    this.#inflight.set(ref, push);
    this.#host.send({ joinRef: this.#joinRef, ref, topic: this.topic, event: push.event, payload: push.payload });
  }

  #forget(push: OutgoingPush<unknown>): void {
    if (push.ref !== null) this.#inflight.delete(push.ref);
    this.#buffer = this.#buffer.filter((p) => p !== push);
  }

  #failBuffer(code: ClientErrorCode, what: string): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const push of buffered) push.fail(this.#pushError(code, push, what));
  }

  #failInflight(code: ClientErrorCode, what: string): void {
    const pending = [...this.#inflight.values()];
    this.#inflight.clear();
    for (const push of pending) push.fail(this.#pushError(code, push, what));
  }

  #pushError(code: ClientErrorCode, push: OutgoingPush<unknown>, what: string): ClientError {
    return new ClientError(code, `"${push.event}" on "${this.topic}" got no reply: the channel ${what}.`, { topic: this.topic, event: push.event });
  }

  /** Stops the join and rejoin timers, and forgets a pending recovery (the next join recovers instead). */
  #clearTimers(): void {
    this.#recovery.cancel();
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#host.clock.clearTimeout(this.#rejoinTimer);
    this.#joinTimer = undefined;
    this.#rejoinTimer = undefined;
  }
}

/**
 * The process behind each joined channel: runs the user's Channel callbacks one message at a time, turns
 * their results into replies, subscribes the topic to the fastlane, and cleans up when it ends.
 */
import { isAnyPayload, type AnyPayload, type JsonObject, type Message, type WireRef } from "../../protocol/message.js";
import { Reserved } from "../../protocol/reserved.js";
import { PresenceEvent } from "../../presence/presence.js";
import { FastlaneSubscription, InterceptedBroadcast } from "./fastlane.js";
import type { SubscribeOptions } from "../../pubsub/pubsub.js";
import { shutdown, type ExitReason } from "../../runtime/process/exit-reason.js";
import { Process } from "../../runtime/process/process.js";
import { isThenable } from "../../runtime/process/thenable.js";
import { assertReplyPayload, type Channel, type ChannelClass } from "./channel.js";
import { CHANNEL_CONTEXT, type ChannelContext, type ChannelHost } from "./channel-context.js";
import type { EndpointApi, EndpointContext } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import type { HandleInResult, HandleResult, JoinResult } from "./results.js";
import { formatExitReason, isCleanExit } from "../../runtime/process/exit-reason.js";
import {
  TelemetryEvent,
  telemetryChannels,
  type ChannelCrashed,
  type ChannelHandledIn,
  type ChannelHandledInfo,
  type ChannelJoined,
  type ChannelLeft,
  type ChannelTelemetry,
} from "../../telemetry/events.js";

const JOINS = telemetryChannels[TelemetryEvent.CHANNEL_JOIN];
const LEAVES = telemetryChannels[TelemetryEvent.CHANNEL_LEAVE];
const CRASHES = telemetryChannels[TelemetryEvent.CHANNEL_CRASH];
const HANDLED_IN = telemetryChannels[TelemetryEvent.CHANNEL_HANDLE_IN];
const HANDLED_INFO = telemetryChannels[TelemetryEvent.CHANNEL_HANDLE_INFO];

/** Which callback a channel process is in, for the crash event. */
type Callback = ChannelCrashed["during"];

/** @internal The first message of every channel process. */
export class JoinCommand {
  constructor(readonly message: Message) {}
}

/** @internal A client event for the channel. */
export class InboundEvent {
  constructor(readonly message: Message) {}
}

/** @internal Sent by a channel process to its socket once its join has been answered. */
export class JoinOutcome {
  constructor(
    readonly channel: ChannelServer,
    readonly joined: boolean,
  ) {}
}

const LEFT = shutdown("left");
const interceptSets = new WeakMap<ChannelClass, ReadonlySet<string>>();
const EMPTY: JsonObject = Object.freeze({}) as JsonObject;
const UNWATCHED: SubscribeOptions = { watch: false };

function interceptOf(channelClass: ChannelClass): ReadonlySet<string> {
  let set = interceptSets.get(channelClass);
  if (set === undefined) {
    set = new Set(channelClass.intercept ?? []);
    interceptSets.set(channelClass, set);
  }
  return set;
}

/** @internal */
export class ChannelServer extends Process implements ChannelContext {
  readonly channel: Channel<object>;
  /** The route pattern that matched the topic. */
  readonly route: string;
  readonly topic: string;
  readonly joinRef: WireRef;
  readonly host: ChannelHost;
  /** The public endpoint: what the channel sees as `this.endpoint`. */
  readonly endpoint: EndpointApi;
  /** True between a successful join and the end of the process. */
  joined = false;
  /** The client message being handled, if any (for socket refs). */
  current: Message | null = null;
  readonly #endpoint: EndpointContext;
  readonly #intercept: ReadonlySet<string>;
  /** The callback running now (for the crash event); null between callbacks. */
  #during: Callback | null = null;
  /** The client event `handleIn` is handling (for its crash event). */
  #inFlight: Message | null = null;
  /** When the callback running now started (`performance.now()`), measured only while someone listens. */
  #startedAt = 0;
  /** When the join was answered (`performance.now()`), measured only while someone listens. */
  #joinedAt = 0;

  constructor(endpoint: EndpointContext, host: ChannelHost, channelClass: ChannelClass, topic: string, joinRef: WireRef, route = topic) {
    super(endpoint.runtime, { link: host.pid });
    this.route = route;
    this.topic = topic;
    this.joinRef = joinRef;
    this.host = host;
    // Channels see the public endpoint (`this.endpoint`), not its internal side.
    this.endpoint = endpoint.api;
    this.#endpoint = endpoint;
    this.#intercept = interceptOf(channelClass);
    this.channel = new channelClass();
    // The process is the channel's context itself: no separate object or closure per channel.
    this.channel[CHANNEL_CONTEXT] = this;
    this.channel.assigns = { ...(host.socket.assigns as object) } as typeof this.channel.assigns;
  }

  /** The channel class's name. */
  get channelName(): string {
    return this.channel.constructor.name;
  }

  /** Answers a client push (a socket ref's late reply). */
  reply(ref: WireRef | null, status: string, response: AnyPayload): void {
    this.#reply(ref, status, response);
  }

  protected handleMessage(message: unknown): void | PromiseLike<void> {
    if (message instanceof InboundEvent) return this.#handleIn(message.message);
    if (message instanceof InterceptedBroadcast) {
      if (!this.joined) return;
      const { event, payload } = message.broadcast;
      this.#during = "handleOut";
      return this.#after(this.channel.handleOut(event, payload), (r) => {
        this.#handleResult(r, "handleOut");
        this.#during = null;
      });
    }
    if (message instanceof JoinCommand) return this.#join(message.message);
    if (!this.joined) return;
    this.#during = "handleInfo";
    if (HANDLED_INFO.hasSubscribers) this.#startedAt = performance.now();
    return this.#after(this.channel.handleInfo(message), (r) => {
      this.#handleResult(r, "handleInfo");
      this.#during = null;
      if (HANDLED_INFO.hasSubscribers) {
        const result = r !== undefined && r.kind === "stop" ? "stop" : "ok";
        HANDLED_INFO.publish({ ...this.#telemetry(), result, durationMs: performance.now() - this.#startedAt } satisfies ChannelHandledInfo);
      }
    });
  }

  protected override onExit(reason: ExitReason): void {
    if (!isCleanExit(reason) && (CRASHES.hasSubscribers || HANDLED_IN.hasSubscribers)) this.#publishCrash(reason);
    if (!this.joined) return;
    if (isCleanExit(reason) && LEAVES.hasSubscribers) {
      LEAVES.publish({ ...this.#telemetry(), reason: formatExitReason(reason), durationMs: performance.now() - this.#joinedAt } satisfies ChannelLeft);
    }
    this.joined = false;
    this.#endpoint.pubsub.unsubscribe(this.topic, this.pid);
    try {
      const done = this.channel.terminate(reason);
      if (isThenable(done)) done.then(undefined, (err: unknown) => this.#logTerminateError(err));
    } catch (err) {
      this.#logTerminateError(err);
    }
  }

  // ## Joins

  #join(message: Message): void | PromiseLike<void> {
    // Any JSON value or bytes, as the client sent it.
    const payload = message.payload;
    this.#during = "join";
    if (JOINS.hasSubscribers || CRASHES.hasSubscribers) this.#startedAt = performance.now();
    let result: JoinResult | Promise<JoinResult>;
    try {
      result = this.channel.join(this.topic, payload);
    } catch (err) {
      return this.#joinCrashed(message, err);
    }
    if (isThenable<JoinResult>(result)) {
      return result.then(
        (r) => this.#joined(message, r),
        (err: unknown) => this.#joinCrashed(message, err),
      );
    }
    this.#joined(message, result);
  }

  #joined(message: Message, result: JoinResult): void {
    if (!this.alive) return;
    const kind = (result as { kind?: unknown } | undefined)?.kind;
    if ((kind === "ok" || kind === "error") && !isAnyPayload((result as { response: unknown }).response)) {
      this.#joinCrashed(message, badResult("join", "a response that is a JSON value or bytes", (result as { response: unknown }).response));
      return;
    }
    if (result === undefined || kind === "ok") {
      const response = result === undefined ? EMPTY : result.response;
      this.joined = true;
      this.#during = null;
      this.#publishJoin("ok");
      // Subscribe before the reply is written: no broadcast can slip between the two. onExit unsubscribes
      // on every exit, so the PubSub need not watch this process.
      this.#endpoint.pubsub.subscribe(this.topic, this.pid, new FastlaneSubscription(this.host, this.#intercept), UNWATCHED);
      this.#writeReply(message.ref, "ok", response);
      this.#endpoint.runtime.send(this.host.pid, new JoinOutcome(this, true));
      this.#trackPresence();
      return;
    }
    if (kind === "error") {
      this.#during = null;
      this.#publishJoin("error");
      this.#writeReply(message.ref, "error", result.response);
      this.#endpoint.runtime.send(this.host.pid, new JoinOutcome(this, false));
      this.stop("normal");
      return;
    }
    this.#joinCrashed(message, badResult("join", "ok(response?), error(response) or nothing", result));
  }

  /**
   * A channel that opts in to presence (`presenceKey`) is tracked after each successful join, and gets
   * `presence_state` right after its join reply. A failure (the tracker not running, the key tracked twice)
   * crashes the channel like any callback error.
   */
  #trackPresence(): void {
    const key = this.channel.presenceKey();
    if (key === null || key === undefined) return;
    const presence = this.#endpoint.presence;
    presence.track(this.channel, key, this.channel.presenceMeta());
    const message = { joinRef: this.joinRef, ref: null, topic: this.topic, event: PresenceEvent.STATE, payload: presence.list(this.topic) };
    this.host.write(this.host.serializer.encodePush(message), this.topic, PresenceEvent.STATE);
  }

  #joinCrashed(message: Message, err: unknown): void {
    if (!this.alive) return;
    this.#publishJoin("crash");
    this.#publishCrash(err);
    this.#during = null;
    this.#writeReply(message.ref, "error", { reason: "join crashed" });
    this.#endpoint.runtime.send(this.host.pid, new JoinOutcome(this, false));
    this.stop(shutdown("join_crashed"));
  }

  // ## Client events

  #handleIn(message: Message): void | PromiseLike<void> {
    if (!this.joined) return;
    if (message.event === Reserved.LEAVE) {
      this.#writeReply(message.ref, "ok", EMPTY);
      this.stop(LEFT);
      return;
    }
    this.current = message;
    this.#inFlight = message;
    this.#during = "handleIn";
    if (HANDLED_IN.hasSubscribers) this.#startedAt = performance.now();
    let result: HandleInResult | Promise<HandleInResult>;
    try {
      result = this.channel.handleIn(message.event, message.payload);
    } catch (err) {
      this.current = null;
      throw err;
    }
    if (isThenable<HandleInResult>(result)) {
      return result.then((r) => {
        this.current = null;
        this.#handleInResult(message, r);
      });
    }
    this.current = null;
    this.#handleInResult(message, result);
  }

  #handleInResult(message: Message, result: HandleInResult): void {
    if (!this.alive) return;
    this.#during = null;
    this.#inFlight = null;
    if (HANDLED_IN.hasSubscribers) this.#publishHandledIn(message, result);
    if (result === undefined) {
      this.host.handledWithoutReply?.(this.topic, message.ref);
      return;
    }
    switch (result.kind) {
      case "noreply":
        this.host.handledWithoutReply?.(this.topic, message.ref);
        return;
      case "reply":
        this.#reply(message.ref, result.status, result.response);
        return;
      case "stop":
        if (result.reply !== undefined) this.#reply(message.ref, result.reply.status, result.reply.response);
        else this.host.handledWithoutReply?.(this.topic, message.ref);
        this.stop(result.reason);
        return;
      default:
        throw badResult("handleIn", "reply(status, response?), noReply(), stop(reason, reply?) or nothing", result);
    }
  }

  // ## Other callbacks

  #after<T>(result: T | Promise<T>, then: (r: T) => void): void | PromiseLike<void> {
    if (isThenable<T>(result)) return result.then(then);
    then(result);
  }

  #handleResult(result: HandleResult, what: string): void {
    if (!this.alive || result === undefined) return;
    if (result.kind === "noreply") return;
    if (result.kind === "stop") {
      this.stop(result.reason);
      return;
    }
    throw badResult(what, "noReply(), stop(reason) or nothing", result);
  }

  // ## Output

  #reply(ref: WireRef | null, status: string, response: AnyPayload): void {
    assertReplyPayload(response);
    this.#writeReply(ref, status, response);
  }

  #writeReply(ref: WireRef | null, status: string, response: AnyPayload): void {
    this.host.write(this.host.serializer.encodeReply({ joinRef: this.joinRef, ref, topic: this.topic, status, response }));
  }

  #logTerminateError(err: unknown): void {
    this.#endpoint.log("error", `terminate of ${this.topic} threw`, { error: err });
  }

  // ## Telemetry (built only when someone listens)

  #telemetry(): ChannelTelemetry {
    return {
      source: this.#endpoint.api,
      node: this.#endpoint.pubsub.nodeName,
      topic: this.topic,
      route: this.route,
      channel: this.channelName,
      joinRef: String(this.joinRef),
      socketId: this.host.socketId,
      transport: this.host.transportName,
    };
  }

  #publishJoin(result: ChannelJoined["result"]): void {
    const now = JOINS.hasSubscribers || LEAVES.hasSubscribers || CRASHES.hasSubscribers ? performance.now() : 0;
    this.#joinedAt = now;
    if (JOINS.hasSubscribers) JOINS.publish({ ...this.#telemetry(), result, durationMs: now - this.#startedAt } satisfies ChannelJoined);
  }

  #publishHandledIn(message: Message, result: HandleInResult | "crash"): void {
    const kind = result === "crash" ? "crash" : result === undefined ? "noreply" : result.kind;
    const status = result === "crash" || result === undefined ? undefined : result.kind === "reply" ? result.status : result.kind === "stop" ? result.reply?.status : undefined;
    HANDLED_IN.publish({
      ...this.#telemetry(),
      event: message.event,
      result: kind === "reply" || kind === "noreply" || kind === "stop" || kind === "crash" ? kind : "reply",
      status,
      bytes: payloadBytes(message.payload),
      durationMs: performance.now() - this.#startedAt,
    } satisfies ChannelHandledIn);
  }

  #publishCrash(error: unknown): void {
    const during = this.endedByEscapedError ? "async" : (this.#during ?? "exit");
    if (during === "handleIn" && HANDLED_IN.hasSubscribers && this.#inFlight !== null) this.#publishHandledIn(this.#inFlight, "crash");
    if (!CRASHES.hasSubscribers) return;
    const now = performance.now();
    CRASHES.publish({
      ...this.#telemetry(),
      reason: formatExitReason(error),
      error,
      during,
      durationMs: during === "join" || this.#joinedAt === 0 ? 0 : now - this.#joinedAt,
    } satisfies ChannelCrashed);
  }
}

/** The size of a received payload: bytes as they are, JSON as its text. */
function payloadBytes(payload: AnyPayload): number {
  if (payload instanceof Uint8Array) return payload.byteLength;
  try {
    return Buffer.byteLength(JSON.stringify(payload));
  } catch {
    return 0;
  }
}


function badResult(callback: string, valid: string, got: unknown): ServerError {
  let shown: string;
  try {
    shown = JSON.stringify(got)?.slice(0, 120) ?? String(got);
  } catch {
    shown = String(got);
  }
  return new ServerError(ServerErrorCode.BAD_CALLBACK_RESULT, `${callback}() must return ${valid}; got ${shown}.`);
}


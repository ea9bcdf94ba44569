/**
 * The process behind each joined channel: runs the user's Channel callbacks one message at a time, turns
 * their results into replies, subscribes the topic to the fastlane, and cleans up when it ends.
 */
import { isAnyPayload, isJsonObject, type AnyPayload, type Broadcast, type JsonObject, type Message, type WireRef } from "../../protocol/message.js";
import { formatPosition, parsePosition, type StreamPosition } from "../../protocol/position.js";
import type { HistoryMessage } from "../../pubsub/pubsub.js";
import type { KeptBroadcast } from "./channel-broadcast.js";
import type { RouteTarget, SlowConsumerPolicy } from "./channel-route.js";
import type { RateBuckets } from "../socket/rate-limit.js";
import { readTopicHistory, type TopicHistory } from "./topic-history.js";
import { Reserved } from "../../protocol/reserved.js";
import { PresenceEvent } from "../../presence/presence.js";
import { FASTLANE, InterceptedBroadcast, positionMarker, subscribeFastlane, type FastlaneSubscriber, type FastlaneTarget } from "./fastlane.js";
import { shutdown, type ExitReason } from "../../runtime/process/exit-reason.js";
import { Process } from "../../runtime/process/process.js";
import { isThenable } from "../../runtime/process/thenable.js";
import { assertReplyPayload, type Channel } from "./channel.js";
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
  type ChannelRecovered,
  type ChannelTelemetry,
} from "../../telemetry/events.js";

const JOINS = telemetryChannels[TelemetryEvent.CHANNEL_JOIN];
const LEAVES = telemetryChannels[TelemetryEvent.CHANNEL_LEAVE];
const CRASHES = telemetryChannels[TelemetryEvent.CHANNEL_CRASH];
const HANDLED_IN = telemetryChannels[TelemetryEvent.CHANNEL_HANDLE_IN];
const HANDLED_INFO = telemetryChannels[TelemetryEvent.CHANNEL_HANDLE_INFO];
const RECOVERIES = telemetryChannels[TelemetryEvent.CHANNEL_RECOVER];

/** Which callback a channel process is in, for the crash event. */
type Callback = ChannelCrashed["during"];

/** @internal The first message of every channel process (handled at once when it can, see `ChannelServer.startJoin`). */
export class JoinCommand {
  constructor(readonly message: Message) {}
}

/** @internal A client event for the channel. */
export class InboundEvent {
  constructor(readonly message: Message) {}
}

/**
 * @internal Sent by a channel process to its socket once its join has been answered — unless the join was
 * answered within `ChannelServer.startJoin`, which returns the outcome instead.
 */
export class JoinOutcome {
  constructor(
    readonly channel: ChannelServer,
    readonly joined: boolean,
  ) {}
}

const LEFT = shutdown("left");
const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

/** What a catch-up with the topic's history found: whether it recovered, where the stream is, what was missed. */
interface CatchUp {
  readonly recovered: boolean;
  /** The stream's position when read; null when the store could not be read. */
  readonly position: StreamPosition | null;
  readonly missed: readonly HistoryMessage[];
}

/** Where a channel stands as its socket sees it (the socket's bookkeeping, see {@link ChannelServer.state}). */
export type ChannelState = "joining" | "joined" | "leaving";

/**
 * @internal
 * The process of one joined channel. It is also its socket's record of the channel (the `state` … `rate`
 * fields, read and written by the socket process only) and its own fastlane subscription in the PubSub —
 * one object where a joined channel once needed four.
 */
export class ChannelServer extends Process implements ChannelContext, FastlaneSubscriber {
  readonly channel: Channel<object>;
  readonly topic: string;
  readonly joinRef: WireRef;
  readonly host: ChannelHost;
  /** True between a successful join and the end of the process. */
  joined = false;
  /** The client message being handled, if any (for socket refs). */
  current: Message | null = null;

  // The socket's record of this channel: written by the socket process, never by this one.
  /** Where the channel stands for its socket: joining until the socket has seen the join answered. */
  state: ChannelState = "joining";
  /**
   * When the socket saw the join answered (ms since the epoch); 0 while joining. Also what the leave and
   * crash events measure the channel's life from (one timestamp per channel, not two).
   */
  joinedAt = 0;
  /** Client messages for this topic that arrived while the join ran; handled after it, in order. */
  pending: Message[] | null = null;
  /** The join_ref of a channel this join replaced: its `phx_close` follows the new join reply. */
  replaced: WireRef | null = null;
  /** The topic's `topicRateLimit` buckets, created with its first limited message (kept across rejoins). */
  rate: RateBuckets | null = null;

  // The fastlane subscription (see FastlaneSubscriber).
  held: Broadcast[] | null = null;
  floor: StreamPosition | null = null;

  readonly #endpoint: EndpointContext;
  /** The route that matched the topic (shared by every channel of the route). */
  readonly #route: RouteTarget;
  /** The callback running now (for the crash event); null between callbacks. */
  #during: Callback | null = null;
  /** The client event `handleIn` is handling (for its crash event). */
  #inFlight: Message | null = null;
  /**
   * When the callback running now started (`performance.now()`), measured only while someone listens, and
   * null again once its event is out: a number kept in the field would hold a 16-byte box in every channel.
   */
  #startedAt: number | null = null;
  /** The position of a history read made during `join`: the catch-up starts there if the client gave none. */
  #baseline: StreamPosition | null = null;
  /** The position of the kept broadcast `handleOut` is handling, until a push carries it. */
  #outPosition: StreamPosition | null = null;
  /**
   * Inside {@link ChannelServer.startJoin}: `null` until the join is answered, then whether it joined (the
   * socket learns it from the call instead of a JoinOutcome message). `undefined` outside that call.
   */
  #directOutcome: boolean | null | undefined = undefined;

  constructor(endpoint: EndpointContext, host: ChannelHost, route: RouteTarget, topic: string, joinRef: WireRef) {
    super(endpoint.runtime, { link: host.pid });
    this.topic = topic;
    this.joinRef = joinRef;
    this.host = host;
    this.#endpoint = endpoint;
    this.#route = route;
    this.channel = new route.channel();
    // The process is the channel's context itself: no separate object or closure per channel.
    this.channel[CHANNEL_CONTEXT] = this;
    this.channel.assigns = { ...(host.socket.assigns as object) } as typeof this.channel.assigns;
  }

  /** The public endpoint: what the channel sees as `this.endpoint` (not the endpoint's internal side). */
  get endpoint(): EndpointApi {
    return this.#endpoint.api;
  }

  /** The route pattern that matched the topic. */
  get route(): string {
    return this.#route.pattern;
  }

  /** The route's slow-consumer policy. */
  get policy(): SlowConsumerPolicy {
    return this.#route.slowConsumer;
  }

  /** Marks the channel as a fastlane subscriber (a prototype getter: nothing per channel). */
  get [FASTLANE](): true {
    return true;
  }

  /** As a fastlane subscriber: the socket its frames go to. */
  get target(): FastlaneTarget {
    return this.host;
  }

  /** The events the channel intercepts (its class's `static intercept`). */
  get intercept(): ReadonlySet<string> {
    return this.#route.intercept;
  }

  /** As a subscription record: its own metadata. */
  get meta(): unknown {
    return this;
  }

  /** The channel class's name. */
  get channelName(): string {
    return this.channel.constructor.name;
  }

  /**
   * Starts the join, called by the socket right after creating this process: the join is handled at once,
   * in the socket's turn and in this process's context (see `Process.handleNow`), when the process can —
   * it is fresh, so it can unless something was sent to it already; otherwise the join is queued.
   *
   * @returns `true` or `false` when the join was answered before this call returned (joined; refused or
   *   crashed), in which case no JoinOutcome is sent; `null` when the outcome comes later as a JoinOutcome
   *   message (an async `join`, a route with history, a queued join) or never (the process ended without
   *   answering: the socket sees its EXIT).
   */
  startJoin(message: Message): boolean | null {
    this.#directOutcome = null;
    try {
      this.handleNow(new JoinCommand(message));
      return this.#directOutcome;
    } finally {
      this.#directOutcome = undefined;
    }
  }

  /**
   * Hands the channel a client event (or leave) from its socket: handled at once, in the socket's turn and
   * in this process's context, when the channel is idle with nothing queued — what its next drain would
   * have done first — else queued behind what it has (see `Process.handleNow`).
   */
  handleEvent(event: InboundEvent): void {
    this.handleNow(event);
  }

  /** Answers a client push (a socket ref's late reply). */
  reply(ref: WireRef | null, status: string, response: AnyPayload): void {
    this.#reply(ref, status, response);
  }

  protected handleMessage(message: unknown): void | PromiseLike<void> {
    if (message instanceof InboundEvent) return this.#handleIn(message.message);
    if (message instanceof InterceptedBroadcast) {
      if (!this.joined) return;
      return this.#handleOut(message.broadcast);
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
        HANDLED_INFO.publish({ ...this.#telemetry(), result, durationMs: this.#elapsed() } satisfies ChannelHandledInfo);
      }
    });
  }

  protected override onExit(reason: ExitReason): void {
    if (!isCleanExit(reason) && (CRASHES.hasSubscribers || HANDLED_IN.hasSubscribers)) this.#publishCrash(reason);
    if (!this.joined) return;
    if (isCleanExit(reason) && LEAVES.hasSubscribers) {
      LEAVES.publish({ ...this.#telemetry(), reason: formatExitReason(reason), durationMs: this.#lifetime() } satisfies ChannelLeft);
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
    if (JOINS.hasSubscribers) this.#startedAt = performance.now();
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
    return this.#joined(message, result);
  }

  #joined(message: Message, result: JoinResult): void | PromiseLike<void> {
    if (!this.alive) return;
    const kind = (result as { kind?: unknown } | undefined)?.kind;
    if ((kind === "ok" || kind === "error") && !isAnyPayload((result as { response: unknown }).response)) {
      this.#joinCrashed(message, badResult("join", "a response that is a JSON value or bytes", (result as { response: unknown }).response));
      return;
    }
    if (result === undefined || kind === "ok") {
      const response = result === undefined ? EMPTY : result.response;
      if (this.#route.history !== null) return this.#joinKept(message, response);
      this.joined = true;
      this.#during = null;
      this.#publishJoin("ok");
      // Subscribe before the reply is written: no broadcast can slip between the two. onExit unsubscribes
      // on every exit, so the PubSub need not watch this process.
      subscribeFastlane(this.#endpoint.pubsub, this.topic, this);
      this.#writeReply(message.ref, "ok", response);
      this.#joinAnswered(true);
      this.#trackPresence();
      return;
    }
    if (kind === "error") {
      this.#during = null;
      this.#publishJoin("error");
      this.#writeReply(message.ref, "error", result.response);
      this.#joinAnswered(false);
      this.stop("normal");
      return;
    }
    this.#joinCrashed(message, badResult("join", "ok(response?), error(response) or nothing", result));
  }

  // ## History

  /**
   * A join on a topic with history: subscribed first with live broadcasts held, the history read from the
   * client's `since` (or from a read `join` made itself), the reply written with `recovered` and
   * `position`, then the missed broadcasts, then the held ones past them — no gap, no duplicate.
   */
  #joinKept(message: Message, response: AnyPayload): void | PromiseLike<void> {
    if (!isJsonObject(response)) {
      this.#joinCrashed(message, badResult("join", "an object on a route with history (the reply carries `recovered` and `position`)", response));
      return;
    }
    this.joined = true;
    this.#during = null;
    this.#publishJoin("ok");
    this.held = [];
    subscribeFastlane(this.#endpoint.pubsub, this.topic, this);
    const since = isJsonObject(message.payload) ? parsePosition(message.payload.since) : null;
    const startedAt = since !== null && RECOVERIES.hasSubscribers ? performance.now() : 0;
    return this.#catchUp(since ?? this.#baseline).then(async (found) => {
      const recovered = since !== null && found.recovered;
      if (since !== null && RECOVERIES.hasSubscribers) this.#publishRecovery("join", found, startedAt);
      // Not recoverable from the client's position, but `join` read the history itself (and answers with
      // what it read): what came after that read still reaches the client, once.
      if (since !== null && !recovered && this.#baseline !== null && this.alive) found = await this.#catchUp(this.#baseline);
      if (!this.alive) return;
      // Recovered: where the client is once the missed messages are in. Not: where the state the reply
      // carries stands — `join`'s own read when the messages after it follow, else the stream's end.
      const position = recovered || !found.recovered || this.#baseline === null ? found.position : this.#baseline;
      this.#writeReply(message.ref, "ok", { ...response, recovered, position });
      this.#endpoint.runtime.send(this.host.pid, new JoinOutcome(this, true));
      this.#trackPresence();
      return this.#release(found);
    });
  }

  /** A client's `fenix_recover`: the messages after its `since`, without a rejoin. */
  #recover(message: Message): void | PromiseLike<void> {
    const kept = this.#route.history !== null;
    const since = isJsonObject(message.payload) ? parsePosition(message.payload.since) : null;
    if (!kept || since === null) {
      const reason = !kept ? "no history" : "since must be a position";
      this.#writeReply(message.ref, "error", { reason });
      return;
    }
    this.held ??= [];
    const startedAt = RECOVERIES.hasSubscribers ? performance.now() : 0;
    return this.#catchUp(since).then((found) => {
      if (RECOVERIES.hasSubscribers) this.#publishRecovery("gap", found, startedAt);
      if (!this.alive) return;
      this.#writeReply(message.ref, "ok", { recovered: found.recovered, position: found.position });
      return this.#release(found);
    });
  }

  /** Reads what was broadcast after `from` (at most `maxRecovery`), and says whether that is all of it. */
  async #catchUp(from: StreamPosition | null): Promise<CatchUp> {
    const settings = this.#route.history!;
    const query = from === null ? { limit: 0 } : { after: from.offset, limit: settings.maxRecovery };
    let position: StreamPosition;
    let messages: readonly HistoryMessage[];
    try {
      ({ position, messages } = await this.#endpoint.pubsub.history(this.topic, query, settings));
    } catch (error) {
      this.#endpoint.log("error", `the history of ${this.topic} could not be read; the client is told recovered: false`, { error });
      return { recovered: false, position: null, missed: [] };
    }
    if (from === null || from.epoch !== position.epoch || from.offset > position.offset) return { recovered: false, position, missed: [] };
    const missing = position.offset - from.offset;
    if (messages.length !== missing || (missing > 0 && messages[0]!.offset !== from.offset + 1)) return { recovered: false, position, missed: [] };
    return { recovered: true, position, missed: messages };
  }

  /**
   * Writes the missed broadcasts, then the live ones held meanwhile that come after them, and lets the
   * fastlane write again. The held buffer is emptied and dropped in one synchronous step at the end, so
   * nothing written later can overtake it.
   */
  async #release(found: CatchUp): Promise<void> {
    const epoch = found.position?.epoch;
    const last = found.position?.offset ?? Infinity;
    for (const { offset, message } of found.missed) {
      const { topic, event, payload, skip } = message as KeptBroadcast;
      const done = this.#deliverKept({ topic, event, payload, skip, position: { epoch: epoch!, offset } });
      if (done !== undefined) await done;
      if (!this.alive) return;
    }
    for (;;) {
      const held = this.held!;
      const next = held.shift();
      if (next === undefined) break;
      const position = next.position;
      if (position !== undefined && position.epoch === epoch && position.offset <= last) continue;
      const done = this.#deliverKept(next);
      if (done !== undefined) await done;
      if (!this.alive) return;
    }
    this.held = null;
    // What the store had when it was read may still be on its way to this node: not twice.
    if (epoch !== undefined) this.floor = { epoch, offset: last };
  }

  /** Writes one kept (or held) broadcast to this client as the fastlane would have. */
  #deliverKept(broadcast: KeptBroadcast): void | PromiseLike<void> {
    const skip = broadcast.skip;
    if (skip !== undefined && broadcast.position !== undefined && skip.id === this.pid.id && skip.node === this.pid.node) {
      this.host.write(this.host.serializer.encodeBroadcast(positionMarker(this.topic, broadcast.position)));
      return;
    }
    if (this.#route.intercept.has(broadcast.event)) return this.#handleOut(broadcast);
    this.host.write(this.host.serializer.encodeBroadcast(broadcast), this.topic, broadcast.event);
  }

  /**
   * An intercepted broadcast through `handleOut`. If it has a position, the first push `handleOut` makes
   * carries it; if it pushes nothing, a position marker goes in its place.
   */
  #handleOut(broadcast: Broadcast): void | PromiseLike<void> {
    this.#during = "handleOut";
    this.#outPosition = broadcast.position ?? null;
    return this.#after(this.channel.handleOut(broadcast.event, broadcast.payload), (r) => {
      const unsent = this.#outPosition;
      this.#outPosition = null;
      if (unsent !== null && this.alive) this.host.write(this.host.serializer.encodeBroadcast(positionMarker(this.topic, unsent)));
      this.#handleResult(r, "handleOut");
      this.#during = null;
    });
  }

  /** The ref of a push made now: the position of the broadcast `handleOut` is handling, once. */
  takePushRef(): string | null {
    const position = this.#outPosition;
    if (position === null) return null;
    this.#outPosition = null;
    return formatPosition(position);
  }

  /** Reads the topic's newest kept broadcasts; a read during `join` is where the client's catch-up starts. */
  readHistory(limit: number | undefined): Promise<TopicHistory> {
    const settings = this.#route.history;
    if (settings === null) {
      return Promise.reject(
        new ServerError(ServerErrorCode.NO_HISTORY, `${this.channelName} reads the history of "${this.topic}", but its route keeps none; give it the history option.`),
      );
    }
    const inJoin = !this.joined;
    return readTopicHistory(this.#endpoint.pubsub, this.topic, settings, limit ?? settings.size).then((history) => {
      if (inJoin) this.#baseline = history.position;
      return history;
    });
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
    this.#joinAnswered(false);
    this.stop(shutdown("join_crashed"));
  }

  /**
   * Tells the socket the join was answered: through {@link ChannelServer.startJoin}'s result when answered
   * within that call, else with a JoinOutcome message — sent before any `stop` that follows, so the socket
   * sees the outcome before the EXIT either way.
   */
  #joinAnswered(joined: boolean): void {
    if (this.#directOutcome === null) this.#directOutcome = joined;
    else this.#endpoint.runtime.send(this.host.pid, new JoinOutcome(this, joined));
  }

  // ## Client events

  #handleIn(message: Message): void | PromiseLike<void> {
    if (!this.joined) return;
    if (message.event === Reserved.LEAVE) {
      this.#writeReply(message.ref, "ok", EMPTY);
      this.stop(LEFT);
      return;
    }
    if (message.event === Reserved.RECOVER) return this.#recover(message);
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
    if (JOINS.hasSubscribers) JOINS.publish({ ...this.#telemetry(), result, durationMs: this.#elapsed() } satisfies ChannelJoined);
  }

  /** Since the callback running now started (0 if it was not timed); the start is forgotten. */
  #elapsed(): number {
    const startedAt = this.#startedAt;
    this.#startedAt = null;
    return startedAt === null ? 0 : performance.now() - startedAt;
  }

  /** Since the join was answered (0 while the socket has not seen it answered). */
  #lifetime(): number {
    return this.joinedAt === 0 ? 0 : Math.max(0, Date.now() - this.joinedAt);
  }

  #publishRecovery(reason: ChannelRecovered["reason"], found: CatchUp, startedAt: number): void {
    RECOVERIES.publish({
      ...this.#telemetry(),
      reason,
      recovered: found.recovered,
      messages: found.missed.length,
      durationMs: performance.now() - startedAt,
    } satisfies ChannelRecovered);
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
      durationMs: this.#elapsed(),
    } satisfies ChannelHandledIn);
  }

  #publishCrash(error: unknown): void {
    const during = this.endedByEscapedError ? "async" : (this.#during ?? "exit");
    if (during === "handleIn" && HANDLED_IN.hasSubscribers && this.#inFlight !== null) this.#publishHandledIn(this.#inFlight, "crash");
    if (!CRASHES.hasSubscribers) return;
    CRASHES.publish({
      ...this.#telemetry(),
      reason: formatExitReason(error),
      error,
      during,
      durationMs: during === "join" ? 0 : this.#lifetime(),
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


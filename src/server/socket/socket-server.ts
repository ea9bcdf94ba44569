/**
 * The process behind each client connection: decodes frames, answers heartbeats, routes joins to new
 * channel processes, forwards events to the right channel, and turns channel exits into `phx_close` or
 * `phx_error`. All reserved-event rules of the protocol live here.
 */
import type { FenixError } from "../../errors/fenix-error.js";
import { ProtocolError, UnroutableMessageError } from "../../protocol/errors.js";
import type { AnyPayload, Broadcast, JsonObject, Message, WireRef } from "../../protocol/message.js";
import { Reserved } from "../../protocol/reserved.js";
import { PresenceEvent } from "../../presence/presence.js";
import type { Frame, Serializer } from "../../protocol/serializer.js";
import { isCleanExit, isExitMessage, shutdown, type ExitReason } from "../../runtime/process/exit-reason.js";
import type { Pid } from "../../runtime/process/pid.js";
import { Process } from "../../runtime/process/process.js";
import type { RouteTarget, SlowConsumerPolicy } from "../channel/channel-route.js";
import type { ChannelHost } from "../channel/channel-context.js";
import { ChannelServer, InboundEvent, JoinOutcome } from "../channel/channel-server.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import type { IdleSweeper } from "./idle-sweeper.js";
import { ConnectionSettings, IDLE_CHECK } from "./connection-settings.js";
import { TopicTable } from "./topic-table.js";
import { longerThan, RateBuckets, type LimitName, type RateLimit } from "./rate-limit.js";
import type { Socket } from "./socket.js";
import type { TopicRouter } from "../channel/topic-pattern.js";
import { OutboundQueue, type DroppingPolicy, type OutboundOwner } from "./outbound-queue.js";
import { CloseCode, type Transport, type TransportListener } from "./transport.js";
import {
  TelemetryEvent,
  telemetryChannels,
  type FrameTraced,
  type MessageLimited,
  type OutboundDropped,
  type SlowConsumer,
  type SocketDisconnected,
} from "../../telemetry/events.js";
import type { ChannelInfo, ConnectionInfo } from "../endpoint/connection-info.js";

const FRAMES = telemetryChannels[TelemetryEvent.FRAME];
const DISCONNECTS = telemetryChannels[TelemetryEvent.SOCKET_DISCONNECT];
const SLOW_CONSUMERS = telemetryChannels[TelemetryEvent.SLOW_CONSUMER];
const LIMITED = telemetryChannels[TelemetryEvent.LIMITED];
const DROPPED = telemetryChannels[TelemetryEvent.OUTBOUND_DROPPED];
/** Events never dropped by a slow-consumer policy: a client that missed one would hold a wrong presence list. */
const UNDROPPABLE: ReadonlySet<string> = new Set([PresenceEvent.STATE, PresenceEvent.DIFF]);
/** The least time between two `clientError` reports of refused messages on one connection (ms). */
const LIMIT_REPORT_MS = 1_000;
const textDecoder = new TextDecoder();
const TRACE_TEXT = 2048;

/** Per-socket limits and timers (resolved options of `endpoint.socket()`). */
export interface SocketLimits {
  readonly maxChannels: number;
  readonly idleTimeoutMs: number;
  /** Longest topic (UTF-8 bytes) a client message may name; no limit when absent (the MQTT bridge). */
  readonly maxTopicLength?: number;
  /** Longest event (UTF-8 bytes) a client message may name; no limit when absent. */
  readonly maxEventLength?: number;
  /** Rate limits of the whole connection; off when `null` or absent. */
  readonly rateLimit?: RateLimit | null;
  /** Rate limits of each topic of the connection (messages and bytes); off when `null` or absent. */
  readonly topicRateLimit?: RateLimit | null;
  /**
   * Outbound bytes the connection may hold for its client before slow-consumer policies apply (the
   * transport's own limit closes a slow client when absent).
   */
  readonly maxBufferedBytes?: number;
}

/** @internal Everything a SocketServer is created with. */
export interface SocketServerInit {
  readonly endpoint: EndpointContext;
  readonly transport: Transport;
  readonly serializer: Serializer;
  readonly socket: Socket<object>;
  readonly socketId: string | null;
  readonly router: TopicRouter<RouteTarget>;
  readonly limits: SocketLimits;
  readonly errorContext: ClientErrorContext;
  /** The supervisor the connection runs under: its exit signal closes the connection with 1012. */
  readonly parent?: Pid;
  /** Called once when the connection's process ends (gives back its `maxConnectionsPerAddress` slot). */
  readonly release?: () => void;
}

class InboundFrame {
  constructor(
    readonly data: Uint8Array | string,
    readonly binary: boolean,
    readonly handled: (() => void) | undefined,
  ) {}
}
class TransportClosed {
  constructor(readonly code: number) {}
}
const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

const CLOSED = shutdown("closed");
const DISCONNECT_EVENT = "disconnect";

/** @internal */
export class SocketServer extends Process implements ChannelHost, TransportListener, OutboundOwner {
  readonly serializer: Serializer;
  readonly socket: Socket<object>;
  readonly socketId: string | null;
  /** What every connection of the mount shares: endpoint, routes, limits (read through the getters below). */
  readonly #settings: ConnectionSettings;
  readonly #transport: Transport;
  /**
   * The client's address from the connect context, kept only when the transport cannot tell it (a
   * WebSocket transport reads it from its TCP socket when first asked).
   */
  readonly #address: string | undefined;
  /**
   * The live (joining or joined) channel of each topic. A channel process carries this connection's
   * record of it (`state`, `pending`, `replaced`, `rate`), written only from this process.
   */
  readonly #topics = new TopicTable<ChannelServer>();
  /** Channels whose client left, until their process ends (they still count against maxChannels). */
  #leavingEntries: ChannelServer[] | null = null;
  #lastSeen: number;
  #closing = false;
  readonly #parent: Pid | undefined;
  /** When the connection opened (ms since the epoch). */
  readonly connectedAt = Date.now();
  /** Why the connection ends, for the disconnect event: set by whoever closes it first. */
  #endReason: string | null = null;
  /** The connection's `rateLimit` buckets (`null` when off). */
  readonly #rate: RateBuckets | null;
  /** When a refused message was last reported on `clientError` (runtime clock ms), and how many were not since. */
  #limitReportedAt: number | null = null;
  #limitsUnreported = 0;
  readonly #release: (() => void) | undefined;
  /**
   * Frames held back while a slow client catches up: created when the connection first joins a route
   * whose slow-consumer policy may drop (until then frames go straight to the transport).
   */
  #outbound: OutboundQueue | null = null;

  constructor(init: SocketServerInit) {
    super(init.endpoint.runtime, init.parent === undefined ? { trapExits: true } : { trapExits: true, link: init.parent });
    this.#parent = init.parent;
    this.#settings = ConnectionSettings.of(init.endpoint, init.router, init.limits, init.errorContext.path);
    this.#transport = init.transport;
    this.serializer = init.serializer;
    this.socket = init.socket;
    this.socketId = init.socketId;
    this.#address = "peerAddress" in init.transport ? undefined : init.errorContext.address;
    // The disconnect event names the address, and the TCP socket may be gone by then: read it now.
    if (DISCONNECTS.hasSubscribers) void this.#peer;
    this.#lastSeen = this.runtime.clock.now();
    const rateLimit = init.limits.rateLimit;
    this.#rate = rateLimit === undefined || rateLimit === null ? null : new RateBuckets(rateLimit, this.#lastSeen, true);
    this.#release = init.release;
    if (this.socketId !== null) this.#endpoint.pubsub.subscribe(this.socketId, this.pid);
    this.#idleSweeper?.add(this);
    this.#endpoint.socketOpened(this);
  }

  get #endpoint(): EndpointContext {
    return this.#settings.endpoint;
  }

  get #router(): TopicRouter<RouteTarget> {
    return this.#settings.router;
  }

  get #limits(): SocketLimits {
    return this.#settings.limits;
  }

  get #path(): string {
    return this.#settings.path;
  }

  get #maxTopicLength(): number {
    return this.#settings.maxTopicLength;
  }

  get #maxEventLength(): number {
    return this.#settings.maxEventLength;
  }

  get #topicRateLimit(): RateLimit | null {
    return this.#settings.topicRateLimit;
  }

  get #idleSweeper(): IdleSweeper | null {
    return this.#settings.idleSweeper;
  }

  /** The client's address: what error reports, telemetry and `info()` say of it, beside the mount path. */
  get #peer(): string | undefined {
    return this.#transport.peerAddress ?? this.#address;
  }

  /** The transport's name (`"websocket"`, `"longpoll"`). */
  get transportName(): string {
    return this.#transport.name;
  }

  /** What `endpoint.connections()` reports about this connection. */
  info(): ConnectionInfo {
    const channels: ChannelInfo[] = [];
    for (const entry of this.#topics.values()) {
      if (entry.state !== "joined") continue;
      channels.push({
        topic: entry.topic,
        route: entry.route,
        channel: entry.channelName,
        pid: entry.pid,
        mailbox: entry.mailboxSize,
        joinedAt: entry.joinedAt,
      });
    }
    return {
      pid: this.pid,
      path: this.#path,
      transport: this.#transport.name,
      address: this.#peer,
      socketId: this.socketId,
      connectedAt: this.connectedAt,
      mailbox: this.mailboxSize,
      bufferedBytes: this.#transport.bufferedBytes + (this.#outbound?.heldBytes ?? 0),
      channels,
    };
  }

  /** @internal When the client was last heard from (runtime clock ms), for the idle sweeper. */
  get lastSeen(): number {
    return this.#lastSeen;
  }

  /** Number of channels joined or joining (and leaving, which still count against the limit). */
  get channelCount(): number {
    return this.#topics.size + (this.#leavingEntries?.length ?? 0);
  }

  /** The topics this connection has joined. */
  joinedTopics(): string[] {
    return this.#topics.values().filter((e) => e.state === "joined").map((e) => e.topic);
  }

  // ## TransportListener (called by the transport; in order: handled at once when the process is idle, else queued)

  frame(data: Uint8Array | string, binary: boolean, handled?: () => void): void {
    if (FRAMES.hasSubscribers) this.#trace("in", data, binary);
    // Handled at once when the connection is idle with nothing queued (what its next drain would do first).
    this.handleNow(new InboundFrame(data, binary, handled));
  }

  activity(): void {
    this.#lastSeen = this.runtime.clock.now();
  }

  closed(code: number): void {
    this.runtime.send(this.pid, new TransportClosed(code));
  }

  failed(error: FenixError): void {
    this.#reportClientError(error);
    this.#endReason ??= error.code;
    this.#closing = true;
    this.stop(CLOSED);
  }

  overflow(): void {
    this.overBudget(this.#transport.bufferedBytes + (this.#outbound?.heldBytes ?? 0));
  }

  drained(): void {
    if (!this.#closing) this.#outbound?.drained();
  }

  // ## OutboundOwner (the held-back frames of a slow client)

  policyOf(topic: string, event: string): SlowConsumerPolicy {
    if (UNDROPPABLE.has(event)) return "disconnect";
    return this.#topics.get(topic)?.policy ?? "disconnect";
  }

  dropped(topic: string, event: string, policy: DroppingPolicy, bytes: number): void {
    if (DROPPED.hasSubscribers) DROPPED.publish({ ...this.#telemetry(), topic, event, policy, bytes } satisfies OutboundDropped);
  }

  overBudget(buffered: number): void {
    if (this.#closing) return;
    if (SLOW_CONSUMERS.hasSubscribers) {
      SLOW_CONSUMERS.publish({ ...this.#telemetry(), buffered, limit: this.#limits.maxBufferedBytes } satisfies SlowConsumer);
    }
    this.#outbound?.clear();
    this.#fail(
      new ServerError(ServerErrorCode.SLOW_CONSUMER, "The client read too slowly; its outbound queue passed maxBufferedBytes.", {
        status: CloseCode.TRY_AGAIN_LATER,
      }),
    );
  }

  // ## ChannelHost

  write(frame: Frame, topic: string | null = null, event: string | null = null): void {
    if (FRAMES.hasSubscribers) this.#trace("out", frame, typeof frame !== "string");
    if (this.#outbound === null) this.#transport.send(frame);
    else this.#outbound.send(frame, topic, event);
  }

  sendEncoded(data: Uint8Array, binary: boolean, message?: Broadcast): void {
    if (FRAMES.hasSubscribers) this.#trace("out", data, binary);
    if (this.#outbound === null) this.#transport.sendEncoded(data, binary);
    else this.#outbound.sendEncoded(data, binary, message?.topic ?? null, message?.event ?? null);
  }

  handledWithoutReply(topic: string, ref: WireRef | null): void {
    this.#transport.handledWithoutReply?.(topic, ref);
  }

  /** Closes the connection with a code the client reconnects after (never 1000). */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#endReason ??= reason;
    this.#closing = true;
    this.#transport.close(code, reason);
    this.stop(CLOSED);
  }

  // ## Mailbox

  protected handleMessage(message: unknown): void {
    if (message instanceof InboundFrame) {
      this.#lastSeen = this.runtime.clock.now();
      this.#handleFrame(message.data, message.binary);
      message.handled?.();
    } else if (message instanceof JoinOutcome) {
      this.#joinFinished(message.channel, message.joined);
    } else if (isExitMessage(message)) {
      if (message.from === this.#parent) this.#shutdown(message.reason);
      else this.#channelExited(message.from, message.reason);
    } else if (message instanceof TransportClosed) {
      this.#endReason ??= "closed";
      this.#closing = true;
      this.stop(CLOSED);
    } else if (message === IDLE_CHECK) {
      this.#idleCheck();
    } else if (isBroadcast(message) && message.topic === this.socketId) {
      if (message.event === DISCONNECT_EVENT) this.close(CloseCode.GOING_AWAY, "disconnected");
    }
  }

  protected override onExit(reason: ExitReason): void {
    this.#idleSweeper?.delete(this);
    this.#outbound?.clear();
    if (this.socketId !== null) this.#endpoint.pubsub.unsubscribe(this.socketId, this.pid);
    if (!this.#closing) {
      this.#closing = true;
      const clean = isCleanExit(reason);
      this.#transport.close(clean ? CloseCode.GOING_AWAY : CloseCode.INTERNAL_ERROR, clean ? "closed" : "server error");
    }
    if (!isCleanExit(reason)) this.#endpoint.log("error", "socket process crashed", { error: reason, ...this.#errorContext() });
    if (DISCONNECTS.hasSubscribers) {
      DISCONNECTS.publish({
        ...this.#telemetry(),
        durationMs: Date.now() - this.connectedAt,
        reason: isCleanExit(reason) ? (this.#endReason ?? "closed") : "crash",
      } satisfies SocketDisconnected);
    }
    this.#endpoint.socketClosed(this);
    this.#release?.();
  }

  /**
   * The endpoint drains: closes like a shutdown (1012, the client reconnects, to another node if there is
   * one) before the supervisor stops, and reports the disconnect as `"drain"`.
   */
  drain(): void {
    this.#endReason ??= "drain";
    this.close(CloseCode.SERVICE_RESTART, "server restart");
  }

  /** The supervisor is shutting down (the endpoint stops): the client should reconnect, maybe elsewhere. */
  #shutdown(reason: ExitReason): void {
    this.#endReason ??= "shutdown";
    if (!this.#closing) {
      this.#closing = true;
      this.#transport.close(CloseCode.SERVICE_RESTART, "server restart");
    }
    // The supervisor's failure is reported where it happened, not again by every connection.
    this.stop(isCleanExit(reason) ? reason : shutdown(reason));
  }

  // ## Inbound frames

  #handleFrame(data: Uint8Array | string, binary: boolean): void {
    let message: Message;
    try {
      message = this.serializer.decode(data, binary);
    } catch (err) {
      if (err instanceof UnroutableMessageError) {
        this.#unroutable(err, data);
        return;
      }
      if (err instanceof ProtocolError) {
        this.#fail(err);
        return;
      }
      throw err;
    }
    if (message.topic === Reserved.PHOENIX_TOPIC && message.event === Reserved.HEARTBEAT) {
      this.write(this.serializer.encodeReply({ joinRef: null, ref: message.ref, topic: Reserved.PHOENIX_TOPIC, status: "ok", response: EMPTY }));
      return;
    }
    if (longerThan(message.topic, this.#maxTopicLength)) {
      this.#refuseTooLong(message, "topic_length", ServerErrorCode.TOPIC_TOO_LONG, "topic too long", this.#maxTopicLength);
      return;
    }
    if (longerThan(message.event, this.#maxEventLength) && message.event !== Reserved.JOIN && message.event !== Reserved.LEAVE) {
      this.#refuseTooLong(message, "event_length", ServerErrorCode.EVENT_TOO_LONG, "event too long", this.#maxEventLength);
      return;
    }
    if ((this.#rate !== null || this.#topicRateLimit !== null) && message.event !== Reserved.LEAVE && !this.#admit(message, data)) return;
    this.#dispatch(message);
  }

  /**
   * A message whose topic or event is not a string: answered like an unmatched topic, echoing its ref and
   * topic as received (the JSON serializers write the topic value as it came), as Phoenix does.
   */
  #unroutable(err: UnroutableMessageError, data: Uint8Array | string): void {
    const standIn: Message = { joinRef: err.joinRef, ref: err.ref, topic: "", event: "", payload: null };
    if (this.#rate !== null && !this.#admit(standIn, data)) return;
    this.#endpoint.log("warn", err.message, { ...this.#errorContext(), cause: "unmatched_topic" });
    if (err.ref === null) return;
    const topic = err.topic as string;
    this.write(this.serializer.encodeReply({ joinRef: null, ref: err.ref, topic, status: "error", response: { reason: "unmatched topic" } }));
  }

  // ## Limits

  /**
   * Takes the message's share of the connection's and its topic's rate limits, or refuses it (answered
   * "rate limited", counted, reported) when one of them is spent: nothing is taken from any then.
   */
  #admit(message: Message, data: Uint8Array | string): boolean {
    // The frame's arrival time, read from the runtime clock just before it was handled.
    const now = this.#lastSeen;
    const join = message.event === Reserved.JOIN;
    const rate = this.#rate;
    let topicRate: RateBuckets | null = null;
    const topicLimit = this.#topicRateLimit;
    if (!join && topicLimit !== null) {
      const entry = this.#topics.get(message.topic);
      if (entry !== undefined) topicRate = entry.rate ??= new RateBuckets(topicLimit, now, false);
    }
    const bytes = rate?.bytes != null || topicRate?.bytes != null ? (typeof data === "string" ? Buffer.byteLength(data) : data.byteLength) : 0;
    let wait = 0;
    let limit: LimitName = "messages";
    if (rate !== null) {
      const messages = rate.messages?.wait(1, now) ?? 0;
      if (messages > wait) [wait, limit] = [messages, "messages"];
      const byteWait = rate.bytes?.wait(bytes, now) ?? 0;
      if (byteWait > wait) [wait, limit] = [byteWait, "bytes"];
      const joins = join ? (rate.joins?.wait(1, now) ?? 0) : 0;
      if (joins > wait) [wait, limit] = [joins, "joins"];
    }
    if (topicRate !== null) {
      const messages = topicRate.messages?.wait(1, now) ?? 0;
      if (messages > wait) [wait, limit] = [messages, "topic_messages"];
      const byteWait = topicRate.bytes?.wait(bytes, now) ?? 0;
      if (byteWait > wait) [wait, limit] = [byteWait, "topic_bytes"];
    }
    if (wait > 0) {
      this.#rateLimited(message, limit, wait);
      return false;
    }
    if (rate !== null) {
      rate.messages?.take(1);
      rate.bytes?.take(bytes);
      if (join) rate.joins?.take(1);
    }
    if (topicRate !== null) {
      topicRate.messages?.take(1);
      topicRate.bytes?.take(bytes);
    }
    return true;
  }

  #rateLimited(message: Message, limit: LimitName, retryAfterMs: number): void {
    this.#replyRefused(message, { reason: "rate limited", retry_after_ms: retryAfterMs });
    this.#limited(message, limit, retryAfterMs);
    if (this.#shouldReportLimit()) {
      const [option, perSec] = this.#limitOption(limit);
      this.#reportLimit(
        new ServerError(
          ServerErrorCode.RATE_LIMITED,
          `A client message (${JSON.stringify(message.event).slice(0, 80)} on ${JSON.stringify(message.topic).slice(0, 80)}) went over ${option} (${perSec}/s); it was answered "rate limited"${this.#unreported()}.`,
        ),
      );
    }
  }

  #refuseTooLong(message: Message, limit: LimitName, code: ServerErrorCode, reason: string, max: number): void {
    this.#replyRefused(message, { reason });
    this.#limited(message, limit, 0);
    if (this.#shouldReportLimit()) {
      const what = limit === "topic_length" ? "topic" : "event";
      this.#reportLimit(new ServerError(code, `A client message's ${what} was longer than ${max} bytes; it was answered "${reason}"${this.#unreported()}.`));
    }
  }

  /** Answers a refused message that has a ref: to a join, as its join reply. */
  #replyRefused(message: Message, response: JsonObject): void {
    if (message.ref === null) return;
    const joinRef = message.event === Reserved.JOIN ? (message.joinRef ?? message.ref) : message.joinRef;
    this.#reply(joinRef, message.ref, message.topic, "error", response);
  }

  #limited(message: Message, limit: LimitName, retryAfterMs: number): void {
    if (!LIMITED.hasSubscribers) return;
    LIMITED.publish({ ...this.#telemetry(), topic: message.topic, event: message.event, limit, retryAfterMs } satisfies MessageLimited);
  }

  /** Whether a refused message is reported now: at most one report a second per connection; the others are counted. */
  #shouldReportLimit(): boolean {
    const now = this.runtime.clock.now();
    if (this.#limitReportedAt !== null && now - this.#limitReportedAt < LIMIT_REPORT_MS) {
      this.#limitsUnreported++;
      return false;
    }
    this.#limitReportedAt = now;
    return true;
  }

  #unreported(): string {
    const count = this.#limitsUnreported;
    this.#limitsUnreported = 0;
    return count === 0 ? "" : ` (${count} more refused since the last report)`;
  }

  #reportLimit(error: ServerError): void {
    this.#reportClientError(error);
  }

  #limitOption(limit: LimitName): [string, number] {
    const rate = this.#limits.rateLimit;
    const topic = this.#topicRateLimit;
    switch (limit) {
      case "bytes":
        return ["rateLimit.bytesPerSec", rate?.bytesPerSec ?? 0];
      case "joins":
        return ["rateLimit.joinsPerSec", rate?.joinsPerSec ?? 0];
      case "topic_messages":
        return ["topicRateLimit.messagesPerSec", topic?.messagesPerSec ?? 0];
      case "topic_bytes":
        return ["topicRateLimit.bytesPerSec", topic?.bytesPerSec ?? 0];
      default:
        return ["rateLimit.messagesPerSec", rate?.messagesPerSec ?? 0];
    }
  }

  #dispatch(message: Message): void {
    const entry = this.#topics.get(message.topic);
    if (entry?.state === "joining") {
      (entry.pending ??= []).push(message);
      return;
    }
    switch (message.event) {
      case Reserved.JOIN:
        if (entry !== undefined) this.#replace(entry);
        this.#startJoin(message, entry?.joinRef ?? null, entry?.rate ?? null);
        return;
      case Reserved.LEAVE:
        if (entry === undefined) {
          this.#reply(message.joinRef, message.ref, message.topic, "ok", EMPTY);
        } else if (this.#isCurrent(message, entry)) {
          entry.state = "leaving";
          this.#topics.delete(entry.topic);
          (this.#leavingEntries ??= []).push(entry);
          entry.handleEvent(new InboundEvent(message));
        }
        return;
      default:
        if (entry === undefined) {
          this.#reply(null, message.ref, message.topic, "error", { reason: "unmatched topic" });
        } else if (this.#isCurrent(message, entry)) {
          entry.handleEvent(new InboundEvent(message));
        }
    }
  }

  /** Messages with an outdated join_ref belong to an earlier incarnation and are dropped; null is always current. */
  #isCurrent(message: Message, entry: ChannelServer): boolean {
    return message.joinRef === null || message.joinRef === entry.joinRef;
  }

  // ## Joins

  #startJoin(message: Message, replaced: WireRef | null, rate: RateBuckets | null = null): void {
    const joinRef = message.joinRef ?? message.ref ?? "";
    const route = this.#router.route(message.topic);
    if (route === undefined) {
      this.#endpoint.log("warn", `no channel route matches topic "${message.topic}"`, { ...this.#errorContext(), cause: "unmatched_topic" });
      this.#reply(null, message.ref, message.topic, "error", { reason: "unmatched topic" });
      this.#closeReplaced(message.topic, replaced);
      return;
    }
    if (this.channelCount >= this.#limits.maxChannels) {
      this.#reply(joinRef, message.ref, message.topic, "error", { reason: "too many channels joined" });
      this.#closeReplaced(message.topic, replaced);
      return;
    }
    const server = new ChannelServer(this.#endpoint, this, route.target, message.topic, joinRef);
    server.replaced = replaced;
    server.rate = rate;
    if (route.target.slowConsumer !== "disconnect" && this.#outbound === null && this.#limits.maxBufferedBytes !== undefined) {
      this.#outbound = new OutboundQueue(this.#transport, this.#limits.maxBufferedBytes, this);
    }
    this.#topics.set(server);
    // The fresh channel runs its join now, in this turn (tracked above first: the join may write or end).
    // Answered synchronously: applied here, with no JoinOutcome message; its EXIT, if it ended, follows in
    // this mailbox as it would after a JoinOutcome. Else the JoinOutcome (or the EXIT) comes later.
    const outcome = server.startJoin(message);
    if (outcome !== null && this.alive) this.#joinFinished(server, outcome);
  }

  #replace(entry: ChannelServer): void {
    // The old incarnation ends quietly (no longer tracked): its phx_close is written after the new join's reply.
    this.#topics.delete(entry.topic);
    this.runtime.exit(entry.pid, shutdown("duplicate_join"));
  }

  #closeReplaced(topic: string, joinRef: WireRef | null): void {
    if (joinRef !== null) this.#push(joinRef, joinRef, topic, Reserved.CLOSE, EMPTY);
  }

  #joinFinished(server: ChannelServer, joined: boolean): void {
    const entry = this.#topics.get(server.topic);
    if (entry !== server || entry.state !== "joining") return;
    if (joined) {
      entry.state = "joined";
      entry.joinedAt = Date.now();
    } else this.#topics.delete(entry.topic);
    this.#closeReplaced(entry.topic, entry.replaced);
    this.#flushPending(entry);
  }

  #flushPending(entry: ChannelServer): void {
    const pending = entry.pending;
    if (pending === null) return;
    entry.pending = null;
    for (const message of pending) this.#dispatch(message);
  }

  /**
   * Stops tracking the channel process `pid` and returns its entry; `undefined` for a process no longer
   * tracked (a replaced channel). A scan, not an index: a connection holds few channels, and no map per
   * connection is kept for them.
   */
  #untrack(pid: Pid): ChannelServer | undefined {
    for (const entry of this.#topics.values()) {
      if (entry.pid === pid) {
        this.#topics.delete(entry.topic);
        return entry;
      }
    }
    const leaving = this.#leavingEntries;
    const i = leaving === null ? -1 : leaving.findIndex((entry) => entry.pid === pid);
    if (i === -1) return undefined;
    const [entry] = leaving!.splice(i, 1);
    if (leaving!.length === 0) this.#leavingEntries = null;
    return entry;
  }

  #channelExited(pid: Pid, reason: ExitReason): void {
    const entry = this.#untrack(pid);
    if (entry === undefined) return;
    if (entry.state === "joining") {
      // Killed before it could answer its join.
      this.#reply(entry.joinRef, entry.joinRef, entry.topic, "error", { reason: "join crashed" });
      this.#closeReplaced(entry.topic, entry.replaced);
      this.#flushPending(entry);
      return;
    }
    if (isCleanExit(reason)) {
      this.#push(entry.joinRef, entry.joinRef, entry.topic, Reserved.CLOSE, EMPTY);
    } else {
      this.#push(entry.joinRef, entry.joinRef, entry.topic, Reserved.ERROR, { reason: "channel_crash" });
    }
  }

  // ## Output helpers

  #reply(joinRef: WireRef | null, ref: WireRef | null, topic: string, status: string, response: AnyPayload): void {
    this.write(this.serializer.encodeReply({ joinRef, ref, topic, status, response }));
  }

  #push(joinRef: WireRef | null, ref: WireRef | null, topic: string, event: string, payload: AnyPayload): void {
    this.write(this.serializer.encodePush({ joinRef, ref, topic, event, payload }));
  }

  // ## Errors and timers

  #fail(error: ProtocolError | ServerError): void {
    this.#reportClientError(error);
    this.#endReason ??= error.code;
    const code = error instanceof ProtocolError ? error.closeCode : (error.status ?? CloseCode.POLICY_VIOLATION);
    this.close(code, error.code);
  }

  #reportClientError(error: FenixError): void {
    this.#endpoint.reportClientError(error, this.#errorContext());
  }

  /** Where the connection is, for error reports and log lines (built when needed: errors are rare). */
  #errorContext(): ClientErrorContext {
    return { path: this.#path, transport: this.#transport.name, address: this.#peer, socketId: this.socketId };
  }

  /** What every connection event says about the connection (built only when someone listens). */
  #telemetry(): Omit<SocketDisconnected, "durationMs" | "reason"> {
    return {
      source: this.#endpoint.api,
      node: this.#endpoint.pubsub.nodeName,
      path: this.#path,
      transport: this.#transport.name,
      address: this.#peer,
      socketId: this.socketId,
    };
  }

  #trace(direction: "in" | "out", data: Uint8Array | string, binary: boolean): void {
    const text = binary ? undefined : typeof data === "string" ? data.slice(0, TRACE_TEXT) : textDecoder.decode(data.subarray(0, TRACE_TEXT));
    FRAMES.publish({
      source: this.#endpoint.api,
      node: this.#endpoint.pubsub.nodeName,
      pid: this.pid.toString(),
      direction,
      binary,
      bytes: typeof data === "string" ? Buffer.byteLength(data) : data.byteLength,
      text,
    } satisfies FrameTraced);
  }

  #idleCheck(): void {
    // The sweeper found this connection silent; a frame may have arrived since.
    if (this.runtime.clock.now() - this.#lastSeen < this.#limits.idleTimeoutMs) return;
    this.#fail(
      new ServerError(ServerErrorCode.IDLE_TIMEOUT, `No frame from the client for ${this.#limits.idleTimeoutMs} ms.`, {
        status: CloseCode.GOING_AWAY,
      }),
    );
  }

}

function isBroadcast(message: unknown): message is { topic: string; event: string } {
  const m = message as { topic?: unknown; event?: unknown } | null;
  return typeof m === "object" && m !== null && typeof m.topic === "string" && typeof m.event === "string";
}

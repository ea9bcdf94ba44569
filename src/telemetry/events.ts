/**
 * Fenix's telemetry vocabulary: the name and payload type of every event the core publishes on
 * `node:diagnostics_channel`. It imports nothing from the other layers, so every layer can publish; the
 * endpoint's logger, the Prometheus metrics and the dashboard are subscribers like any other.
 *
 * Publishing costs one `hasSubscribers` check when nobody listens: payloads are built, and durations
 * measured (with `performance.now()`), only for channels someone subscribed to.
 *
 * @example
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 * import { TelemetryEvent, type ChannelHandledIn } from "fenix";
 *
 * subscribe(TelemetryEvent.CHANNEL_HANDLE_IN, (message) => {
 *   const event = message as ChannelHandledIn;
 *   if (event.durationMs > 100) console.warn(`slow ${event.event} on ${event.topic}: ${event.durationMs} ms`);
 * });
 * ```
 */
import { channel, type Channel } from "node:diagnostics_channel";

/** The diagnostics channel names of every Fenix event. */
export const TelemetryEvent = {
  /** A client connected, or was refused ({@link SocketConnected}). */
  SOCKET_CONNECT: "fenix:socket:connect",
  /** A client connection ended ({@link SocketDisconnected}). */
  SOCKET_DISCONNECT: "fenix:socket:disconnect",
  /** A frame went in or out of a connection: the live trace of the dashboard ({@link FrameTraced}). */
  FRAME: "fenix:socket:frame",
  /** A client was cut for reading too slowly ({@link SlowConsumer}). */
  SLOW_CONSUMER: "fenix:socket:slow_consumer",
  /** A push or broadcast queued for a slow client was dropped under its route's slow-consumer policy ({@link OutboundDropped}). */
  OUTBOUND_DROPPED: "fenix:socket:dropped",
  /** A client message was refused by a rate or length limit and answered with an error reply ({@link MessageLimited}). */
  LIMITED: "fenix:socket:limited",
  /** A client broke the protocol or a limit; the `clientError` event of the endpoint ({@link TransportError}). */
  TRANSPORT_ERROR: "fenix:transport:error",
  /** A join was answered: accepted, refused, or crashed ({@link ChannelJoined}). */
  CHANNEL_JOIN: "fenix:channel:join",
  /** A channel ended cleanly: left, stopped, closed with its connection ({@link ChannelLeft}). */
  CHANNEL_LEAVE: "fenix:channel:leave",
  /** A channel's callback threw or returned an error reason ({@link ChannelCrashed}). */
  CHANNEL_CRASH: "fenix:channel:crash",
  /** A channel on a topic with history caught a client up: a join with `since`, or a `fenix_recover` ({@link ChannelRecovered}). */
  CHANNEL_RECOVER: "fenix:channel:recover",
  /** `handleIn` handled a client event ({@link ChannelHandledIn}). */
  CHANNEL_HANDLE_IN: "fenix:channel:handle_in",
  /** `handleInfo` handled a process message ({@link ChannelHandledInfo}). */
  CHANNEL_HANDLE_INFO: "fenix:channel:handle_info",
  /** A broadcast reached this node's subscribers of a topic ({@link BroadcastDelivered}). */
  BROADCAST: "fenix:pubsub:broadcast",
  /** The link of a PubSub to the other nodes changed ({@link PubSubStatusChanged}). */
  PUBSUB_STATUS: "fenix:pubsub:status",
  /** A PubSub adapter reported a problem: lost messages, a bad frame ({@link PubSubErrored}). */
  PUBSUB_ERROR: "fenix:pubsub:error",
  /** Presences joined or left a topic, on this node's view ({@link PresenceDiffed}). */
  PRESENCE_DIFF: "fenix:presence:diff",
  /** A supervisor restarted a child ({@link SupervisorRestarted}). */
  SUPERVISOR_RESTART: "fenix:supervisor:restart",
  /** A process crashed with nobody linked to report it to (the runtime's last resort, {@link ProcessCrashed}). */
  PROCESS_CRASH: "fenix:process:crash",
  /** Something worth a log line that is none of the above ({@link LogRecorded}). */
  LOG: "fenix:log",
} as const;

/** One of {@link TelemetryEvent}'s names. */
export type TelemetryEventName = (typeof TelemetryEvent)[keyof typeof TelemetryEvent];

/**
 * Every payload carries `source`, the object that published it — the Endpoint (connections, channels,
 * broadcasts through it), the PubSub, the Presence tracker or the Runtime — so a subscriber can keep to
 * one endpoint when a process runs several, and `node`, the name of the node it runs on.
 */
export interface TelemetryBase {
  readonly source: object;
  readonly node: string;
}

/** {@link TelemetryEvent.SOCKET_CONNECT} */
export interface SocketConnected extends TelemetryBase {
  /** The socket mount, such as `/socket`. */
  readonly path: string;
  readonly transport: string;
  readonly address: string | undefined;
  readonly socketId: string | null;
  /** `"ok"`, `"refused"` (connect returned false, bad origin or vsn…: HTTP 403) or `"error"` (connect threw: 500). */
  readonly result: "ok" | "refused" | "error";
  /** How long `connect` and `id` took. */
  readonly durationMs: number;
}

/** What every event about one open connection names: its mount, transport, peer address and socket id. */
export interface ConnectionEvent extends TelemetryBase {
  /** The socket mount, such as `/socket`. */
  readonly path: string;
  readonly transport: string;
  readonly address: string | undefined;
  readonly socketId: string | null;
}

/** {@link TelemetryEvent.SOCKET_DISCONNECT} */
export interface SocketDisconnected extends ConnectionEvent {
  /** How long the connection lived. */
  readonly durationMs: number;
  /** Why: `"closed"` (the client went away), `"crash"`, `"shutdown"` (the endpoint stops), `"drain"` (closed by `endpoint.drain()`), `"disconnected"` (`endpoint.disconnect(id)`), or an error code such as `FENIX_ERR_SERVER_IDLE_TIMEOUT`. */
  readonly reason: string;
}

/** {@link TelemetryEvent.FRAME} */
export interface FrameTraced extends TelemetryBase {
  /** The connection process's pid, as text. */
  readonly pid: string;
  readonly direction: "in" | "out";
  readonly binary: boolean;
  readonly bytes: number;
  /** A text frame's first 2 KiB (`undefined` for binary frames). */
  readonly text: string | undefined;
}

/** {@link TelemetryEvent.SLOW_CONSUMER} */
export interface SlowConsumer extends ConnectionEvent {
  /** Outbound bytes (or LongPoll messages) queued when the client was cut, and the limit. */
  readonly buffered: number;
  readonly limit: number | undefined;
}

/** {@link TelemetryEvent.OUTBOUND_DROPPED}: published for every dropped message. */
export interface OutboundDropped extends ConnectionEvent {
  readonly topic: string;
  readonly event: string;
  /** `"dropOldest"` (the oldest queued message made room) or `"keepLatest"` (a newer one of the same event replaced it). */
  readonly policy: "dropOldest" | "keepLatest";
  /** The dropped frame's size in bytes. */
  readonly bytes: number;
}

/** {@link TelemetryEvent.LIMITED}: published for every refused message (the `clientError` is throttled, this is not). */
export interface MessageLimited extends ConnectionEvent {
  readonly topic: string;
  readonly event: string;
  /**
   * The limit that refused it: `"messages"`, `"bytes"`, `"joins"` (`rateLimit`), `"topic_messages"`,
   * `"topic_bytes"` (`topicRateLimit`), `"topic_length"` or `"event_length"`.
   */
  readonly limit: "messages" | "bytes" | "joins" | "topic_messages" | "topic_bytes" | "topic_length" | "event_length";
  /** For rate limits, how long until the message would have been accepted (ms); 0 for length limits. */
  readonly retryAfterMs: number;
}

/** {@link TelemetryEvent.TRANSPORT_ERROR} */
export interface TransportError extends ConnectionEvent {
  /** The error's `FENIX_ERR_*` code. */
  readonly code: string;
  readonly message: string;
  /** The close code or HTTP status the client was answered with, if any. */
  readonly status: number | undefined;
}

/** What every channel event says about the channel. */
export interface ChannelTelemetry extends TelemetryBase {
  readonly topic: string;
  /** The route pattern that matched the topic, such as `room:*`. */
  readonly route: string;
  /** The channel class's name. */
  readonly channel: string;
  readonly joinRef: string;
  readonly socketId: string | null;
  readonly transport: string;
}

/** {@link TelemetryEvent.CHANNEL_JOIN} */
export interface ChannelJoined extends ChannelTelemetry {
  /** `"ok"`, `"error"` (refused by `join`), or `"crash"` (`join` threw). */
  readonly result: "ok" | "error" | "crash";
  readonly durationMs: number;
}

/** {@link TelemetryEvent.CHANNEL_LEAVE} */
export interface ChannelLeft extends ChannelTelemetry {
  /** `"leave"` (the client left), `"closed"` (its connection closed), `"normal"`/`"shutdown"` (stopped), or a `shutdown` detail. */
  readonly reason: string;
  /** How long the channel was joined. */
  readonly durationMs: number;
}

/** {@link TelemetryEvent.CHANNEL_CRASH} */
export interface ChannelCrashed extends ChannelTelemetry {
  /** The crash reason, formatted for people (an error's name and message). */
  readonly reason: string;
  /** The thrown value or exit reason. */
  readonly error: unknown;
  /**
   * Where it crashed: in `join`, `handleIn`, `handleInfo`, `handleOut`, its process was killed (`"exit"`),
   * or an error escaped work the channel started and did not await — a floating promise, a timer, a
   * listener (`"async"`).
   */
  readonly during: "join" | "handleIn" | "handleInfo" | "handleOut" | "exit" | "async";
  /** How long the channel was joined (0 for a crash in join). */
  readonly durationMs: number;
}

/** {@link TelemetryEvent.CHANNEL_RECOVER} */
export interface ChannelRecovered extends ChannelTelemetry {
  /** `"join"` (a join with `since`) or `"gap"` (a `fenix_recover` from a client that noticed a gap). */
  readonly reason: "join" | "gap";
  /** Whether every message after the client's position was sent; false: the client reloads its state. */
  readonly recovered: boolean;
  /** How many missed messages were sent (0 when not recovered). */
  readonly messages: number;
  /** How long reading the history took (ms). */
  readonly durationMs: number;
}

/** {@link TelemetryEvent.CHANNEL_HANDLE_IN} */
export interface ChannelHandledIn extends ChannelTelemetry {
  readonly event: string;
  /** `"reply"`, `"noreply"`, `"stop"`, or `"crash"`. */
  readonly result: "reply" | "noreply" | "stop" | "crash";
  /** The reply's status, for `"reply"` (and a stop with a reply). */
  readonly status: string | undefined;
  /** Payload size in bytes as received (the decoded frame's payload: JSON text length or binary length). */
  readonly bytes: number;
  readonly durationMs: number;
}

/** {@link TelemetryEvent.CHANNEL_HANDLE_INFO} */
export interface ChannelHandledInfo extends ChannelTelemetry {
  /** `"ok"`, `"stop"`, or `"crash"`. */
  readonly result: "ok" | "stop" | "crash";
  readonly durationMs: number;
}

/** {@link TelemetryEvent.BROADCAST} */
export interface BroadcastDelivered extends TelemetryBase {
  readonly topic: string;
  /** The event name, for channel broadcasts (`undefined` for other PubSub messages). */
  readonly event: string | undefined;
  /** Local subscribers it was handed to (clients written directly, plus channel processes for intercepted events). */
  readonly subscribers: number;
  /** Bytes written to clients: the encoded frame's size times the clients it was written to. */
  readonly bytes: number;
  /** Whether it came from another node. */
  readonly remote: boolean;
}

/** {@link TelemetryEvent.PUBSUB_STATUS} */
export interface PubSubStatusChanged extends TelemetryBase {
  readonly status: "local" | "connecting" | "up" | "down";
  /** How long the link was down, when it comes back up. */
  readonly downMs: number | undefined;
  /** The other nodes known when the status changed. */
  readonly nodes: readonly string[];
}

/** {@link TelemetryEvent.PUBSUB_ERROR} */
export interface PubSubErrored extends TelemetryBase {
  readonly code: string;
  readonly message: string;
  readonly error: Error;
}

/** {@link TelemetryEvent.PRESENCE_DIFF} */
export interface PresenceDiffed extends TelemetryBase {
  readonly topic: string;
  /** Keys that joined, and keys that left (a key whose meta changed is in both). */
  readonly joins: number;
  readonly leaves: number;
  /** Keys present on the topic after the diff. */
  readonly size: number;
}

/** {@link TelemetryEvent.SUPERVISOR_RESTART} */
export interface SupervisorRestarted extends TelemetryBase {
  /** The supervisor's pid, as text (`<node.12>`). */
  readonly supervisor: string;
  /** The child's id in the supervisor, and its pid before the restart. */
  readonly child: string;
  readonly pid: string;
  /** The exit reason that caused the restart, formatted. */
  readonly reason: string;
}

/** {@link TelemetryEvent.PROCESS_CRASH} */
export interface ProcessCrashed extends TelemetryBase {
  readonly pid: string;
  readonly reason: string;
  readonly error: unknown;
}

/** {@link TelemetryEvent.LOG} */
export interface LogRecorded extends TelemetryBase {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /**
   * A stable key for what the record is about, such as `"unmatched_topic"`, where `message` varies (it
   * names a topic, an id). The endpoint's logger rate-limits lines by it; without one, by level and message.
   */
  readonly cause?: string;
}

/** The payload type of each event name. */
export interface TelemetryPayloads {
  [TelemetryEvent.SOCKET_CONNECT]: SocketConnected;
  [TelemetryEvent.SOCKET_DISCONNECT]: SocketDisconnected;
  [TelemetryEvent.FRAME]: FrameTraced;
  [TelemetryEvent.SLOW_CONSUMER]: SlowConsumer;
  [TelemetryEvent.OUTBOUND_DROPPED]: OutboundDropped;
  [TelemetryEvent.LIMITED]: MessageLimited;
  [TelemetryEvent.TRANSPORT_ERROR]: TransportError;
  [TelemetryEvent.CHANNEL_JOIN]: ChannelJoined;
  [TelemetryEvent.CHANNEL_LEAVE]: ChannelLeft;
  [TelemetryEvent.CHANNEL_CRASH]: ChannelCrashed;
  [TelemetryEvent.CHANNEL_RECOVER]: ChannelRecovered;
  [TelemetryEvent.CHANNEL_HANDLE_IN]: ChannelHandledIn;
  [TelemetryEvent.CHANNEL_HANDLE_INFO]: ChannelHandledInfo;
  [TelemetryEvent.BROADCAST]: BroadcastDelivered;
  [TelemetryEvent.PUBSUB_STATUS]: PubSubStatusChanged;
  [TelemetryEvent.PUBSUB_ERROR]: PubSubErrored;
  [TelemetryEvent.PRESENCE_DIFF]: PresenceDiffed;
  [TelemetryEvent.SUPERVISOR_RESTART]: SupervisorRestarted;
  [TelemetryEvent.PROCESS_CRASH]: ProcessCrashed;
  [TelemetryEvent.LOG]: LogRecorded;
}

/** The diagnostics channel of each event, created once. */
export const telemetryChannels: { readonly [K in TelemetryEventName]: Channel } = Object.fromEntries(
  Object.values(TelemetryEvent).map((name) => [name, channel(name)]),
) as { [K in TelemetryEventName]: Channel };

/**
 * The channel of `name`, for publishers: check `hasSubscribers` before building a payload.
 *
 * @example
 * ```ts
 * const ch = telemetry(TelemetryEvent.BROADCAST);
 * if (ch.hasSubscribers) ch.publish({ source, node, topic, event, subscribers, bytes, remote: false });
 * ```
 */
export function telemetry<K extends TelemetryEventName>(name: K): Channel {
  return telemetryChannels[name];
}

/** Publishes `payload` on `name`'s channel if anyone listens. Build costly payloads only after `hasSubscribers`. */
export function publish<K extends TelemetryEventName>(name: K, payload: TelemetryPayloads[K]): void {
  const ch = telemetryChannels[name];
  if (ch.hasSubscribers) ch.publish(payload);
}

/**
 * Subscribes to `name` with a typed listener; returns the function that unsubscribes it.
 *
 * @example
 * ```ts
 * const off = onTelemetry(TelemetryEvent.CHANNEL_JOIN, (event) => console.log(event.topic, event.result));
 * off();
 * ```
 */
export function onTelemetry<K extends TelemetryEventName>(name: K, listener: (payload: TelemetryPayloads[K]) => void): () => void {
  const ch = telemetryChannels[name];
  const wrapped = (message: unknown) => listener(message as TelemetryPayloads[K]);
  ch.subscribe(wrapped);
  return () => {
    ch.unsubscribe(wrapped);
  };
}

/** The current time for durations (`performance.now()`), or 0 when `ch` has no subscriber. */
export function startTimer(ch: Channel): number {
  return ch.hasSubscribers ? performance.now() : 0;
}

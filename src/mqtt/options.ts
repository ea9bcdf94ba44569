/**
 * The options of `enableMqtt` and their resolution: defaults, range checks with errors that name the fix,
 * and the topic mapping between MQTT topics (`room/lobby`) and channel topics (`room:lobby`).
 */
import type { Payload, JsonObject } from "../protocol/message.js";
import type { SocketClass } from "../server/socket/socket.js";
import { MqttError, MqttErrorCode } from "./errors.js";

/** Who an MQTT client is, as `authorize` hooks and bridge callbacks see it. */
export interface MqttClientInfo {
  readonly clientId: string;
  readonly username: string | undefined;
  /** The protocol level: 4 (3.1.1; also 3 for 3.1) or 5. */
  readonly protocolVersion: 3 | 4 | 5;
  /** `"mqtt"` (TCP) or `"mqtt-ws"` (WebSocket). */
  readonly transport: string;
  readonly address: string | undefined;
  /** The socket's assigns after its `connect` (empty without a `socket`). */
  readonly assigns: Readonly<Record<string, unknown>>;
}

/** A PUBLISH arriving on a channel topic, before it becomes a channel event. */
export interface MqttInbound {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  /** MQTT 5 user properties, if any. */
  readonly userProperties: Readonly<Record<string, string | string[]>> | undefined;
  readonly contentType: string | undefined;
  readonly client: MqttClientInfo;
}

/** How one channel route talks to MQTT clients. */
export interface MqttBridgeRoute {
  /**
   * The join params an MQTT client's SUBSCRIBE (or first PUBLISH) joins with.
   * @defaultValue `{ client_id, username }` plus the SUBSCRIBE's MQTT 5 user properties
   */
  join?: (client: MqttClientInfo, topic: string) => JsonObject;
  /**
   * Turns a PUBLISH into the event `handleIn` receives; `null` drops it (acknowledged with reason 0x99,
   * payload format invalid, for MQTT 5 QoS 1 and 2).
   * @defaultValue event `"publish"`; the payload parsed as JSON when it is a JSON object, else the bytes
   */
  inbound?: (message: MqttInbound) => { readonly event: string; readonly payload: Payload } | null;
  /**
   * Which pushed and broadcast events reach MQTT subscribers. A list of event names, or a function
   * returning the payload to send (a JSON object or bytes) or `null` to skip the event.
   * @defaultValue every event except Phoenix's reserved ones (`phx_*`), payload as JSON
   */
  outbound?: readonly string[] | ((event: string, payload: Payload) => Payload | null);
}

/** Maps MQTT topic names to channel topics and back. */
export interface MqttTopicMapping {
  /** The channel topic of an MQTT topic name. @defaultValue the first `/` becomes `:` (`room/lobby` → `room:lobby`) */
  toChannel(mqttTopic: string): string;
  /** The MQTT topic of a channel topic. @defaultValue the first `:` becomes `/` */
  toMqtt(channelTopic: string): string;
}

/** Options of {@link enableMqtt}. */
export interface MqttOptions {
  /** TCP port of the MQTT listener; `0` picks a free one; `false` for none (WebSocket only). @defaultValue 1883 */
  port?: number | false;
  /** Address the TCP listener binds. @defaultValue every interface */
  host?: string;
  /** Also accept MQTT over WebSocket (subprotocol `mqtt`) at this path of the endpoint's HTTP server. @defaultValue none */
  websocket?: string | false;
  /**
   * The socket whose `connect` authenticates MQTT clients (params `username`, `password`, `client_id`)
   * and whose channel routes MQTT topics are bridged to. Without it the endpoint is a plain broker.
   */
  socket?: SocketClass;
  /** Per channel route pattern (`"room:*"`), how MQTT clients join, publish and receive. */
  bridge?: Readonly<Record<string, MqttBridgeRoute>>;
  /**
   * What happens to topics no channel route matches: served by the broker, or refused (SUBACK 0x87,
   * PUBLISH dropped and, for QoS 1 and 2, acknowledged 0x87).
   * @defaultValue `"broker"` without a `socket`, `"refuse"` with one
   */
  unrouted?: "broker" | "refuse";
  /** The mapping between MQTT and channel topics. */
  topics?: MqttTopicMapping;
  /**
   * Authenticates a client when there is no `socket` (with one, its `connect` decides). Return false to
   * refuse with CONNACK "not authorized".
   */
  authenticate?: (client: MqttClientInfo, password: Uint8Array | undefined) => boolean | Promise<boolean>;
  /**
   * Authorizes PUBLISH (and wills) and SUBSCRIBE on broker topics (channel topics are authorized by
   * `join`). A shared subscription `$share/<group>/<filter>` is authorized on its `<filter>`.
   */
  authorize?: {
    publish?: (client: MqttClientInfo, topic: string) => boolean;
    subscribe?: (client: MqttClientInfo, filter: string) => boolean;
  };
  /** Largest packet accepted, in bytes (announced to MQTT 5 clients). @defaultValue 1 MiB */
  maxPacketBytes?: number;
  /** QoS 1 and 2 PUBLISHes a client may have unacknowledged (announced as Receive Maximum). @defaultValue 100 */
  receiveMaximum?: number;
  /** QoS 1 and 2 messages sent to one client and unacknowledged, at most. @defaultValue 100 */
  maxInflight?: number;
  /** Messages queued for one client (beyond its in-flight window, or while away), at most. @defaultValue 1000 */
  maxQueued?: number;
  /** Topic aliases a client may use (announced as Topic Alias Maximum). @defaultValue 32 */
  topicAliasMaximum?: number;
  /** Longest session expiry granted, in seconds (MQTT 3.1.1 persistent sessions get this). @defaultValue 86400 */
  maxSessionExpirySec?: number;
  /** Longest keep-alive accepted, in seconds; longer (or 0) is lowered, and MQTT 5 clients are told. `0` accepts any. @defaultValue 0 */
  maxKeepAliveSec?: number;
  /** Time a new connection has to send CONNECT (ms). @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Outbound bytes queued for one slow client before it is disconnected. @defaultValue 8 MiB */
  maxBufferedBytes?: number;
  /** Highest QoS granted. @defaultValue 2 */
  maxQos?: 0 | 1 | 2;
  /** Retained messages kept, or `false` to refuse retained messages. @defaultValue 100,000 messages, 256 MiB */
  retained?: { readonly maxMessages?: number; readonly maxBytes?: number } | false;
}

/** @internal Resolved options. */
export interface MqttSettings {
  readonly port: number | false;
  readonly host: string | undefined;
  readonly websocket: string | false;
  readonly socket: SocketClass | undefined;
  readonly bridge: Readonly<Record<string, MqttBridgeRoute>>;
  readonly unrouted: "broker" | "refuse";
  readonly topics: MqttTopicMapping;
  readonly authenticate: MqttOptions["authenticate"];
  readonly authorize: NonNullable<MqttOptions["authorize"]>;
  readonly maxPacketBytes: number;
  readonly receiveMaximum: number;
  readonly maxInflight: number;
  readonly maxQueued: number;
  readonly topicAliasMaximum: number;
  readonly maxSessionExpirySec: number;
  readonly maxKeepAliveSec: number;
  readonly connectTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly maxQos: 0 | 1 | 2;
  readonly retained: { readonly maxMessages: number; readonly maxBytes: number } | null;
}

/** The default mapping: the first `/` of an MQTT topic is the `:` of a channel topic. */
export const defaultTopicMapping: MqttTopicMapping = {
  toChannel: (topic) => topic.replace("/", ":"),
  toMqtt: (topic) => topic.replace(":", "/"),
};

/** @internal Resolves and checks the options. */
export function resolveMqttOptions(options: MqttOptions): MqttSettings {
  const port = options.port ?? 1883;
  if (port !== false && !(Number.isInteger(port) && port >= 0 && port <= 65535)) bad("port", "an integer from 0 to 65535, or false", port);
  const websocket = options.websocket ?? false;
  if (websocket !== false && (typeof websocket !== "string" || !websocket.startsWith("/"))) bad("websocket", "an absolute path such as \"/mqtt\", or false", websocket);
  if (port === false && websocket === false) {
    throw new MqttError(MqttErrorCode.BAD_OPTION, "MQTT has neither a TCP port nor a WebSocket path; give `port` or `websocket`.");
  }
  const unrouted = options.unrouted ?? (options.socket === undefined ? "broker" : "refuse");
  if (unrouted !== "broker" && unrouted !== "refuse") bad("unrouted", "\"broker\" or \"refuse\"", unrouted);
  if (options.bridge !== undefined && options.socket === undefined) {
    throw new MqttError(MqttErrorCode.BAD_OPTION, "Option bridge needs a socket: give `socket` (the Socket class whose channel routes MQTT topics bridge to).");
  }
  const retained =
    options.retained === false
      ? null
      : { maxMessages: int(options.retained?.maxMessages ?? 100_000, "retained.maxMessages", 1), maxBytes: int(options.retained?.maxBytes ?? 256 * 1024 * 1024, "retained.maxBytes", 1) };
  const maxQos = options.maxQos ?? 2;
  if (maxQos !== 0 && maxQos !== 1 && maxQos !== 2) bad("maxQos", "0, 1 or 2", maxQos);
  return {
    port,
    host: options.host,
    websocket,
    socket: options.socket,
    bridge: options.bridge ?? {},
    unrouted,
    topics: options.topics ?? defaultTopicMapping,
    authenticate: options.authenticate,
    authorize: options.authorize ?? {},
    maxPacketBytes: int(options.maxPacketBytes ?? 1024 * 1024, "maxPacketBytes", 16, 268_435_460),
    receiveMaximum: int(options.receiveMaximum ?? 100, "receiveMaximum", 1, 65535),
    maxInflight: int(options.maxInflight ?? 100, "maxInflight", 1, 65535),
    maxQueued: int(options.maxQueued ?? 1000, "maxQueued", 0),
    topicAliasMaximum: int(options.topicAliasMaximum ?? 32, "topicAliasMaximum", 0, 65535),
    maxSessionExpirySec: int(options.maxSessionExpirySec ?? 86_400, "maxSessionExpirySec", 0, 0xffffffff),
    maxKeepAliveSec: int(options.maxKeepAliveSec ?? 0, "maxKeepAliveSec", 0, 65535),
    connectTimeoutMs: int(options.connectTimeoutMs ?? 10_000, "connectTimeoutMs", 1),
    maxBufferedBytes: int(options.maxBufferedBytes ?? 8 * 1024 * 1024, "maxBufferedBytes", 1),
    maxQos,
    retained,
  };
}

function int(value: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) bad(name, `an integer from ${min} to ${max}`, value);
  return value;
}

function bad(name: string, expected: string, got: unknown): never {
  throw new MqttError(MqttErrorCode.BAD_OPTION, `Option ${name} must be ${expected}; got ${JSON.stringify(got) ?? String(got)}.`);
}

/**
 * Typed errors of the MQTT layer: API misuse (thrown at once) and client errors (a peer broke the MQTT
 * rules; reported through the endpoint's `clientError` event, the connection closed with the MQTT 5
 * reason code the specification asks for).
 */
import { FenixError } from "../errors/fenix-error.js";
import { ReasonCode } from "./reason-codes.js";

/** Stable codes of {@link MqttError}. Each is documented in docs/errors.md. */
export const MqttErrorCode = {
  /** An option of `enableMqtt` has a value of the wrong type or range. */
  BAD_OPTION: "FENIX_ERR_MQTT_BAD_OPTION",
  /** `enableMqtt` was called on an endpoint that already started, or twice on one endpoint. */
  BAD_STATE: "FENIX_ERR_MQTT_BAD_STATE",
  /** The MQTT TCP listener could not listen (port in use, no permission). */
  LISTEN_FAILED: "FENIX_ERR_MQTT_LISTEN_FAILED",
  /** A packet could not be parsed (closed; reason 0x81 for MQTT 5 clients). */
  MALFORMED_PACKET: "FENIX_ERR_MQTT_MALFORMED_PACKET",
  /** A packet broke the protocol: a second CONNECT, a packet before CONNECT, a server-only packet… (reason 0x82). */
  PROTOCOL_ERROR: "FENIX_ERR_MQTT_PROTOCOL_ERROR",
  /** A packet was larger than `maxPacketBytes` (reason 0x95). */
  PACKET_TOO_LARGE: "FENIX_ERR_MQTT_PACKET_TOO_LARGE",
  /** CONNECT asked for a protocol level other than 3.1.1 (4) or 5.0 (5) (CONNACK 0x84 / return code 1). */
  UNSUPPORTED_PROTOCOL_VERSION: "FENIX_ERR_MQTT_UNSUPPORTED_PROTOCOL_VERSION",
  /** The client id was refused (empty with a persistent session on MQTT 3.1.1, too long) (0x85). */
  BAD_CLIENT_ID: "FENIX_ERR_MQTT_BAD_CLIENT_ID",
  /** The socket's `connect` (or the `authenticate` option) refused the client (CONNACK 0x87 / 0x86). */
  NOT_AUTHORIZED: "FENIX_ERR_MQTT_NOT_AUTHORIZED",
  /** A PUBLISH named an invalid topic (wildcards, U+0000, empty without an alias) (reason 0x90). */
  BAD_TOPIC_NAME: "FENIX_ERR_MQTT_BAD_TOPIC_NAME",
  /** A topic alias was 0, above the maximum, or unknown (reason 0x94). */
  BAD_TOPIC_ALIAS: "FENIX_ERR_MQTT_BAD_TOPIC_ALIAS",
  /** The client had more QoS 1 and 2 PUBLISHes unacknowledged than the server's Receive Maximum (0x93). */
  RECEIVE_MAXIMUM_EXCEEDED: "FENIX_ERR_MQTT_RECEIVE_MAXIMUM_EXCEEDED",
  /** No packet arrived within one and a half times the keep-alive (reason 0x8D). */
  KEEP_ALIVE_TIMEOUT: "FENIX_ERR_MQTT_KEEP_ALIVE_TIMEOUT",
  /** No CONNECT arrived within `connectTimeoutMs` of the connection opening. */
  CONNECT_TIMEOUT: "FENIX_ERR_MQTT_CONNECT_TIMEOUT",
  /** The client read too slowly: its outbound bytes passed `maxBufferedBytes` (reason 0x97). */
  SLOW_CONSUMER: "FENIX_ERR_MQTT_SLOW_CONSUMER",
} as const;

/** One of the {@link MqttErrorCode} values. */
export type MqttErrorCode = (typeof MqttErrorCode)[keyof typeof MqttErrorCode];

/** An error of the MQTT layer; `reasonCode` is the MQTT 5 reason code sent to the client, if any. */
export class MqttError extends FenixError {
  declare readonly code: MqttErrorCode;
  /** The MQTT 5 reason code that goes with this error (in CONNACK or DISCONNECT). */
  readonly reasonCode: number;

  constructor(code: MqttErrorCode, message: string, options: { reasonCode?: number; cause?: unknown } = {}) {
    super(code, message, options);
    this.reasonCode = options.reasonCode ?? ReasonCode.UNSPECIFIED_ERROR;
  }
}

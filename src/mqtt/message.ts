/**
 * An application message as the broker carries it between sessions and nodes: the topic, the payload
 * bytes, the publisher's QoS and retain flag, and the MQTT 5 properties that travel with it. Plain data
 * (strings, numbers, Uint8Arrays), so a message crosses nodes through PubSub unchanged.
 */
import type { QoS } from "mqtt-packet";

/** The MQTT 5 PUBLISH properties a message carries to its subscribers. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: Record<string, string | string[]>;
}

/** One application message. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: MessageProperties;
  /** When it stops being delivered (ms since the epoch, from MQTT 5 Message Expiry Interval). */
  readonly expiresAt?: number;
  /** The publishing client's id (No Local), or undefined for the server and wills. */
  readonly origin?: string;
}

/** Copies the forwardable MQTT 5 properties of a PUBLISH (the alias and subscription ids stay behind). */
export function messageProperties(properties: {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: Record<string, string | string[]>;
} | undefined): MessageProperties | undefined {
  if (properties === undefined) return undefined;
  const out: MessageProperties = {};
  if (properties.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.contentType !== undefined) out.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) out.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) out.correlationData = properties.correlationData;
  if (properties.userProperties !== undefined) out.userProperties = properties.userProperties;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The PUBLISH encoder of the fanout path, written by hand because it runs once per subscriber per
 * message: a PUBLISH without properties (every MQTT 3.1.1 one, and MQTT 5 ones that carry no property)
 * is a fixed header, the topic, the packet id and the payload, built into one buffer with no
 * intermediate objects; a QoS 0 one is encoded once for every subscriber of a message. Everything else
 * goes through `mqtt-packet`.
 */
import mqttPacket, { type QoS } from "mqtt-packet";
import type { MqttMessage } from "./message.js";

/** The last QoS 0 PUBLISH encoded: a fanout sends the same bytes to every QoS 0 subscriber. */
let lastEncoded: { message: MqttMessage; retain: boolean; version: number; bytes: Buffer } | null = null;

/**
 * Encodes the PUBLISH of `message` for one subscriber at protocol level `version`. `now` (ms) turns an
 * expiry into the remaining Message Expiry Interval.
 */
export function encodePublish(
  version: 3 | 4 | 5,
  message: MqttMessage,
  qos: QoS,
  retain: boolean,
  packetId: number,
  dup: boolean,
  subscriptionIds: readonly number[] | undefined,
  now: number,
): Buffer {
  const plain = version !== 5 || (message.properties === undefined && message.expiresAt === undefined && (subscriptionIds === undefined || subscriptionIds.length === 0));
  if (!plain) return encodeWithProperties(message, qos, retain, packetId, dup, subscriptionIds, now);
  if (qos !== 0) return encodePlainPublish(message.topic, message.payload, qos, retain, dup, packetId, version === 5);
  const cached = lastEncoded;
  if (cached !== null && cached.message === message && cached.retain === retain && cached.version === version) return cached.bytes;
  const bytes = encodePlainPublish(message.topic, message.payload, 0, retain, false, 0, version === 5);
  lastEncoded = { message, retain, version, bytes };
  return bytes;
}

/** An MQTT 5 PUBLISH with properties, through mqtt-packet. */
function encodeWithProperties(message: MqttMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean, subscriptionIds: readonly number[] | undefined, now: number): Buffer {
  const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
  const packet: mqttPacket.IPublishPacket = { cmd: "publish", topic: message.topic, payload, qos, retain, dup };
  if (qos > 0) packet.messageId = packetId;
  const props: NonNullable<mqttPacket.IPublishPacket["properties"]> = {};
  const p = message.properties;
  if (p !== undefined) {
    if (p.payloadFormatIndicator !== undefined) props.payloadFormatIndicator = p.payloadFormatIndicator;
    if (p.contentType !== undefined) props.contentType = p.contentType;
    if (p.responseTopic !== undefined) props.responseTopic = p.responseTopic;
    if (p.correlationData !== undefined) props.correlationData = Buffer.from(p.correlationData);
    if (p.userProperties !== undefined) props.userProperties = p.userProperties;
  }
  if (message.expiresAt !== undefined) props.messageExpiryInterval = Math.max(0, Math.ceil((message.expiresAt - now) / 1000));
  if (subscriptionIds !== undefined && subscriptionIds.length > 0) props.subscriptionIdentifier = subscriptionIds.length === 1 ? subscriptionIds[0]! : [...subscriptionIds];
  if (Object.keys(props).length > 0) packet.properties = props;
  return mqttPacket.generate(packet, { protocolVersion: 5 });
}

let lastTopic = "";
let lastTopicBytes: Buffer = Buffer.alloc(0);

/** The UTF-8 bytes of a topic; the last one is cached (a fanout encodes one topic many times). */
function topicBytes(topic: string): Buffer {
  if (topic !== lastTopic) {
    lastTopic = topic;
    lastTopicBytes = Buffer.from(topic, "utf8");
  }
  return lastTopicBytes;
}

/** Bytes of the remaining-length field for `length`. */
function lengthBytes(length: number): number {
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}

/**
 * Encodes a PUBLISH with no properties. `v5` adds the empty property length MQTT 5 requires.
 */
export function encodePlainPublish(topic: string, payload: Uint8Array, qos: QoS, retain: boolean, dup: boolean, packetId: number, v5: boolean): Buffer {
  const t = topicBytes(topic);
  const remaining = 2 + t.length + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  const size = 1 + lengthBytes(remaining) + remaining;
  const out = Buffer.allocUnsafe(size);
  out[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let at = 1;
  let length = remaining;
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    out[at++] = byte;
  } while (length > 0);
  out[at++] = t.length >> 8;
  out[at++] = t.length & 0xff;
  t.copy(out, at);
  at += t.length;
  if (qos > 0) {
    out[at++] = packetId >> 8;
    out[at++] = packetId & 0xff;
  }
  if (v5) out[at++] = 0;
  out.set(payload, at);
  return out;
}

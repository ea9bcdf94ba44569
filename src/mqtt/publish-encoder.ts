/**
 * The PUBLISH encoder of the fanout path, written by hand because it runs once per subscriber per
 * message: a PUBLISH without properties (every MQTT 3.1.1 one, and MQTT 5 ones that carry no property)
 * is a fixed header, the topic, the packet id and the payload, built into one buffer with no
 * intermediate objects. Everything else goes through `mqtt-packet`.
 */
import type { QoS } from "mqtt-packet";

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

/**
 * Inbound PUBLISH and PUBREL: topic aliases, topic and QoS checks, the Receive Maximum, then either the
 * broker (retained, routed to every matching subscription on every node) or, for a channel topic, the
 * channel's `handleIn` — acknowledged (PUBACK, PUBREC) once the channel has handled it.
 */
import type { IPublishPacket, IPubrelPacket, Packet, QoS } from "mqtt-packet";
import type { JsonObject, Payload } from "../../protocol/message.js";
import type { MqttConnection } from "../connection.js";
import { MqttError, MqttErrorCode } from "../errors.js";
import { messageProperties } from "../message.js";
import type { MqttInbound } from "../options.js";
import { ReasonCode } from "../reason-codes.js";
import { isValidTopicName } from "../topic.js";
import { channelRoute } from "./bridged.js";
import { joinParams } from "./subscribe.js";

const decoder = new TextDecoder();

/** Handles a PUBLISH from the client. */
export function handlePublish(conn: MqttConnection, packet: IPublishPacket): void {
  const { settings } = conn.ctx;
  const session = conn.session!;
  const qos = packet.qos;
  const packetId = packet.messageId ?? 0;
  const topic = resolveTopic(conn, packet);
  if (topic === null) return;
  if (qos > settings.maxQos) {
    conn.fail(new MqttError(MqttErrorCode.PROTOCOL_ERROR, `PUBLISH with QoS ${qos}; this server grants at most ${settings.maxQos}.`, { reasonCode: ReasonCode.QOS_NOT_SUPPORTED }));
    return;
  }
  if (packet.retain && settings.retained === null) {
    conn.fail(new MqttError(MqttErrorCode.PROTOCOL_ERROR, "A retained PUBLISH; this server keeps no retained messages.", { reasonCode: ReasonCode.RETAIN_NOT_SUPPORTED }));
    return;
  }
  if (qos === 2 && session.inboundQos2.has(packetId)) {
    // A resent QoS 2 PUBLISH already forwarded: acknowledge again, forward nothing (exactly once).
    if (!conn.bridgedAcksHas(packetId)) conn.send({ cmd: "pubrec", messageId: packetId } as Packet);
    return;
  }
  if (qos > 0 && session.inboundQos2.size + conn.bridgedAcks.size >= settings.receiveMaximum) {
    conn.fail(
      new MqttError(MqttErrorCode.RECEIVE_MAXIMUM_EXCEEDED, `More than ${settings.receiveMaximum} QoS 1 and 2 PUBLISHes unacknowledged.`, {
        reasonCode: ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
      }),
    );
    return;
  }
  const payload: Uint8Array = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;

  const route = channelRoute(conn.ctx, topic);
  if (route !== null) {
    const inbound: MqttInbound = {
      topic,
      payload,
      qos,
      userProperties: packet.properties?.userProperties,
      contentType: packet.properties?.contentType,
      client: conn.client!,
    };
    let event: { readonly event: string; readonly payload: Payload } | null;
    try {
      event = (route.options.inbound ?? defaultInbound)(inbound);
    } catch (err) {
      conn.ctx.endpoint.log("error", `the MQTT inbound mapping of ${route.pattern} threw`, { error: err, ...conn.errorContext });
      event = null;
    }
    if (event === null) {
      acknowledge(conn, qos, packetId, ReasonCode.PAYLOAD_FORMAT_INVALID);
      return;
    }
    const bridge = conn.bridge!;
    if (!bridge.has(route.topic)) void bridge.join(route.topic, joinParams(conn, route, undefined));
    let ack: number | null = null;
    if (qos > 0) {
      ack = ++conn.ackSeq;
      conn.bridgedAcks.set(ack, { packetId, qos });
      if (qos === 2) session.inboundQos2.add(packetId);
    }
    bridge.push(route.topic, event.event, event.payload, ack);
    return;
  }

  const client = conn.client!;
  const allowed = settings.unrouted === "broker" && (settings.authorize.publish?.(client, topic) ?? true);
  if (!allowed) {
    conn.ctx.endpoint.log("info", `MQTT PUBLISH to "${topic}" refused`, { ...conn.errorContext, cause: "mqtt_publish_refused" });
    acknowledge(conn, qos, packetId, ReasonCode.NOT_AUTHORIZED);
    return;
  }
  const expiry = conn.v5 ? packet.properties?.messageExpiryInterval : undefined;
  conn.ctx.broker.publish({
    topic,
    payload,
    qos,
    retain: packet.retain,
    properties: conn.v5 ? messageProperties(packet.properties) : undefined,
    expiresAt: expiry === undefined ? undefined : conn.runtime.clock.now() + expiry * 1000,
    origin: client.clientId,
  });
  if (qos === 2) session.inboundQos2.add(packetId);
  acknowledge(conn, qos, packetId, ReasonCode.SUCCESS);
}

/**
 * PUBACK (QoS 1) or PUBREC (QoS 2) with a reason code (MQTT 5; MQTT 3.1.1 clients get a plain one) and a
 * reason string, unless the client set Request Problem Information to 0.
 */
function acknowledge(conn: MqttConnection, qos: QoS, packetId: number, reasonCode: number, reasonString?: string): void {
  if (qos === 0) return;
  const packet: Record<string, unknown> = { cmd: qos === 1 ? "puback" : "pubrec", messageId: packetId };
  if (conn.v5 && reasonCode !== ReasonCode.SUCCESS) {
    packet.reasonCode = reasonCode;
    if (reasonString !== undefined && conn.requestProblemInformation) packet.properties = { reasonString: reasonString.slice(0, 200) };
  }
  if (qos === 2 && reasonCode >= 0x80) conn.session!.inboundQos2.delete(packetId);
  conn.send(packet as unknown as Packet);
}

/** A channel handled a QoS 1 or 2 PUBLISH: acknowledge it (an error reply becomes reason 0x83 / 0x87). */
export function bridgedAcknowledged(conn: MqttConnection, ack: number, status: string | null, reason: string | undefined): void {
  const pending = conn.bridgedAcks.get(ack);
  if (pending === undefined) return;
  conn.bridgedAcks.delete(ack);
  if (conn.state !== "connected") return;
  const refused = status !== null && status !== "ok";
  const code = !refused ? ReasonCode.SUCCESS : reason === "unauthorized" || reason === "unmatched topic" ? ReasonCode.NOT_AUTHORIZED : ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
  acknowledge(conn, pending.qos, pending.packetId, code, refused ? reason : undefined);
}

/** Handles PUBREL: the QoS 2 exchange of an inbound message completes with PUBCOMP. */
export function handlePubrel(conn: MqttConnection, packet: IPubrelPacket): void {
  const id = packet.messageId ?? 0;
  const known = conn.session!.inboundQos2.delete(id);
  const reply: Record<string, unknown> = { cmd: "pubcomp", messageId: id };
  if (!known && conn.v5) reply.reasonCode = ReasonCode.PACKET_IDENTIFIER_NOT_FOUND;
  conn.send(reply as unknown as Packet);
}

/** The topic of a PUBLISH, after its MQTT 5 topic alias; null when the connection was closed for it. */
function resolveTopic(conn: MqttConnection, packet: IPublishPacket): string | null {
  let topic = packet.topic;
  const alias = conn.v5 ? packet.properties?.topicAlias : undefined;
  if (alias !== undefined) {
    if (alias === 0 || alias > conn.ctx.settings.topicAliasMaximum) {
      conn.fail(new MqttError(MqttErrorCode.BAD_TOPIC_ALIAS, `Topic alias ${alias} is outside 1…${conn.ctx.settings.topicAliasMaximum}.`, { reasonCode: ReasonCode.TOPIC_ALIAS_INVALID }));
      return null;
    }
    if (topic === "") {
      const known = conn.aliases.get(alias);
      if (known === undefined) {
        conn.fail(new MqttError(MqttErrorCode.BAD_TOPIC_ALIAS, `Topic alias ${alias} was never set on this connection.`, { reasonCode: ReasonCode.PROTOCOL_ERROR }));
        return null;
      }
      topic = known;
    } else if (isValidTopicName(topic)) conn.aliases.set(alias, topic);
  }
  if (!isValidTopicName(topic)) {
    conn.fail(new MqttError(MqttErrorCode.BAD_TOPIC_NAME, `"${topic.slice(0, 100)}" is not a valid topic name.`, { reasonCode: ReasonCode.TOPIC_NAME_INVALID }));
    return null;
  }
  return topic;
}

/** The default inbound mapping: event `publish`; a JSON object payload parsed, anything else as bytes. */
export function defaultInbound(message: MqttInbound): { event: string; payload: Payload } {
  const bytes = message.payload;
  if (bytes.length > 0 && bytes[0] === 0x7b /* { */) {
    try {
      const parsed = JSON.parse(decoder.decode(bytes)) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { event: "publish", payload: parsed as JsonObject };
    } catch {
      // not JSON: delivered as bytes
    }
  }
  return { event: "publish", payload: bytes };
}

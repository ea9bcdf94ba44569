/**
 * SUBSCRIBE and UNSUBSCRIBE, and what flows back to subscriptions on channel topics. An exact filter
 * naming a channel topic joins that channel (its `join` authorizes; SUBACK waits for the answer) and
 * receives what the channel pushes and broadcasts; other filters (wildcards included) are the broker's,
 * answered at once and followed by the retained messages they match.
 */
import type { ISubscribePacket, IUnsubscribePacket, Packet, QoS } from "mqtt-packet";
import type { JsonObject, Payload } from "../../protocol/message.js";
import { Reserved } from "../../protocol/reserved.js";
import type { MqttConnection } from "../connection.js";
import { MqttError, MqttErrorCode } from "../errors.js";
import type { MqttMessage } from "../message.js";
import type { MqttBridgeRoute } from "../options.js";
import { ReasonCode } from "../reason-codes.js";
import type { Subscription } from "../session/session.js";
import { isValidTopicFilter, parseSharedFilter } from "../topic.js";
import type { RetainedMessage } from "../retained-store.js";
import type { BridgeFrame } from "../bridge/bridge-serializer.js";
import { channelRoute } from "./bridged.js";

const encoder = new TextEncoder();
/** Wait before joining again a channel that crashed (its client cannot rejoin by itself). */
const REJOIN_DELAY_MS = 1_000;

/** A channel of a subscription crashed; time to join it again. */
export class RejoinDue {
  constructor(readonly topic: string) {}
}

/** The join params of an MQTT client for a channel route. */
export function joinParams(
  conn: MqttConnection,
  route: { readonly topic: string; readonly options: MqttBridgeRoute },
  userProperties: Readonly<Record<string, string | string[]>> | undefined,
): JsonObject {
  const client = conn.client!;
  if (route.options.join !== undefined) return route.options.join(client, route.topic);
  const params: JsonObject = { ...(userProperties ?? {}), client_id: client.clientId };
  if (client.username !== undefined) params.username = client.username;
  return params;
}

/** Handles SUBSCRIBE. */
export async function handleSubscribe(conn: MqttConnection, packet: ISubscribePacket): Promise<void> {
  const { settings, broker } = conn.ctx;
  const session = conn.session!;
  const client = conn.client!;
  const identifier = conn.v5 ? packet.properties?.subscriptionIdentifier : undefined;
  const userProperties = conn.v5 ? packet.properties?.userProperties : undefined;
  if (identifier === 0) {
    conn.fail(new MqttError(MqttErrorCode.PROTOCOL_ERROR, "Subscription identifier 0 is not allowed.", { reasonCode: ReasonCode.PROTOCOL_ERROR }));
    return;
  }
  const codes: Array<number | Promise<number>> = [];
  const retained: Array<{ messages: RetainedMessage[]; sub: Subscription }> = [];
  for (const request of packet.subscriptions) {
    const filter = request.topic;
    const share = parseSharedFilter(filter);
    const inner = share === null ? filter : share?.filter;
    if (share === undefined || inner === undefined || !isValidTopicFilter(inner)) {
      codes.push(conn.v5 ? ReasonCode.TOPIC_FILTER_INVALID : ReasonCode.UNSPECIFIED_ERROR);
      continue;
    }
    if (share !== null && request.nl === true) {
      conn.fail(new MqttError(MqttErrorCode.PROTOCOL_ERROR, "No Local on a shared subscription is a protocol error.", { reasonCode: ReasonCode.PROTOCOL_ERROR }));
      return;
    }
    const qos = Math.min(request.qos, settings.maxQos) as QoS;
    const wildcard = inner.includes("+") || inner.includes("#");
    const route = share === null && !wildcard ? channelRoute(conn.ctx, inner) : null;
    const sub: Subscription = {
      filter,
      share,
      qos,
      noLocal: request.nl === true,
      retainAsPublished: request.rap === true,
      retainHandling: (request.rh ?? 0) as 0 | 1 | 2,
      identifier,
      bridged: route !== null,
    };
    if (route !== null) {
      const joining = conn.bridge!.join(route.topic, joinParams(conn, route, userProperties)).then((result) => {
        if (!result.ok) return conn.v5 ? ReasonCode.NOT_AUTHORIZED : ReasonCode.UNSPECIFIED_ERROR;
        broker.subscribe(session, sub);
        return qos;
      });
      codes.push(joining);
      continue;
    }
    // A shared subscription is authorized on its inner filter: that is what decides the messages it gets.
    const allowed = settings.unrouted === "broker" && (settings.authorize.subscribe?.(client, inner) ?? true);
    if (!allowed) {
      codes.push(conn.v5 ? ReasonCode.NOT_AUTHORIZED : ReasonCode.UNSPECIFIED_ERROR);
      continue;
    }
    const existed = broker.subscribe(session, sub);
    codes.push(qos);
    if (share === null && (sub.retainHandling === 0 || (sub.retainHandling === 1 && !existed))) {
      const messages = broker.retainedFor(inner);
      if (messages.length > 0) retained.push({ messages, sub });
    }
  }
  const granted = codes.some((c) => typeof c !== "number") ? await Promise.all(codes) : (codes as number[]);
  if (conn.state !== "connected") return;
  const suback: Record<string, unknown> = { cmd: "suback", messageId: packet.messageId, granted };
  if (conn.v5) suback.reasonCode = 0;
  conn.send(suback as unknown as Packet);
  for (const { messages, sub } of retained) {
    for (const r of messages) {
      const message: MqttMessage = { topic: r.topic, payload: r.payload, qos: r.qos, retain: true, properties: r.properties, expiresAt: r.expiresAt };
      session.deliver(message, (r.qos < sub.qos ? r.qos : sub.qos) as QoS, true, sub.identifier === undefined ? undefined : [sub.identifier]);
    }
  }
}

/** Handles UNSUBSCRIBE. */
export function handleUnsubscribe(conn: MqttConnection, packet: IUnsubscribePacket): void {
  const session = conn.session!;
  const codes: number[] = [];
  for (const filter of packet.unsubscriptions) {
    const sub = session.subscriptions.get(filter);
    if (sub?.bridged === true) {
      const route = channelRoute(conn.ctx, filter);
      if (route !== null) conn.bridge?.leave(route.topic);
    }
    codes.push(conn.ctx.broker.unsubscribe(session, filter) ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
  }
  const unsuback: Record<string, unknown> = { cmd: "unsuback", messageId: packet.messageId };
  if (conn.v5) unsuback.granted = codes;
  conn.send(unsuback as unknown as Packet);
}

/** What the outbound mapping of a route makes of a channel event: the payload bytes, or null to skip. */
function outboundPayload(options: MqttBridgeRoute, event: string, payload: Uint8Array, binary: boolean): Uint8Array | null {
  const outbound = options.outbound;
  if (outbound === undefined) return event.startsWith("phx_") ? null : payload;
  if (Array.isArray(outbound)) return (outbound as readonly string[]).includes(event) ? payload : null;
  const decoded: Payload = binary ? payload : (JSON.parse(new TextDecoder().decode(payload)) as JsonObject);
  const mapped = (outbound as (event: string, payload: Payload) => Payload | null)(event, decoded);
  if (mapped === null) return null;
  return mapped instanceof Uint8Array ? mapped : encoder.encode(JSON.stringify(mapped));
}

/** What a channel event becomes for MQTT subscribers: worked out once per event, shared by all of them. */
interface Outbound {
  /** The MQTT side it was worked out for (two endpoints may share a node's frames). */
  readonly ctx: object;
  readonly mqttTopic: string;
  /** The message to deliver (at each subscription's QoS), or null when the route's outbound skips the event. */
  readonly message: MqttMessage | null;
}

const outbounds = new WeakMap<BridgeFrame, Outbound>();

function outboundOf(conn: MqttConnection, frame: BridgeFrame): Outbound {
  let outbound = outbounds.get(frame);
  if (outbound !== undefined && outbound.ctx === conn.ctx) return outbound;
  const mqttTopic = conn.ctx.settings.topics.toMqtt(frame.topic);
  const route = channelRoute(conn.ctx, mqttTopic);
  let bytes: Uint8Array | null = null;
  if (route !== null && frame.event !== Reserved.REPLY) {
    try {
      bytes = outboundPayload(route.options, frame.event, frame.payload, frame.binary);
    } catch (err) {
      conn.ctx.endpoint.log("error", `the MQTT outbound mapping of ${route.pattern} threw`, { error: err, ...conn.errorContext });
    }
  }
  const message: MqttMessage | null =
    bytes === null
      ? null
      : {
          topic: mqttTopic,
          payload: bytes,
          // Delivered at each subscription's own QoS (the lower of the two).
          qos: 2,
          retain: false,
          properties: {
            userProperties: { event: frame.event },
            contentType: frame.binary && route!.options.outbound === undefined ? "application/octet-stream" : "application/json",
          },
        };
  outbound = { ctx: conn.ctx, mqttTopic, message };
  outbounds.set(frame, outbound);
  return outbound;
}

/** A channel pushed or broadcast an event: a PUBLISH to the client if it subscribed to that topic. */
export function channelMessage(conn: MqttConnection, frame: BridgeFrame): void {
  const session = conn.session;
  if (session === null || conn.state !== "connected") return;
  const { mqttTopic, message } = outboundOf(conn, frame);
  if (message === null) return;
  const sub = session.subscriptions.get(mqttTopic);
  if (sub === undefined || !sub.bridged) return;
  session.deliver(message, sub.qos, false, sub.identifier === undefined ? undefined : [sub.identifier]);
}

/** The channel of a subscription ended: a crash is rejoined after a delay; a normal end drops the subscription. */
export function channelEnded(conn: MqttConnection, topic: string, crashed: boolean): void {
  const session = conn.session;
  if (session === null) return;
  const mqttTopic = conn.ctx.settings.topics.toMqtt(topic);
  const sub = session.subscriptions.get(mqttTopic);
  if (sub === undefined || !sub.bridged) return;
  if (!crashed) {
    conn.ctx.broker.unsubscribe(session, mqttTopic);
    return;
  }
  conn.runtime.clock.setTimeout(() => conn.runtime.send(conn.pid, new RejoinDue(mqttTopic)), REJOIN_DELAY_MS);
}

/** Joins again the channel of a subscription (after a crash, or when a session resumes). */
export async function rejoin(conn: MqttConnection, mqttTopic: string): Promise<void> {
  const session = conn.session;
  if (session === null || conn.state !== "connected" || conn.bridge === null) return;
  const sub = session.subscriptions.get(mqttTopic);
  const route = channelRoute(conn.ctx, mqttTopic);
  if (sub === undefined || !sub.bridged || route === null || conn.bridge.has(route.topic)) return;
  const result = await conn.bridge.join(route.topic, joinParams(conn, route, undefined));
  if (!result.ok) {
    conn.ctx.endpoint.log("info", `MQTT client could not rejoin ${route.topic}: ${result.reason}`, { ...conn.errorContext });
    conn.ctx.broker.unsubscribe(session, mqttTopic);
  }
}

/** Joins the channels of a resumed session's subscriptions. */
export async function rejoinAll(conn: MqttConnection): Promise<void> {
  const session = conn.session!;
  const bridged = [...session.subscriptions.values()].filter((sub) => sub.bridged);
  if (bridged.length === 0) return;
  if (conn.bridge === null) {
    for (const sub of bridged) conn.ctx.broker.unsubscribe(session, sub.filter);
    return;
  }
  await Promise.all(bridged.map((sub) => rejoin(conn, sub.filter)));
}

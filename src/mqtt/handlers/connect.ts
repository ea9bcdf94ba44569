/**
 * CONNECT: checks the protocol level, client id, will and credentials (the socket's `connect`, or the
 * `authenticate` option), opens or resumes the session, answers CONNACK with the server's limits, and
 * starts the channel bridge when a socket is configured.
 */
import { randomBytes } from "node:crypto";
import type { IConnectPacket, Packet } from "mqtt-packet";
import { runSocketConnect } from "../../server/socket/connect-pipeline.js";
import type { ConnectInfo } from "../../server/socket/connect-info.js";
import type { Params } from "../../server/socket/query-params.js";
import type { Socket } from "../../server/socket/socket.js";
import { SocketServer, type SocketLimits } from "../../server/socket/socket-server.js";
import { ChannelBridge } from "../bridge/channel-bridge.js";
import { BridgeSerializer } from "../bridge/bridge-serializer.js";
import type { MqttConnection } from "../connection.js";
import { MqttError, MqttErrorCode } from "../errors.js";
import { messageProperties, type MqttMessage } from "../message.js";
import type { MqttClientInfo } from "../options.js";
import { connackCodeV3, ReasonCode } from "../reason-codes.js";
import { isValidTopicName } from "../topic.js";
import { isBridgedTopic } from "./bridged.js";
import { rejoinAll } from "./subscribe.js";

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The limits of every channel bridge (one object, so every bridge shares its resolved settings). The MQTT
 * connection keeps its own keep-alive and flow control; channel topics and events get the socket defaults'
 * length limits (a longer channel topic is a refused join: SUBACK 0x87). Slow MQTT clients are held to the
 * connection's own maxBufferedBytes (0x97), whatever a route's policy.
 */
const BRIDGE_LIMITS: SocketLimits = Object.freeze({ maxChannels: 1024, idleTimeoutMs: 0, maxTopicLength: 255, maxEventLength: 255 });

/** Handles the CONNECT of a new connection (state `connecting`). */
export async function handleConnect(conn: MqttConnection, packet: IConnectPacket): Promise<void> {
  const startedAt = performance.now();
  const { settings } = conn.ctx;
  const version = packet.protocolVersion ?? 4;
  conn.version = version === 5 ? 5 : version === 3 ? 3 : 4;
  const v5 = conn.v5;
  const props = packet.properties;

  if (props?.authenticationMethod !== undefined) {
    return refuse(conn, ReasonCode.BAD_AUTHENTICATION_METHOD, MqttErrorCode.NOT_AUTHORIZED, `Enhanced authentication (method "${props.authenticationMethod}") is not supported.`);
  }
  let clientId = packet.clientId ?? "";
  let assigned: string | undefined;
  const clean = packet.clean !== false;
  if (clientId === "") {
    if (!v5 && !clean) return refuse(conn, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, MqttErrorCode.BAD_CLIENT_ID, "An empty client id needs a clean session (MQTT 3.1.1 §3.1.3.1).");
    clientId = assigned = `fenix-${randomBytes(9).toString("base64url")}`;
  }

  let will: MqttMessage | null = null;
  let willDelaySec = 0;
  let willExpirySec: number | undefined;
  if (packet.will !== undefined) {
    const w = packet.will;
    if (!isValidTopicName(w.topic)) return refuse(conn, ReasonCode.TOPIC_NAME_INVALID, MqttErrorCode.BAD_TOPIC_NAME, `The will topic "${w.topic}" is not a valid topic name.`);
    if ((w.qos ?? 0) > settings.maxQos) return refuse(conn, ReasonCode.QOS_NOT_SUPPORTED, MqttErrorCode.PROTOCOL_ERROR, `The will asks for QoS ${w.qos}; this server grants at most ${settings.maxQos}.`);
    if (w.retain === true && settings.retained === null) return refuse(conn, ReasonCode.RETAIN_NOT_SUPPORTED, MqttErrorCode.PROTOCOL_ERROR, "The will is retained; this server keeps no retained messages.");
    if (isBridgedTopic(conn.ctx, w.topic)) {
      return refuse(conn, ReasonCode.NOT_AUTHORIZED, MqttErrorCode.NOT_AUTHORIZED, `The will topic "${w.topic}" is a channel topic; wills publish on broker topics only.`);
    }
    will = {
      topic: w.topic,
      payload: typeof w.payload === "string" ? Buffer.from(w.payload) : w.payload,
      qos: w.qos ?? 0,
      retain: w.retain === true,
      properties: v5 ? messageProperties(w.properties) : undefined,
      origin: clientId,
    };
    willDelaySec = v5 ? (w.properties?.willDelayInterval ?? 0) : 0;
    willExpirySec = v5 ? w.properties?.messageExpiryInterval : undefined;
  }

  const username = packet.username;
  const client: MqttClientInfo = {
    clientId,
    username,
    protocolVersion: conn.version,
    transport: conn.wire.transport,
    address: conn.wire.address,
    assigns: {},
  };

  // Credentials: the socket's connect, else the authenticate option.
  const { socket: socketClass } = settings;
  let socket: Socket<object> | null = null;
  let socketId: string | null = null;
  if (socketClass !== undefined) {
    const params: Params = { client_id: clientId };
    if (username !== undefined) params.username = username;
    if (packet.password !== undefined) params.password = decodePassword(packet.password);
    const info: ConnectInfo = {
      peer: { address: conn.wire.address ?? "", port: 0 },
      uri: new URL(`${conn.wire.transport === "mqtt" ? "mqtt" : "ws"}://localhost${conn.ctx.path}`),
      userAgent: undefined,
      xHeaders: {},
      authToken: typeof params.password === "string" ? params.password : undefined,
      transport: conn.wire.transport,
    };
    const result = await runSocketConnect(conn.ctx.endpoint, socketClass, conn.ctx.path, params, info, conn.errorContext);
    if (conn.state !== "connecting") return;
    if ("status" in result) {
      return result.status === 403
        ? refuse(conn, username === undefined ? ReasonCode.NOT_AUTHORIZED : ReasonCode.BAD_USER_NAME_OR_PASSWORD, MqttErrorCode.NOT_AUTHORIZED, "The socket's connect refused the client.")
        : refuse(conn, ReasonCode.SERVER_UNAVAILABLE, MqttErrorCode.NOT_AUTHORIZED, "The socket's connect failed.");
    }
    socket = result.socket;
    socketId = result.socketId;
    (client as { assigns: Readonly<Record<string, unknown>> }).assigns = socket.assigns as Record<string, unknown>;
  } else if (settings.authenticate !== undefined) {
    let ok: boolean;
    try {
      ok = await settings.authenticate(client, packet.password);
    } catch (err) {
      conn.ctx.endpoint.log("error", "the MQTT authenticate option threw", { error: err, ...conn.errorContext });
      ok = false;
    }
    if (conn.state !== "connecting") return;
    if (ok !== true) {
      return refuse(conn, username === undefined ? ReasonCode.NOT_AUTHORIZED : ReasonCode.BAD_USER_NAME_OR_PASSWORD, MqttErrorCode.NOT_AUTHORIZED, "authenticate refused the client.");
    }
  }
  conn.client = client;
  // The will is published as the client: `authorize.publish` must allow its topic, as for any PUBLISH.
  if (will !== null && settings.authorize.publish !== undefined && !settings.authorize.publish(client, will.topic)) {
    return refuse(conn, ReasonCode.NOT_AUTHORIZED, MqttErrorCode.NOT_AUTHORIZED, `The will topic "${will.topic}" is not one this client may publish to.`);
  }

  // Limits the client announced.
  if (v5) {
    if (props?.receiveMaximum !== undefined) conn.receiveMaximum = props.receiveMaximum;
    if (props?.maximumPacketSize !== undefined) conn.clientMaxPacketBytes = props.maximumPacketSize;
    if (props?.requestProblemInformation === false) conn.requestProblemInformation = false;
  }
  const requestedExpiry = v5 ? (props?.sessionExpiryInterval ?? 0) : clean ? 0 : Infinity;
  const expirySec = Math.min(requestedExpiry === 0xffffffff ? Infinity : requestedExpiry, settings.maxSessionExpirySec);
  let keepAlive = packet.keepalive ?? 0;
  const keepAliveCapped = settings.maxKeepAliveSec > 0 && (keepAlive === 0 || keepAlive > settings.maxKeepAliveSec);
  if (keepAliveCapped) keepAlive = settings.maxKeepAliveSec;

  const { session, present } = await conn.ctx.broker.openSession(clientId, clean, expirySec, conn);
  if (conn.state !== "connecting") {
    // The connection ended while another node handed its session over: keep the session for a reconnect.
    conn.ctx.broker.closeSession(session, conn, null);
    return;
  }
  conn.session = session;
  if (will !== null) conn.will = { message: will, delaySec: willDelaySec, expirySec: willExpirySec };

  // The channel bridge: a socket process joining channels for this client, linked to the connection.
  if (socket !== null) {
    const bridge = new ChannelBridge(conn.wire.transport, conn);
    const channels = conn.ctx.channels!;
    const server = new SocketServer({
      endpoint: conn.ctx.endpoint,
      transport: bridge,
      serializer: BridgeSerializer,
      socket,
      socketId,
      router: channels,
      limits: BRIDGE_LIMITS,
      errorContext: conn.errorContext,
      parent: conn.pid,
    });
    bridge.attach(server);
    conn.bridge = bridge;
    conn.bridgePid = server.pid;
  } else conn.register(performance.now() - startedAt);

  const connack: Record<string, unknown> = { cmd: "connack", sessionPresent: present && !clean };
  if (v5) {
    connack.reasonCode = ReasonCode.SUCCESS;
    const properties: Record<string, unknown> = {
      receiveMaximum: settings.receiveMaximum,
      maximumPacketSize: settings.maxPacketBytes,
      topicAliasMaximum: settings.topicAliasMaximum,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
      retainAvailable: settings.retained !== null,
    };
    if (settings.maxQos < 2) properties.maximumQoS = settings.maxQos;
    if (assigned !== undefined) properties.assignedClientIdentifier = assigned;
    if (keepAliveCapped) properties.serverKeepAlive = keepAlive;
    if (requestedExpiry !== expirySec && Number.isFinite(expirySec)) properties.sessionExpiryInterval = expirySec;
    connack.properties = properties;
  } else connack.returnCode = 0;
  conn.state = "connected";
  conn.send(connack as unknown as Packet);
  conn.startKeepAlive(keepAlive);
  session.attach(conn);
  if (present && !clean) return rejoinAll(conn);
}

function decodePassword(password: Buffer): string {
  try {
    return textDecoder.decode(password);
  } catch {
    return password.toString("base64");
  }
}

/** Refuses the connection with CONNACK (its MQTT 3.1.1 return code for older clients) and closes it. */
function refuse(conn: MqttConnection, reasonCode: number, code: (typeof MqttErrorCode)[keyof typeof MqttErrorCode], message: string): void {
  conn.ctx.endpoint.reportClientError(new MqttError(code, message, { reasonCode }), conn.errorContext);
  const packet: Record<string, unknown> = { cmd: "connack", sessionPresent: false };
  if (conn.v5) {
    packet.reasonCode = reasonCode;
    packet.properties = { reasonString: message.slice(0, 200) };
  } else packet.returnCode = connackCodeV3(reasonCode);
  conn.send(packet as unknown as Packet);
  conn.end("refused");
}

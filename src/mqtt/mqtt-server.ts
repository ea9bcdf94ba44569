/**
 * `enableMqtt`: an MQTT 3.1.1 and 5.0 listener on an endpoint — TCP, and MQTT over WebSocket at a path of
 * the endpoint's HTTP server — started and stopped with the endpoint. It owns the node's broker and
 * one process per MQTT connection; with a `socket`, MQTT topics that match its channel routes are
 * served by those channels.
 */
import { createServer, type AddressInfo, type Server as NetServer, type Socket as NetSocket } from "node:net";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Endpoint } from "../server/endpoint/endpoint.js";
import { channelRouter } from "../server/channel/channel-route.js";
import { endpointCore } from "../server/endpoint/endpoint-core.js";
import { Broker } from "./broker.js";
import { MqttConnection } from "./connection.js";
import type { MqttContext } from "./context.js";
import { MqttError, MqttErrorCode } from "./errors.js";
import type { MqttMessage } from "./message.js";
import { resolveMqttOptions, type MqttBridgeRoute, type MqttOptions, type MqttSettings } from "./options.js";
import { isValidTopicName } from "./topic.js";
import { tcpWire, webSocketWire } from "./wire.js";

/** What {@link MqttServer.publish} takes besides the topic and payload. */
export interface MqttPublishOptions {
  /** @defaultValue 0 */
  qos?: 0 | 1 | 2;
  /** @defaultValue false */
  retain?: boolean;
  /** MQTT 5 properties passed to subscribers. */
  contentType?: string;
  userProperties?: Record<string, string | string[]>;
  /** Message Expiry Interval, in seconds. */
  expirySec?: number;
}

/** Counts the MQTT side reports (this node). */
export interface MqttStats {
  /** Open MQTT connections. */
  readonly connections: number;
  /** Sessions kept (connected or waiting for their client). */
  readonly sessions: number;
  /** Broker subscriptions (channel subscriptions are channel joins). */
  readonly subscriptions: number;
  /** Retained messages kept. */
  readonly retained: number;
}

/** The MQTT side of an endpoint, as returned by {@link enableMqtt}. */
export interface MqttServer {
  /** The TCP port listened on (after `endpoint.start()`), or null without a TCP listener. */
  readonly port: number | null;
  /** The WebSocket path, or null. */
  readonly websocketPath: string | null;
  /** This node's broker counts. */
  stats(): MqttStats;
  /**
   * Publishes an application message from the server, as a client would (retained, QoS), to every
   * matching broker subscription on every node. Channel topics are reached with `endpoint.broadcast`.
   * @throws MqttError `FENIX_ERR_MQTT_BAD_OPTION` for an invalid topic name, before `endpoint.start()`.
   */
  publish(topic: string, payload: Uint8Array | string, options?: MqttPublishOptions): void;
}

/**
 * Adds MQTT to an endpoint: call before `endpoint.start()`; the listener starts with the endpoint and
 * stops with it (its clients get DISCONNECT 0x8B, "server shutting down", from MQTT 5 on).
 *
 * @example
 * ```ts
 * const endpoint = new Endpoint({ port: 4000 });
 * endpoint.socket("/socket", UserSocket);
 * const mqtt = enableMqtt(endpoint, { port: 1883, websocket: "/mqtt", socket: UserSocket });
 * await endpoint.start();
 * ```
 * @throws MqttError `FENIX_ERR_MQTT_BAD_OPTION` for a bad option; `FENIX_ERR_MQTT_BAD_STATE` after `start()`.
 */
export function enableMqtt(endpoint: Endpoint, options: MqttOptions = {}): MqttServer {
  if (endpoint.started) throw new MqttError(MqttErrorCode.BAD_STATE, "Call enableMqtt before endpoint.start().");
  const server = new EndpointMqtt(endpoint, resolveMqttOptions(options));
  endpoint.addService(server);
  if (server.websocketPath !== null) endpoint.upgrade(server.websocketPath, (req, socket, head) => server.upgrade(req, socket, head));
  return server;
}

class EndpointMqtt implements MqttServer {
  readonly #endpoint: Endpoint;
  readonly #settings: MqttSettings;
  readonly #connections = new Set<MqttConnection>();
  #broker: Broker | null = null;
  #context: MqttContext | null = null;
  #listener: NetServer | null = null;
  #wss: WebSocketServer | null = null;
  #accepting = false;
  #port: number | null = null;
  #idle: (() => void) | null = null;

  constructor(endpoint: Endpoint, settings: MqttSettings) {
    this.#endpoint = endpoint;
    this.#settings = settings;
    for (const pattern of Object.keys(settings.bridge)) {
      if (!(settings.socket!.channels ?? []).some(([p]) => p === pattern)) {
        throw new MqttError(MqttErrorCode.BAD_OPTION, `Option bridge names "${pattern}", which is not a channel route of ${settings.socket!.name}.`);
      }
    }
  }

  get port(): number | null {
    return this.#port;
  }

  get websocketPath(): string | null {
    return this.#settings.websocket === false ? null : this.#settings.websocket;
  }

  stats(): MqttStats {
    const broker = this.#broker;
    return {
      connections: this.#connections.size,
      sessions: broker?.sessionCount ?? 0,
      subscriptions: broker?.subscriptionCount ?? 0,
      retained: broker?.retained?.size ?? 0,
    };
  }

  publish(topic: string, payload: Uint8Array | string, options: MqttPublishOptions = {}): void {
    if (!isValidTopicName(topic)) throw new MqttError(MqttErrorCode.BAD_OPTION, `"${topic}" is not a valid MQTT topic name (no wildcards, not empty).`);
    const broker = this.#broker;
    if (broker === null) throw new MqttError(MqttErrorCode.BAD_STATE, "The endpoint has not started; publish after endpoint.start().");
    const properties: MqttMessage["properties"] =
      options.contentType === undefined && options.userProperties === undefined ? undefined : { contentType: options.contentType, userProperties: options.userProperties };
    broker.publish({
      topic,
      payload: typeof payload === "string" ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      properties,
      expiresAt: options.expirySec === undefined ? undefined : Date.now() + options.expirySec * 1000,
    });
  }

  // ## EndpointService

  async start(): Promise<void> {
    const endpoint = this.#endpoint;
    const settings = this.#settings;
    const broker = new Broker(endpoint.runtime, endpoint.pubsub, { maxQueued: settings.maxQueued, maxInflight: settings.maxInflight, retained: settings.retained });
    this.#broker = broker;
    const socketClass = settings.socket;
    this.#context = {
      endpoint: endpointCore(endpoint),
      broker,
      settings,
      channels: socketClass === undefined ? null : channelRouter(socketClass.channels ?? []),
      bridgeRoutes: new Map<string, MqttBridgeRoute>(Object.entries(settings.bridge)),
      path: settings.websocket === false ? "mqtt" : settings.websocket,
      connectionOpened: (connection) => this.#connections.add(connection as MqttConnection),
      connectionClosed: (connection) => {
        this.#connections.delete(connection as MqttConnection);
        if (this.#connections.size === 0) this.#idle?.();
      },
    };
    if (settings.websocket !== false) {
      this.#wss = new WebSocketServer({
        noServer: true,
        maxPayload: settings.maxPacketBytes + 8,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : protocols.has("mqttv3.1") ? "mqttv3.1" : false),
      });
    }
    this.#accepting = true;
    if (settings.port !== false) {
      const listener = createServer((socket) => this.#acceptTcp(socket));
      this.#listener = listener;
      await new Promise<void>((resolve, reject) => {
        listener.once("error", (err) =>
          reject(new MqttError(MqttErrorCode.LISTEN_FAILED, `Cannot listen for MQTT on port ${String(settings.port)}: ${err.message}`, { cause: err })),
        );
        listener.listen(settings.port as number, settings.host, () => resolve());
      });
      this.#port = (listener.address() as AddressInfo).port;
    }
  }

  drain(): void {
    this.#accepting = false;
  }

  async stop(): Promise<void> {
    this.#accepting = false;
    const listener = this.#listener;
    this.#listener = null;
    const closed = listener === null ? Promise.resolve() : new Promise<void>((resolve) => listener.close(() => resolve()));
    if (this.#connections.size > 0) {
      const idle = new Promise<void>((resolve) => {
        this.#idle = resolve;
        setTimeout(resolve, 5_000).unref();
      });
      for (const connection of this.#connections) connection.close(1012, "server restart");
      await idle;
    }
    this.#wss?.close();
    this.#broker?.shutdown();
    await closed;
  }

  // ## Accepting

  #acceptTcp(socket: NetSocket): void {
    if (!this.#accepting || this.#context === null) {
      socket.destroy();
      return;
    }
    new MqttConnection(this.#context, tcpWire(socket));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const wss = this.#wss;
    if (!this.#accepting || wss === null || this.#context === null) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.#context === null || !this.#accepting) {
        ws.terminate();
        return;
      }
      new MqttConnection(this.#context, webSocketWire(ws, req.socket.remoteAddress));
    });
  }
}

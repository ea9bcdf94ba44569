/**
 * MQTT test support: an endpoint with `enableMqtt` on 127.0.0.1 port 0 (TCP and WebSocket), MQTT.js
 * clients that are closed after each test, and a raw client speaking packets through `mqtt-packet`
 * over a TCP socket, for what MQTT.js will not send (bad packets, missing acknowledgements).
 */
import { connect as netConnect, type Socket as NetSocket } from "node:net";
import type { AddressInfo } from "node:net";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import mqttPacket, { type Packet } from "mqtt-packet";
import { Endpoint, silentLogger, type EndpointOptions } from "../../src/index.js";
import { enableMqtt, type MqttOptions, type MqttServer } from "../../src/mqtt/index.js";

/** A started endpoint with MQTT. */
export interface TestBroker {
  readonly endpoint: Endpoint;
  readonly mqtt: MqttServer;
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  /** `ws://127.0.0.1:<http port>/mqtt` */
  readonly wsUrl: string;
  readonly port: number;
  /** MQTT.js client, connected; ended by `stop()`. */
  client(options?: IClientOptions, url?: string): Promise<MqttClient>;
  /** A raw packet client, connected (no CONNECT sent yet); destroyed by `stop()`. */
  raw(protocolVersion?: 4 | 5): Promise<RawMqtt>;
  stop(): Promise<void>;
}

/** Starts an endpoint with MQTT on loopback. `configure` may mount sockets before start. */
export async function startBroker(
  options: MqttOptions = {},
  endpointOptions: EndpointOptions = {},
  configure?: (endpoint: Endpoint) => void,
): Promise<TestBroker> {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, ...endpointOptions });
  configure?.(endpoint);
  const server = enableMqtt(endpoint, { port: 0, host: "127.0.0.1", websocket: "/mqtt", ...options });
  await endpoint.start();
  const port = server.port!;
  const httpPort = (endpoint.server.address() as AddressInfo).port;
  const clients: MqttClient[] = [];
  const raws: RawMqtt[] = [];
  const url = `mqtt://127.0.0.1:${port}`;
  return {
    endpoint,
    mqtt: server,
    url,
    wsUrl: `ws://127.0.0.1:${httpPort}/mqtt`,
    port,
    async client(clientOptions = {}, target = url) {
      const client = await mqtt.connectAsync(target, { reconnectPeriod: 0, connectTimeout: 5_000, ...clientOptions });
      clients.push(client);
      return client;
    },
    async raw(protocolVersion = 4) {
      const raw = await RawMqtt.connect(port, protocolVersion);
      raws.push(raw);
      return raw;
    },
    async stop() {
      for (const raw of raws) raw.destroy();
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await endpoint.stop();
    },
  };
}

/** A packet-level MQTT client for protocol tests. */
export class RawMqtt {
  readonly socket: NetSocket;
  readonly packets: Packet[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly #closedPromise: Promise<void>;
  readonly #parser: ReturnType<typeof mqttPacket.parser>;
  protocolVersion: 4 | 5;

  private constructor(socket: NetSocket, protocolVersion: 4 | 5) {
    this.socket = socket;
    this.protocolVersion = protocolVersion;
    this.#parser = mqttPacket.parser({ protocolVersion });
    this.#parser.on("packet", (packet: Packet) => {
      this.packets.push(packet);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on("data", (chunk) => this.#parser.parse(chunk));
    this.#closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.#closed = true;
        for (const wake of this.#waiters.splice(0)) wake();
        resolve();
      });
    });
    socket.on("error", () => {});
  }

  static connect(port: number, protocolVersion: 4 | 5): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: "127.0.0.1", port }, () => resolve(new RawMqtt(socket, protocolVersion)));
      socket.once("error", reject);
    });
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the connection closes. */
  whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Sends a packet (generated for this client's protocol version). */
  send(packet: Packet | Record<string, unknown>): void {
    this.socket.write(mqttPacket.generate(packet as Packet, { protocolVersion: this.protocolVersion }));
  }

  /** Sends raw bytes. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends CONNECT and waits for CONNACK. */
  async connect(fields: Record<string, unknown> = {}): Promise<Packet> {
    this.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: this.protocolVersion, clientId: `raw-${Math.random().toString(36).slice(2)}`, clean: true, keepalive: 60, ...fields });
    return this.next("connack");
  }

  /** The next received packet of `cmd` (taken out of `packets`), waiting up to `timeoutMs`. */
  async next(cmd: string, timeoutMs = 3_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.packets.findIndex((p) => p.cmd === cmd);
      if (i !== -1) return this.packets.splice(i, 1)[0]!;
      if (this.#closed) throw new Error(`connection closed while waiting for ${cmd}; got ${this.packets.map((p) => p.cmd).join(", ") || "nothing"}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${cmd} within ${timeoutMs} ms; got ${this.packets.map((p) => p.cmd).join(", ") || "nothing"}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

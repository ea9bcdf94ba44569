/**
 * Fenix as a standalone MQTT broker (`npm run broker`): MQTT 3.1.1 and 5.0 over TCP on `MQTT_PORT`
 * (default 1883) and over WebSocket at `ws://<host>:<PORT>/mqtt` (default port 8083), with no
 * application routes — every topic is a broker topic. With `REDIS_URL`, several brokers share
 * subscriptions, retained messages, wills and shared subscription groups. Import `startBroker` to run
 * it from tests.
 */
import { hostname } from "node:os";
import { pathToFileURL } from "node:url";
import { Endpoint, PubSub, Runtime, consoleLogger, type Logger } from "../../src/index.js";
import { enableMqtt, type MqttServer } from "../../src/mqtt/index.js";
import { RedisAdapter } from "../../src/pubsub/redis/index.js";

/** A running broker. */
export interface Broker {
  readonly endpoint: Endpoint;
  readonly mqtt: MqttServer;
  stop(): Promise<void>;
}

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /** MQTT TCP port. @defaultValue 1883 */
  mqttPort?: number;
  /** HTTP port for MQTT over WebSocket (`/mqtt`). @defaultValue 8083 */
  port?: number;
  /** @defaultValue every interface */
  host?: string;
  /** Links this broker to the others given the same Redis URL. */
  redisUrl?: string;
  /** This node's name among linked brokers. @defaultValue `broker@<host>:<pid>` */
  nodeName?: string;
  logger?: Logger;
}

/** Starts a plain MQTT broker. */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const runtime = new Runtime({ node: options.nodeName ?? `broker@${hostname()}:${process.pid}` });
  const adapter = options.redisUrl === undefined ? undefined : new RedisAdapter({ url: options.redisUrl });
  const pubsub = new PubSub({ runtime, ...(adapter === undefined ? {} : { adapter }) });
  const endpoint = new Endpoint({
    pubsub,
    port: options.port ?? 8083,
    ...(options.host === undefined ? {} : { host: options.host }),
    logger: options.logger ?? consoleLogger("info"),
    children: [pubsub.childSpec()],
  });
  const mqtt = enableMqtt(endpoint, { port: options.mqttPort ?? 1883, ...(options.host === undefined ? {} : { host: options.host }), websocket: "/mqtt" });
  await endpoint.start();
  return {
    endpoint,
    mqtt,
    stop: async () => {
      await endpoint.stop();
      await pubsub.stop();
    },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const mqttPort = Number(env.MQTT_PORT ?? 1883);
  const port = Number(env.PORT ?? 8083);
  const broker = await startBroker({
    mqttPort,
    port,
    ...(env.HOST ? { host: env.HOST } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    ...(env.NODE_NAME ? { nodeName: env.NODE_NAME } : {}),
  });
  const linked = broker.endpoint.pubsub.status === "local" ? "" : `, node ${broker.endpoint.pubsub.nodeName} linked through Redis`;
  console.log(`Fenix MQTT broker on mqtt://localhost:${broker.mqtt.port} and ${broker.endpoint.url.replace(/^http/, "ws")}/mqtt${linked}`);
  const shutdown = () => {
    broker.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

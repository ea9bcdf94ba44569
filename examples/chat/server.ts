/**
 * The chat demo that `npm start` runs: an endpoint serving the chat page (public/, which runs on
 * fenix/client, served by every endpoint at `/fenix/client.js`), with the chat socket at `/socket`, a
 * history per room (its last 500 messages, so a tab that lost its connection gets what it missed), and
 * presence showing who is in each room. `/vendor` serves
 * the official `phoenix` client's browser build for pages that prefer it. With `REDIS_URL`, several of
 * them (on several ports or machines) make one chat. `npm start` also serves the dashboard at
 * `/dashboard` and Prometheus metrics at `/metrics`, to this machine only unless `DASHBOARD_PASSWORD` is
 * set. With `MQTT_PORT`, MQTT clients chat too: `room/<name>` is the room `room:<name>` (see chat-mqtt.ts).
 * Import `startChatServer` to run it from tests.
 */
import { hostname } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Endpoint, Presence, PubSub, Runtime, consoleLogger, startCluster, type Logger, type SocketOptions } from "../../src/index.js";
import { type PubSubAdapter } from "../../src/pubsub/index.js";
import { type TrackerOptions } from "../../src/presence/index.js";
import { RedisAdapter, type RedisAdapterOptions } from "../../src/pubsub/redis/index.js";
import { dashboardRequest, enableDashboard, localOnly, localOrToken, type Dashboard } from "../../src/dashboard/index.js";
import { enableMetrics, type Metrics } from "../../src/metrics/index.js";
import { enableMqtt, type MqttServer } from "../../src/mqtt/index.js";
import { chatMqttBridge } from "./chat-mqtt.js";
import { chatSocket } from "./chat-socket.js";

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The folder holding the official client's browser builds (`phoenix.mjs`, `phoenix.min.js`), served at
 * `/vendor`: the chat page does not use it, a page on the official client may (test/browser/official-page).
 */
const phoenixStatic = dirname(createRequire(import.meta.url).resolve("phoenix"));

/** A running chat server. */
export interface ChatServer {
  /** Base URL, such as `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly endpoint: Endpoint;
  /**
   * Who is in each room: the presence key is the display name, which one person holds per room (see
   * room-names.ts); one meta per open tab, with the person's fingerprint when the client sent an identity.
   */
  readonly presence: Presence;
  /** The dashboard's URL, when the `dashboard` option is on. */
  readonly dashboardUrl: string | undefined;
  /** The MQTT listener, when the `mqtt` option is on. */
  readonly mqtt: MqttServer | undefined;
  stop(): Promise<void>;
}

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** @defaultValue 4000 */
  port?: number;
  /** @defaultValue all interfaces */
  host?: string;
  logger?: Logger;
  /**
   * The socket's `websocket` option. Tests pass a function that refuses chosen clients' upgrades, to see
   * the page fall back to LongPoll. @defaultValue true
   */
  websocket?: SocketOptions["websocket"];
  /**
   * Links this server to the others given the same Redis URL: one chat across all of them (messages,
   * presence, and the rooms' history, kept in Redis Streams). @defaultValue none: a single node
   */
  redisUrl?: string;
  /** More options of the Redis adapter (timings, in tests). */
  redis?: Omit<RedisAdapterOptions, "url">;
  /**
   * Links nodes through another adapter (the cluster workers' IPC adapter, whose primary keeps the rooms'
   * history). `redisUrl` wins.
   */
  adapter?: PubSubAdapter;
  /** This node's name, unique among the linked nodes. @defaultValue `chat@<host>:<pid>` */
  nodeName?: string;
  /**
   * Signs LongPoll session tokens; linked nodes must share it so a poll may land on any of them.
   * @defaultValue a fixed demo value (set your own outside the demo)
   */
  secretKeyBase?: string;
  /** Presence timings (tests shorten them). @defaultValue the tracker's defaults */
  presence?: TrackerOptions;
  /**
   * Serve the dashboard at `/dashboard` and Prometheus metrics at `/metrics`: `true` for requests from
   * this machine only, `{ password }` to let other machines in with it (`/dashboard?token=<password>`;
   * `Authorization: Bearer <password>` for `/metrics`). `npm start` turns it on (see {@link optionsFromEnv}).
   * @defaultValue false
   */
  dashboard?: boolean | { password?: string };
  /**
   * Let MQTT clients chat: a TCP listener on `port` (0 picks one) and MQTT over WebSocket at `/mqtt`.
   * An MQTT client's username is its name; `room/lobby` is the lobby. @defaultValue off
   */
  mqtt?: { port: number; host?: string };
}

/** The demo's LongPoll secret when none is given: the same on every node, so polls may land anywhere. Demo only. */
const DEMO_SECRET_KEY_BASE = "fenix chat demo: set SECRET_KEY_BASE to a secret of your own";

/** Starts the chat demo. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const port = options.port ?? 4000;
  const adapter = options.redisUrl !== undefined ? new RedisAdapter({ ...options.redis, url: options.redisUrl }) : options.adapter;
  const runtime = new Runtime({ node: options.nodeName ?? `chat@${hostname()}:${process.pid}` });
  const pubsub = new PubSub({ runtime, ...(adapter !== undefined ? { adapter } : {}) });
  const presence = new Presence(pubsub, options.presence);
  const endpoint = new Endpoint({
    pubsub,
    secretKeyBase: options.secretKeyBase ?? DEMO_SECRET_KEY_BASE,
    port,
    ...(options.host !== undefined ? { host: options.host } : {}),
    staticDir: join(here, "public"),
    logger: options.logger ?? consoleLogger("info"),
    children: [pubsub.childSpec(), presence.childSpec()],
  });
  endpoint.static("/vendor", phoenixStatic);
  const socket = chatSocket(presence);
  endpoint.socket("/socket", socket, { longpoll: true, ...(options.websocket !== undefined ? { websocket: options.websocket } : {}) });
  const mqtt =
    options.mqtt === undefined
      ? undefined
      : enableMqtt(endpoint, {
          port: options.mqtt.port,
          ...(options.mqtt.host !== undefined ? { host: options.mqtt.host } : options.host !== undefined ? { host: options.host } : {}),
          websocket: "/mqtt",
          socket,
          bridge: { "room:*": chatMqttBridge },
        });
  let dashboard: Dashboard | undefined;
  let metrics: Metrics | undefined;
  if (options.dashboard !== undefined && options.dashboard !== false) {
    const password = options.dashboard === true ? undefined : options.dashboard.password;
    const check = password === undefined || password === "" ? localOnly : localOrToken(password);
    // Before start: the dashboard mounts its socket.
    dashboard = enableDashboard(endpoint, { check, presence });
    metrics = enableMetrics(endpoint, { path: "/metrics", check: (req) => check(dashboardRequest(req)) });
  }
  await endpoint.start();
  return {
    url: endpoint.url,
    endpoint,
    presence,
    dashboardUrl: dashboard === undefined ? undefined : `${endpoint.url}${dashboard.path}`,
    mqtt,
    stop: async () => {
      metrics?.stop();
      await endpoint.stop();
      await pubsub.stop();
    },
  };
}

/**
 * The options `npm start` reads from the environment: PORT, REDIS_URL, NODE_NAME, SECRET_KEY_BASE,
 * MQTT_PORT (MQTT clients chat too), and for the dashboard and metrics DASHBOARD (`off` leaves them out)
 * and DASHBOARD_PASSWORD (lets other machines in with it).
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChatServerOptions {
  const options: ChatServerOptions = { port: Number(env.PORT ?? 4000) };
  options.dashboard = env.DASHBOARD === "off" ? false : { ...(env.DASHBOARD_PASSWORD ? { password: env.DASHBOARD_PASSWORD } : {}) };
  if (env.REDIS_URL !== undefined && env.REDIS_URL !== "") options.redisUrl = env.REDIS_URL;
  if (env.NODE_NAME !== undefined && env.NODE_NAME !== "") options.nodeName = env.NODE_NAME;
  if (env.SECRET_KEY_BASE !== undefined && env.SECRET_KEY_BASE !== "") options.secretKeyBase = env.SECRET_KEY_BASE;
  if (env.MQTT_PORT !== undefined && env.MQTT_PORT !== "") {
    const port = Number(env.MQTT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MQTT_PORT must be a port number; got ${env.MQTT_PORT}`);
    options.mqtt = { port };
  }
  return options;
}

/**
 * `npm start`: one server, or with `WORKERS=N` N cluster workers sharing the port, linked through the
 * primary (or through Redis with `REDIS_URL`, so that other machines join the same chat).
 */
async function main(): Promise<void> {
  const options = optionsFromEnv();
  const workers = Number(process.env.WORKERS ?? 1);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`WORKERS must be a positive integer; got ${process.env.WORKERS}`);
  const link = options.redisUrl !== undefined ? "through Redis" : "through the cluster primary";
  if (workers > 1) {
    const primary = await startCluster({
      workers,
      name: options.nodeName ?? `chat@${hostname()}`,
      worker: ({ nodeName, adapter }) => startChatServer({ ...options, nodeName, ...(options.redisUrl === undefined ? { adapter } : {}) }),
    });
    if (primary !== null) {
      console.log(`Fenix chat listening on http://localhost:${options.port}: ${workers} workers, linked ${link}`);
      if (options.dashboard !== false) console.log(dashboardNotice(`http://localhost:${options.port}`, options));
      if (options.mqtt !== undefined) console.log(mqttNotice(options.mqtt.port, `http://localhost:${options.port}`));
    }
    return;
  }
  const chat = await startChatServer(options);
  const linked = chat.endpoint.pubsub.status === "local" ? "" : ` as node ${chat.endpoint.pubsub.nodeName}, linked ${link}`;
  console.log(`Fenix chat listening on ${chat.url}${linked}`);
  if (chat.dashboardUrl !== undefined) console.log(dashboardNotice(chat.url, options));
  if (chat.mqtt !== undefined) console.log(mqttNotice(chat.mqtt.port ?? options.mqtt!.port, chat.url));
  const shutdown = () => {
    chat.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

/** Where MQTT clients connect, and how they chat. */
function mqttNotice(port: number, url: string): string {
  return `MQTT: mqtt://localhost:${port} and ${url.replace(/^http/, "ws")}/mqtt (username = name; topic room/lobby is the lobby)`;
}

/** Where the dashboard and the metrics are, and who may open them. */
function dashboardNotice(url: string, options: ChatServerOptions): string {
  const open = typeof options.dashboard === "object" && options.dashboard.password !== undefined;
  const who = open
    ? "this machine, and others with the password (?token=<DASHBOARD_PASSWORD>; Authorization: Bearer for /metrics)"
    : "this machine only; set DASHBOARD_PASSWORD to let others in";
  return `Dashboard: ${url}/dashboard, metrics: ${url}/metrics (${who})`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

/**
 * The Endpoint: the HTTP side of a Fenix application. It listens (or attaches to an existing server),
 * mounts sockets at paths, serves static folders, checks origins, owns the PubSub and the runtime its
 * processes run on, and shuts everything down in order.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { FenixError } from "../errors/fenix-error.js";
import type { Payload } from "../protocol/message.js";
import { PubSub } from "../pubsub/pubsub.js";
import { TelemetryEvent, telemetryChannels, type TransportError } from "../telemetry/events.js";
import type { ConnectionInfo } from "./connection-info.js";
import { logRecord, logTelemetry } from "./telemetry-logger.js";
import { FASTLANE_DISPATCHER, fastlaneDispatcher } from "./fastlane.js";
import type { ChildSpec } from "../runtime/child-spec.js";
import { formatExitReason } from "../runtime/exit-reason.js";
import type { Pid } from "../runtime/pid.js";
import { defaultRuntime, type Runtime } from "../runtime/runtime.js";
import { Supervisor } from "../runtime/supervisor.js";
import { channelRouter } from "./channel-route.js";
import { tracksPresence } from "./channel.js";
import { Presence, type PresenceOptions } from "../presence/presence.js";
import { broadcastEvent, broadcastEventFrom, localBroadcastEvent } from "./channel-broadcast.js";
import type { ClientErrorContext, EndpointContext } from "./endpoint-context.js";
import { ServerError, ServerErrorCode } from "./errors.js";
import { consoleLogger, type Logger } from "./logger.js";
import { compileOriginCheck, type CheckOrigin } from "./origin.js";
import { isClientBundlePath, serveClientBundle } from "./client-bundle.js";
import { connectionSupervisorSpec } from "./connect-pipeline.js";
import { LongPollHandler, type LongPollSettings } from "./longpoll/longpoll-handler.js";
import { AddressConnections, DEFAULT_MAX_NAME_LENGTH, type RateLimit, type RateLimitOptions } from "./rate-limit.js";
import type { SocketClass } from "./socket.js";
import { StaticMount } from "./static-files.js";
import { CloseCode } from "./transport.js";
import { refuseUpgrade, upgradeWebSocket, type WebSocketMount } from "./websocket/websocket-upgrade.js";

/** Options of {@link Endpoint}. */
export interface EndpointOptions {
  /** Port to listen on (0 picks a free one). Ignored with `server`. @defaultValue 4000 */
  port?: number;
  /** Interface to listen on. Ignored with `server`. @defaultValue all interfaces */
  host?: string;
  /**
   * An existing HTTP(S) server to attach to instead of listening: the endpoint handles upgrades to its
   * socket paths and leaves every other request to the server (use {@link Endpoint.handleRequest} to
   * serve static folders from it).
   */
  server?: Server;
  /** A folder served at `/`. More can be added with {@link Endpoint.static}. */
  staticDir?: string;
  /**
   * Which browser origins may open sockets (see {@link CheckOrigin}).
   * @defaultValue `true`: loopback hosts and the hosts in `hosts`
   */
  checkOrigin?: CheckOrigin;
  /**
   * The host names browsers reach this endpoint under, such as `["chat.example.com"]` or
   * `["*.example.com"]` (bare names: no scheme, port or path). With `checkOrigin: true` a browser origin
   * must be on one of them or on a loopback host; the request's own `Host` header is never trusted, since a
   * DNS-rebinding page controls it. Not to be confused with `host`, the interface to listen on.
   * @defaultValue none (only loopback origins pass)
   */
  hosts?: readonly string[];
  /** Largest frame accepted from a client, in bytes; bigger ones close the connection with 1009. @defaultValue 1 MiB */
  maxFrameBytes?: number;
  /** The PubSub to broadcast on. @defaultValue a PubSub of its own with the in-memory adapter */
  pubsub?: PubSub;
  /** The runtime the endpoint's processes run on. @defaultValue the PubSub's runtime, else `defaultRuntime` */
  runtime?: Runtime;
  /** Options of the endpoint's own presence tracker ({@link Endpoint.presence}). @defaultValue the tracker's defaults */
  presence?: PresenceOptions;
  /** Where log lines go. @defaultValue `consoleLogger("warn")` */
  logger?: Logger;
  /**
   * Your own processes (room servers, caches, their supervisors), run in the endpoint's supervision tree:
   * started after the PubSub and before the sockets accept connections, stopped after every connection
   * has closed.
   * @defaultValue none
   */
  children?: readonly ChildSpec[];
  /**
   * The secret LongPoll session tokens are signed with (HMAC-SHA256 of a key derived from it); at least
   * 32 characters. Every node that serves the same sessions (behind one load balancer, on one PubSub)
   * must be given the same secret, or a poll that lands on another node starts a new session.
   * @defaultValue 32 random bytes generated when the endpoint is created (valid for this endpoint only)
   */
  secretKeyBase?: string;
  /**
   * How long {@link Endpoint.stop} spends draining before it stops (ms): new connections are refused with
   * HTTP 503 and the open ones are closed with 1012 in `drainBatches` batches spread over this period, so
   * their clients reconnect to the other nodes a few at a time. `0` closes every connection at once, which
   * suits a single node (there is nowhere else to go) and tests; behind a load balancer, pick a period
   * well inside the grace period your orchestrator gives a stopping process (see {@link Endpoint.drain}).
   * @defaultValue 0
   */
  drainMs?: number;
  /** How many batches a drain closes connections in. @defaultValue 10 */
  drainBatches?: number;
}

/** Options of {@link Endpoint.drain} and of {@link Endpoint.stop}. */
export interface DrainOptions {
  /** The period connections are closed over (ms); `0` closes them all at once. @defaultValue the endpoint's `drainMs` */
  periodMs?: number;
  /** How many batches the connections are closed in. @defaultValue the endpoint's `drainBatches` */
  batches?: number;
}

/** LongPoll options of one socket mount (see {@link SocketOptions.longpoll}). */
export interface LongPollOptions {
  /** How long a GET waits for messages, and a POST line for its acknowledgement (ms). @defaultValue 10000 */
  windowMs?: number;
  /** How long a request relayed to another node waits for the session to answer (ms). @defaultValue 2000 */
  pubsubTimeoutMs?: number;
  /** Messages buffered for a client between two polls before its session is closed. @defaultValue 10000 */
  maxBufferedMessages?: number;
  /** UTF-8 bytes buffered for a client between two polls before its session is closed. @defaultValue the socket's `maxBufferedBytes` */
  maxBufferedBytes?: number;
  /**
   * Largest POST body accepted (bytes); the limit is enforced while the body streams in, and a bigger body
   * is answered `{"status":413}` and its connection closed. Clients batch the frames they queued while a
   * POST was in flight, so this leaves room for a few frames of `maxFrameBytes`.
   * @defaultValue 4 × the socket's `maxFrameBytes` (4 MiB)
   */
  maxBodyBytes?: number;
  /**
   * POST bodies one client address (the socket's peer address) may have being read at once; more are
   * answered HTTP 429 with `Retry-After` and closed. Behind a proxy every client shares its address.
   * @defaultValue 4
   */
  maxConcurrentPostsPerAddress?: number;
  /**
   * Sessions one client address may open per `newSessionsWindowMs`; more are answered HTTP 429 with
   * `Retry-After` (the rest of the window) and closed.
   * @defaultValue 60
   */
  maxNewSessionsPerAddress?: number;
  /** The window `maxNewSessionsPerAddress` counts in (ms). @defaultValue 60000 */
  newSessionsWindowMs?: number;
}

/** Options of one socket mount. */
export interface SocketOptions {
  /** Which browser origins may connect. @defaultValue the endpoint's `checkOrigin` */
  checkOrigin?: CheckOrigin;
  /** Read the `authToken` a client passes in the handshake into `ConnectInfo.authToken`. @defaultValue false */
  authToken?: boolean;
  /** Most channels one connection may have joined at once. @defaultValue 100 */
  maxChannels?: number;
  /** Close a connection that sent no frame for this long (ms); 0 disables. @defaultValue 60000 */
  idleTimeoutMs?: number;
  /** Largest frame accepted from a client, in bytes. @defaultValue the endpoint's `maxFrameBytes` */
  maxFrameBytes?: number;
  /** Outbound bytes queued for one slow client before it is disconnected (1013). @defaultValue 8 MiB */
  maxBufferedBytes?: number;
  /**
   * Also accept LongPoll clients at `<path>/longpoll` (`true` for the defaults, or {@link LongPollOptions}).
   * The official client falls back to LongPoll when WebSocket fails (its `longPollFallbackMs` option).
   * @defaultValue false
   */
  longpoll?: boolean | LongPollOptions;
  /**
   * Whether clients may connect over WebSocket at `<path>/websocket`: `false` serves LongPoll only; a
   * function decides per upgrade request (`true` accepts). A refused upgrade is answered with HTTP 404,
   * as if nothing were mounted there, so official clients with `longPollFallbackMs` fall back to LongPoll
   * at once. The function form lets tests (and canary setups) make WebSocket fail for chosen clients.
   * @defaultValue true
   * @example
   * ```ts
   * // Clients that carry a `no_ws` cookie get no WebSocket and fall back to LongPoll.
   * endpoint.socket("/socket", UserSocket, { longpoll: true, websocket: (req) => !/\bno_ws=1\b/.test(req.headers.cookie ?? "") });
   * ```
   */
  websocket?: boolean | ((request: IncomingMessage) => boolean);
  /**
   * Rate limits of each connection: client messages, frame bytes and joins per second, with `burst`
   * seconds of allowance (token buckets refilled continuously). A message over a limit is not handled:
   * the client gets an error reply `{reason: "rate limited", retry_after_ms}` (to a join, as its join
   * reply; nothing for a message without a ref), it is counted on the `fenix:socket:limited` telemetry
   * event, and `clientError` reports `FENIX_ERR_SERVER_RATE_LIMITED` at most once a second per connection.
   * The connection stays open. Heartbeats and leaves are never limited.
   * @defaultValue no limit
   * @example
   * ```ts
   * endpoint.socket("/socket", UserSocket, { rateLimit: { messagesPerSec: 50, bytesPerSec: 256 * 1024, joinsPerSec: 10, burst: 2 } });
   * ```
   */
  rateLimit?: RateLimitOptions;
  /**
   * Rate limits of each topic of each connection (`messagesPerSec`, `bytesPerSec`, `burst`; joins are
   * limited by `rateLimit.joinsPerSec`), answered like {@link SocketOptions.rateLimit}: a client flooding
   * one topic keeps its other topics.
   * @defaultValue no limit
   */
  topicRateLimit?: RateLimitOptions;
  /**
   * Connections one client address (the TCP peer address) may have open on this mount, WebSocket and
   * LongPoll sessions together; one more is refused with HTTP 429 before the socket's `connect` runs, and
   * reported as `FENIX_ERR_SERVER_TOO_MANY_CONNECTIONS`. Behind a proxy every client shares its address.
   * @defaultValue no limit
   */
  maxConnectionsPerAddress?: number;
  /** Longest topic (UTF-8 bytes) a client message may name; a longer one is answered `{reason: "topic too long"}`. @defaultValue 255 */
  maxTopicLength?: number;
  /** Longest event name (UTF-8 bytes) a client message may carry; a longer one is answered `{reason: "event too long"}`. @defaultValue 255 */
  maxEventLength?: number;
}

/** One socket mount, as listed by {@link Endpoint.routes}. */
export interface SocketMountInfo {
  /** The mount path, such as `/socket`. */
  readonly path: string;
  /** The name of the Socket class mounted there. */
  readonly socket: string;
  /** The WebSocket URL path (`/socket/websocket`), or `null` when the mount serves LongPoll only. */
  readonly websocket: string | null;
  /** The LongPoll URL path (`/socket/longpoll`), or `null` without the `longpoll` option. */
  readonly longpoll: string | null;
  /** The channel routes, in match order: topic pattern and channel class name. */
  readonly channels: readonly { readonly pattern: string; readonly channel: string }[];
}

/** A WebSocket upgrade handler mounted with {@link Endpoint.upgrade}: it owns the request's socket. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Something that starts and stops with an endpoint, such as the MQTT listener of `fenix/mqtt`
 * (see {@link Endpoint.addService}).
 */
export interface EndpointService {
  /** Runs when the endpoint has started (its PubSub and supervision tree are up, its HTTP server listens). */
  start(): Promise<void>;
  /** The endpoint drains: stop accepting new clients (the open ones are drained by the endpoint). */
  drain?(): void;
  /** Runs first when the endpoint stops: stop accepting and close what the service opened. */
  stop(): Promise<void>;
}

/** A plain HTTP handler mounted with {@link Endpoint.route}. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listener of the `clientError` event. */
export type ClientErrorListener = (error: FenixError, context: ClientErrorContext) => void;

interface Closable {
  close(code: number, reason: string): void;
}

const MiB = 1024 * 1024;
/** The default tracker name of {@link Endpoint.presence}. */
const ENDPOINT_PRESENCE = "endpoint_presence";
/** How long a drain waits, after its last batch, for the connections to end before `stop()` takes over. */
const DRAIN_GRACE_MS = 5_000;
const ALWAYS = (): boolean => true;
const NEVER = (): boolean => false;

/**
 * Serves sockets, channels and static files over HTTP.
 *
 * @remarks
 * Mount sockets with {@link Endpoint.socket} before {@link Endpoint.start}. Each mount at `/socket` accepts
 * WebSocket connections at `/socket/websocket` and, with the `longpoll` option, LongPoll clients at
 * `/socket/longpoll`. Clients that break the protocol are closed with a precise
 * code and reported on the `clientError` event; they never disturb other connections.
 *
 * @example
 * ```ts
 * const endpoint = new Endpoint({ port: 4000, staticDir: "public" });
 * endpoint.socket("/socket", UserSocket);
 * await endpoint.start();
 * endpoint.broadcast("room:lobby", "announcement", { body: "hello" });
 * ```
 */
export class Endpoint implements EndpointContext {
  readonly runtime: Runtime;
  readonly pubsub: PubSub;
  readonly logger: Logger;
  readonly #options: EndpointOptions;
  readonly #ownsPubSub: boolean;
  readonly #server: Server;
  readonly #ownsServer: boolean;
  readonly #mounts = new Map<string, WebSocketMount>();
  readonly #longpolls = new Map<string, LongPollHandler>();
  readonly #secretKeyBase: string;
  readonly #statics: StaticMount[] = [];
  readonly #sockets = new Set<Closable>();
  readonly #routes: Array<{ readonly path: string; readonly prefix: boolean; readonly handler: RequestHandler }> = [];
  /** Stops writing this endpoint's telemetry to its logger (on stop). */
  readonly #stopLogging: () => void;
  readonly #clientErrorListeners: ClientErrorListener[] = [];
  readonly #upgrades = new Map<string, UpgradeHandler>();
  readonly #services: EndpointService[] = [];
  #state: "new" | "started" | "draining" | "stopping" | "stopped" = "new";
  /** The running drain, and how to cut it short (stop() during a drain). */
  #drain: { readonly done: Promise<void>; readonly cut: () => void } | null = null;
  /** Wakes a drain waiting for the last connection to end. */
  #onLastClosed: (() => void) | null = null;
  /** The running or finished stop. */
  #stopped: Promise<void> | null = null;
  #supervisor: Pid | null = null;
  #presence: Presence | null = null;
  /** Whether the tracker of {@link Endpoint.presence} runs in the supervision tree (decided at start). */
  #presenceWanted = false;

  constructor(options: EndpointOptions = {}) {
    this.#options = options;
    this.logger = options.logger ?? consoleLogger("warn");
    this.runtime = options.runtime ?? options.pubsub?.runtime ?? defaultRuntime;
    if (options.secretKeyBase !== undefined && (typeof options.secretKeyBase !== "string" || options.secretKeyBase.length < 32)) {
      throw new ServerError(ServerErrorCode.BAD_OPTION, "Option secretKeyBase must be a string of at least 32 characters.");
    }
    this.#secretKeyBase = options.secretKeyBase ?? randomBytes(32).toString("base64");
    if (!Number.isFinite(nonNegative(options.drainMs ?? 0, "drainMs"))) {
      throw new ServerError(ServerErrorCode.BAD_OPTION, "Option drainMs must be a finite number of milliseconds.");
    }
    positive(options.drainBatches ?? 1, "drainBatches");
    this.#ownsPubSub = options.pubsub === undefined;
    this.pubsub = options.pubsub ?? new PubSub({ runtime: this.runtime });
    this.pubsub.registerDispatcher(FASTLANE_DISPATCHER, fastlaneDispatcher);
    // The logger is a telemetry subscriber: it writes what this endpoint, its PubSub and its runtime publish.
    this.#stopLogging = logTelemetry(this.logger, (source) => source === this || source === this.pubsub || source === this.runtime);
    this.#ownsServer = options.server === undefined;
    this.#server = options.server ?? createServer((req, res) => this.handleRequest(req, res));
    this.#server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    if (options.staticDir !== undefined) this.static("/", options.staticDir);
  }

  /**
   * The endpoint's own presence tracker, on its PubSub: what channels that define `presenceKey()` are
   * tracked on, and where to `list`, `update` or `untrack` them. Its tracker runs in the endpoint's
   * supervision tree when a mounted socket has such a channel, or when this was read before `start()`.
   */
  get presence(): Presence {
    // Its own tracker name, apart from a Presence the application makes on the same PubSub.
    this.#presence ??= new Presence(this.pubsub, { name: ENDPOINT_PRESENCE, ...this.#options.presence });
    if (this.#state === "new") this.#presenceWanted = true;
    return this.#presence;
  }

  /** The HTTP server the endpoint listens on or is attached to. */
  get server(): Server {
    return this.#server;
  }

  /** The base URL once listening, such as `http://127.0.0.1:4000`. */
  get url(): string {
    const address = this.#server.address() as AddressInfo | null;
    if (address === null || typeof address === "string") {
      throw new ServerError(ServerErrorCode.BAD_STATE, "The endpoint is not listening; await endpoint.start() first.");
    }
    const host = address.family === "IPv6" ? (address.address === "::" ? "localhost" : `[${address.address}]`) : address.address === "0.0.0.0" ? "localhost" : address.address;
    return `http://${host}:${address.port}`;
  }

  /** How many client connections are open. */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** This node's name (its PubSub's), as labels and telemetry show it. */
  get node(): string {
    return this.pubsub.nodeName;
  }

  /**
   * A snapshot of every open connection: its process, transport, peer, socket id, mailbox length,
   * outbound bytes queued, and joined channels (what the dashboard and the metrics read).
   */
  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const socket of this.#sockets) if (isInspectable(socket)) out.push(socket.info());
    return out;
  }

  /**
   * Closes the connection whose process is `pid` with 1001 (the client reconnects and `connect` runs
   * again). Use `disconnect(socketId)` to close every connection of one user on every node.
   * @returns whether a connection of this endpoint had that pid.
   */
  closeConnection(pid: Pid): boolean {
    for (const socket of this.#sockets) {
      if (isInspectable(socket) && socket.pid === pid) {
        socket.close(CloseCode.GOING_AWAY, "closed by the server");
        return true;
      }
    }
    return false;
  }

  /**
   * Serves plain HTTP requests at `path` — exactly, or every path under it when `path` ends with `/*`
   * (`"/admin/*"` serves `/admin` and `/admin/…`). Routes are tried after LongPoll and the client bundle,
   * before static folders; the first match wins. May be called after `start()`.
   * @throws ServerError `FENIX_ERR_SERVER_BAD_PATH` if `path` does not start with "/".
   */
  route(path: string, handler: RequestHandler): this {
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `A route path must start with "/", as in "/metrics"; got ${JSON.stringify(path)}.`);
    }
    const prefix = path.endsWith("/*");
    this.#routes.push({ path: prefix ? path.slice(0, -2) : path, prefix, handler });
    return this;
  }

  /**
   * Hands WebSocket upgrade requests for `path` (exactly; the query string aside) to `handler`, which
   * owns the request's socket from then on: answer it, upgrade it with its own `ws` server, or destroy
   * it. Socket mounts keep their own paths. May be called after `start()`.
   *
   * @throws ServerError `FENIX_ERR_SERVER_BAD_PATH` if the path is not absolute or already taken.
   */
  upgrade(path: string, handler: UpgradeHandler): this {
    if (typeof path !== "string" || !path.startsWith("/") || this.#upgrades.has(path) || this.#mounts.has(path)) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `Upgrade path ${JSON.stringify(path)} must be absolute and not already taken.`);
    }
    this.#upgrades.set(path, handler);
    return this;
  }

  /**
   * Adds a service that starts after the endpoint (PubSub, supervision tree, HTTP server) and stops
   * before it; `fenix/mqtt` uses it for its listener. Services start in the order added, stop in reverse.
   *
   * @throws ServerError `FENIX_ERR_SERVER_BAD_STATE` after `start()`.
   */
  addService(service: EndpointService): this {
    if (this.#state !== "new") throw new ServerError(ServerErrorCode.BAD_STATE, "Add services before endpoint.start().");
    this.#services.push(service);
    return this;
  }

  /** Whether {@link Endpoint.start} has been called. */
  get started(): boolean {
    return this.#state !== "new";
  }

  /**
   * Mounts a socket: clients connect at `<path>/websocket`, and at `<path>/longpoll` with the `longpoll` option.
   *
   * @throws ServerError `FENIX_ERR_SERVER_BAD_PATH` if the path is not absolute or already mounted;
   * `FENIX_ERR_SERVER_BAD_TOPIC_PATTERN` for a bad channel route; `FENIX_ERR_SERVER_BAD_OPTION`;
   * `FENIX_ERR_SERVER_BAD_STATE` after `start()`.
   */
  socket(path: string, socketClass: SocketClass, options: SocketOptions = {}): this {
    if (this.#state !== "new") {
      throw new ServerError(ServerErrorCode.BAD_STATE, "Mount sockets before endpoint.start(); the supervision tree is built when it starts.");
    }
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `A socket path must start with "/", as in "/socket"; got ${JSON.stringify(path)}.`);
    }
    const mountPath = path.length > 1 ? path.replace(/\/+$/, "") : path;
    const wsPath = `${mountPath === "/" ? "" : mountPath}/websocket`;
    if (this.#mounts.has(wsPath)) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `A socket is already mounted at ${mountPath}.`);
    }
    const websocket = options.websocket ?? true;
    if (typeof websocket !== "boolean" && typeof websocket !== "function") {
      throw new ServerError(ServerErrorCode.BAD_OPTION, `Option websocket must be a boolean or a function; got ${typeof websocket}.`);
    }
    if (websocket === false && (options.longpoll === undefined || options.longpoll === false)) {
      throw new ServerError(ServerErrorCode.BAD_OPTION, `The socket at ${mountPath} has neither WebSocket nor LongPoll enabled; clients could not reach it.`);
    }
    const maxFrameBytes = positive(options.maxFrameBytes ?? this.#options.maxFrameBytes ?? MiB, "maxFrameBytes");
    const maxBufferedBytes = positive(options.maxBufferedBytes ?? 8 * MiB, "maxBufferedBytes");
    // A channel that tracks presence needs the endpoint's tracker running.
    if ((socketClass.channels ?? []).some(([, channel]) => tracksPresence(channel))) this.#presenceWanted = true;
    const mount: WebSocketMount = {
      path: mountPath,
      socketClass,
      router: channelRouter(socketClass.channels ?? []),
      limits: {
        maxChannels: positive(options.maxChannels ?? 100, "maxChannels"),
        idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? 60_000, "idleTimeoutMs"),
        maxTopicLength: positive(options.maxTopicLength ?? DEFAULT_MAX_NAME_LENGTH, "maxTopicLength"),
        maxEventLength: positive(options.maxEventLength ?? DEFAULT_MAX_NAME_LENGTH, "maxEventLength"),
        rateLimit: rateLimitOf(options.rateLimit, "rateLimit"),
        topicRateLimit: rateLimitOf(options.topicRateLimit, "topicRateLimit"),
        maxBufferedBytes,
      },
      authToken: options.authToken ?? false,
      maxBufferedBytes,
      maxFrameBytes,
      checkOrigin: compileOriginCheck(options.checkOrigin ?? this.#options.checkOrigin ?? true, this.#options.hosts),
      connections:
        options.maxConnectionsPerAddress === undefined
          ? null
          : new AddressConnections(positive(options.maxConnectionsPerAddress, "maxConnectionsPerAddress")),
      acceptsWebSocket: typeof websocket === "function" ? websocket : websocket ? ALWAYS : NEVER,
      wss: new WebSocketServer({
        noServer: true,
        maxPayload: maxFrameBytes,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: (protocols) => (protocols.has("phoenix") ? "phoenix" : false),
      }),
      supervisor: null,
    };
    this.#mounts.set(wsPath, mount);
    if (options.longpoll !== undefined && options.longpoll !== false) {
      const lp = options.longpoll === true ? {} : options.longpoll;
      const settings: LongPollSettings = {
        windowMs: positive(lp.windowMs ?? 10_000, "longpoll.windowMs"),
        pubsubTimeoutMs: positive(lp.pubsubTimeoutMs ?? 2_000, "longpoll.pubsubTimeoutMs"),
        maxBufferedMessages: positive(lp.maxBufferedMessages ?? 10_000, "longpoll.maxBufferedMessages"),
        maxBufferedBytes: positive(lp.maxBufferedBytes ?? mount.maxBufferedBytes, "longpoll.maxBufferedBytes"),
        maxBodyBytes: positive(lp.maxBodyBytes ?? maxFrameBytes * 4, "longpoll.maxBodyBytes"),
        maxConcurrentPostsPerAddress: positive(lp.maxConcurrentPostsPerAddress ?? 4, "longpoll.maxConcurrentPostsPerAddress"),
        maxNewSessionsPerAddress: positive(lp.maxNewSessionsPerAddress ?? 60, "longpoll.maxNewSessionsPerAddress"),
        newSessionsWindowMs: positive(lp.newSessionsWindowMs ?? 60_000, "longpoll.newSessionsWindowMs"),
      };
      this.#longpolls.set(`${mountPath === "/" ? "" : mountPath}/longpoll`, new LongPollHandler(this, mount, settings, this.#secretKeyBase));
    }
    return this;
  }

  /**
   * Every socket mount with its transports and channel routes, in the order they were mounted (what
   * `fenix routes` prints).
   */
  routes(): SocketMountInfo[] {
    return [...this.#mounts.entries()].map(([wsPath, mount]) => {
      const longpoll = `${mount.path === "/" ? "" : mount.path}/longpoll`;
      const websocket = mount.acceptsWebSocket === NEVER ? null : wsPath;
      return {
        path: mount.path,
        socket: mount.socketClass.name || "(anonymous socket)",
        websocket,
        longpoll: this.#longpolls.has(longpoll) ? longpoll : null,
        channels: (mount.socketClass.channels ?? []).map(([pattern, channel]) => ({ pattern, channel: channel.name || "(anonymous channel)" })),
      };
    });
  }

  /**
   * Serves the files of `dir` under the URL prefix (requests that name no file fall through).
   * @throws ServerError `FENIX_ERR_SERVER_BAD_OPTION` if `dir` is not a folder.
   */
  static(prefix: string, dir: string): this {
    this.#statics.push(new StaticMount(prefix, dir));
    return this;
  }

  /** Listens for `clientError`: a client broke the protocol or a limit and was refused or closed. */
  on(event: "clientError", listener: ClientErrorListener): this {
    if (event === "clientError") this.#clientErrorListeners.push(listener);
    return this;
  }

  /** Stops listening for `clientError`. */
  off(event: "clientError", listener: ClientErrorListener): this {
    const i = this.#clientErrorListeners.indexOf(listener);
    if (event === "clientError" && i !== -1) this.#clientErrorListeners.splice(i, 1);
    return this;
  }

  /**
   * Starts the PubSub and, unless attached to a server, listens.
   * @throws ServerError `FENIX_ERR_SERVER_LISTEN_FAILED` (port in use…), `FENIX_ERR_SERVER_BAD_STATE` if started twice.
   */
  async start(): Promise<this> {
    if (this.#state !== "new") {
      throw new ServerError(ServerErrorCode.BAD_STATE, `The endpoint is ${this.#state}; an endpoint starts once.`);
    }
    this.#state = "started";
    await this.#startTree();
    if (this.#ownsServer) {
      const { port = 4000, host } = this.#options;
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(new ServerError(ServerErrorCode.LISTEN_FAILED, `Cannot listen on port ${port}: ${err.message}`, { cause: err }));
        this.#server.once("error", onError);
        this.#server.listen(port, host, () => {
          this.#server.off("error", onError);
          resolve();
        });
      });
    }
    for (const service of this.#services) await service.start();
    return this;
  }

  /**
   * Drains the endpoint: refuses new connections (WebSocket upgrades and new LongPoll sessions get HTTP
   * 503, so balancers and clients go elsewhere), then closes the open ones with 1012 in batches spread
   * over a period, and resolves once they have all ended. The endpoint stays in this state (PubSub up,
   * HTTP server listening) until {@link Endpoint.stop}.
   *
   * @remarks
   * The period is cut into `batches` equal slots; each slot starts by closing its share of the
   * connections still open, oldest first (the first at once, the last after `(batches - 1) / batches` of
   * the period, taking whatever is left, newcomers included). Clients reconnect after their backoff,
   * through the balancer, to a node that accepts: spreading the closes spreads the reconnects and the
   * joins that follow them over the other nodes. LongPoll sessions end the same way: a parked poll is
   * answered 410 (session gone), a later one 503; both clients then reconnect and rejoin. Disconnect
   * telemetry gives the reason `"drain"`. Connections still open 5 s after the last batch are left to
   * `stop()`. Calling `drain()` again returns the running drain; `stop()` during a
   * drain closes what is left at once.
   *
   * @throws ServerError `FENIX_ERR_SERVER_BAD_STATE` before `start()`, or a bad period or batch count
   * (`FENIX_ERR_SERVER_BAD_OPTION`).
   * @example
   * ```ts
   * process.once("SIGTERM", async () => {
   *   await endpoint.drain({ periodMs: 10_000, batches: 20 });
   *   await endpoint.stop();
   * });
   * ```
   */
  drain(options: DrainOptions = {}): Promise<void> {
    if (this.#drain !== null) return this.#drain.done;
    if (this.#state === "stopping" || this.#state === "stopped") return Promise.resolve();
    if (this.#state !== "started") {
      throw new ServerError(ServerErrorCode.BAD_STATE, `The endpoint is ${this.#state}; only a started endpoint drains.`);
    }
    const periodMs = nonNegative(options.periodMs ?? this.#options.drainMs ?? 0, "periodMs");
    if (!Number.isFinite(periodMs)) throw new ServerError(ServerErrorCode.BAD_OPTION, "Option periodMs must be a finite number of milliseconds.");
    const batches = Math.max(1, Math.floor(positive(options.batches ?? this.#options.drainBatches ?? 10, "batches")));
    this.#state = "draining";
    for (const longpoll of this.#longpolls.values()) longpoll.drain();
    for (const service of this.#services) service.drain?.();
    const clock = this.runtime.clock;
    const timers = new Set<ReturnType<typeof clock.setTimeout>>();
    const told = new WeakSet<Closable>();
    let cut = false;
    let wake: () => void = () => {};
    const closeBatch = (index: number): void => {
      const open = [...this.#sockets].filter((socket) => !told.has(socket));
      const share = index >= batches - 1 ? open.length : Math.ceil(open.length / (batches - index));
      for (const socket of open.slice(0, share)) {
        told.add(socket);
        if (isDrainable(socket)) socket.drain();
        else socket.close(CloseCode.SERVICE_RESTART, "drain");
      }
    };
    const run = async (): Promise<void> => {
      for (let index = 0; index < batches && !cut; index++) {
        if (index > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            const timer = clock.setTimeout(() => {
              timers.delete(timer);
              resolve();
            }, periodMs / batches);
            timers.add(timer);
          });
        }
        if (!cut) closeBatch(index);
      }
      if (cut || this.#sockets.size === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#onLastClosed = resolve;
        const timer = clock.setTimeout(resolve, DRAIN_GRACE_MS);
        timers.add(timer);
      });
      this.#onLastClosed = null;
    };
    const done = run().finally(() => {
      for (const timer of timers) clock.clearTimeout(timer);
    });
    this.#drain = {
      done,
      cut: () => {
        cut = true;
        wake();
      },
    };
    return done;
  }

  /**
   * Stops the endpoint: drains it first when a drain period is set (`options.periodMs`, else the endpoint's
   * `drainMs`; see {@link Endpoint.drain}), then closes every connection left with 1012 (the client
   * reconnects, to another node if there is one), stops accepting new ones, and stops the PubSub and the
   * HTTP server it created. Called during a drain started by {@link Endpoint.drain}, closes what is left
   * at once; called again while stopping, returns the same promise.
   */
  stop(options: DrainOptions = {}): Promise<void> {
    this.#stopped ??= this.#stop(options);
    return this.#stopped;
  }

  async #stop(options: DrainOptions): Promise<void> {
    const periodMs = options.periodMs ?? this.#options.drainMs ?? 0;
    if (this.#state === "started" && periodMs > 0) await this.drain(options);
    this.#drain?.cut();
    this.#state = "stopping";
    for (const service of [...this.#services].reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.log("error", "a service failed to stop", { error: err });
      }
    }
    for (const mount of this.#mounts.values()) mount.wss.close();
    for (const longpoll of this.#longpolls.values()) longpoll.stop();
    // Ordered shutdown: the connections (each closed with 1012, its channels' terminate run), then PubSub.
    if (this.#supervisor !== null && this.runtime.isAlive(this.#supervisor)) await Supervisor.stop(this.#supervisor, "shutdown");
    for (const socket of [...this.#sockets]) socket.close(CloseCode.SERVICE_RESTART, "server restart");
    if (this.#ownsServer && this.#server.listening) {
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    }
    if (this.#ownsPubSub) await this.pubsub.stop();
    this.#stopLogging();
    this.#state = "stopped";
  }

  /** Broadcasts an event to every client joined to `topic`, on every node. */
  broadcast(topic: string, event: string, payload: Payload): void {
    broadcastEvent(this.pubsub, topic, event, payload);
  }

  /** Like {@link Endpoint.broadcast}, but skips the process `from`. */
  broadcastFrom(from: Pid, topic: string, event: string, payload: Payload): void {
    broadcastEventFrom(this.pubsub, from, topic, event, payload);
  }

  /** Broadcasts an event to the clients joined to `topic` on this node only. */
  localBroadcast(topic: string, event: string, payload: Payload): void {
    localBroadcastEvent(this.pubsub, topic, event, payload);
  }

  /** Closes every connection whose socket `id()` is `socketId`, on every node (close code 1001; clients reconnect and `connect` runs again). */
  disconnect(socketId: string): void {
    this.broadcast(socketId, "disconnect", {});
  }

  /**
   * Handles a plain HTTP request: LongPoll requests of the sockets that enable it, static files, then 404
   * (or `next()` when given, for use as middleware in another framework). When attached to a `server`,
   * route requests here for LongPoll to work.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: () => void): void {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const longpoll = this.#longpolls.get(path);
    if (longpoll !== undefined) {
      longpoll.handle(req, res);
      return;
    }
    if (isClientBundlePath(path) && (req.method === "GET" || req.method === "HEAD")) {
      serveClientBundle(path, req, res);
      return;
    }
    const mount = this.#mounts.get(path);
    if (mount !== undefined && mount.acceptsWebSocket(req)) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Expected a WebSocket upgrade.\n");
      return;
    }
    for (const route of this.#routes) {
      if (path === route.path || (route.prefix && (route.path === "" || path.startsWith(`${route.path}/`)))) {
        route.handler(req, res);
        return;
      }
    }
    let i = 0;
    const step = (): void => {
      const mount = this.#statics[i++];
      if (mount !== undefined) return mount.handle(req, res, step);
      if (next !== undefined) return next();
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    };
    step();
  }

  /** The pid of the endpoint's top supervisor (PubSub, then one connection supervisor per socket mount). */
  get supervisor(): Pid | null {
    return this.#supervisor;
  }

  /**
   * Starts the supervision tree: the PubSub (when the endpoint owns it), the user's `children`, and, per
   * socket mount, a DynamicSupervisor of its connections. Crashes in these parts are restarted like any supervised process.
   */
  async #startTree(): Promise<void> {
    const runtime = this.runtime;
    const children: ChildSpec[] = [];
    if (this.#ownsPubSub) children.push(this.pubsub.childSpec("pubsub"));
    children.push(...(this.#options.children ?? []));
    // After the children: a PubSub the user passed is started among them.
    if (this.#presenceWanted) children.push(this.presence.childSpec("presence"));
    for (const mount of this.#mounts.values()) {
      children.push(connectionSupervisorSpec(`socket:${mount.path}`, runtime, mount));
    }
    const supervisor = await Supervisor.start({ runtime, strategy: "oneForOne", children, maxRestarts: 3, maxSeconds: 5 });
    this.#supervisor = supervisor;
    runtime.watch(supervisor, (reason) => {
      if (this.#state === "started") {
        this.log("error", "the endpoint's supervision tree ended; new connections are refused", { reason: formatExitReason(reason) });
      }
    });
  }

  /** @internal */
  reportClientError(error: FenixError, context: ClientErrorContext): void {
    const ch = telemetryChannels[TelemetryEvent.TRANSPORT_ERROR];
    if (ch.hasSubscribers) {
      const status = (error as { status?: unknown }).status;
      ch.publish({
        source: this,
        node: this.node,
        ...context,
        code: error.code,
        message: error.message,
        status: typeof status === "number" ? status : undefined,
      } satisfies TransportError);
    }
    for (const listener of this.#clientErrorListeners) {
      try {
        listener(error, context);
      } catch (err) {
        this.log("error", "a clientError listener threw", { error: err });
      }
    }
  }

  /** @internal */
  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void {
    logRecord(this, this.node, level, message, meta);
  }

  /** @internal */
  socketOpened(socket: Closable): void {
    this.#sockets.add(socket);
  }

  /** @internal */
  socketClosed(socket: Closable): void {
    this.#sockets.delete(socket);
    if (this.#sockets.size === 0) this.#onLastClosed?.();
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const handler = this.#upgrades.get(path);
    if (handler !== undefined) {
      socket.on("error", () => {});
      if (this.#state !== "started") {
        refuseUpgrade(socket, 503);
        return;
      }
      handler(req, socket, head);
      return;
    }
    const mount = this.#mounts.get(path);
    if (mount === undefined) {
      // Attached to a server that may have other upgrade handlers: leave their requests alone.
      if (!this.#ownsServer && this.#server.listenerCount("upgrade") > 1) return;
      refuseUpgrade(socket, 400);
      return;
    }
    socket.on("error", () => {});
    if (!mount.acceptsWebSocket(req)) {
      refuseUpgrade(socket, 404);
      return;
    }
    if (this.#state !== "started") {
      refuseUpgrade(socket, 503);
      return;
    }
    upgradeWebSocket(this, mount, req, socket, head).catch((err: unknown) => {
      this.log("error", "WebSocket upgrade failed", { error: err });
      refuseUpgrade(socket, 500);
    });
  }
}

/** A tracked connection that can describe itself (every connection process can). */
function isInspectable(socket: Closable): socket is Closable & { readonly pid: Pid; info(): ConnectionInfo } {
  return typeof (socket as { info?: unknown }).info === "function";
}

/** A tracked connection that can close itself as part of a drain (every connection process can). */
function isDrainable(socket: Closable): socket is Closable & { drain(): void } {
  return typeof (socket as { drain?: unknown }).drain === "function";
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be a positive number; got ${String(value)}.`);
  }
  return value;
}

/** Resolves a rate limit option: `null` when absent or when it limits nothing. */
function rateLimitOf(options: RateLimitOptions | undefined, name: string): RateLimit | null {
  if (options === undefined) return null;
  if (typeof options !== "object" || options === null) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be an object such as { messagesPerSec: 50 }; got ${String(options)}.`);
  }
  const limit: RateLimit = {
    messagesPerSec: options.messagesPerSec === undefined ? 0 : positive(options.messagesPerSec, `${name}.messagesPerSec`),
    bytesPerSec: options.bytesPerSec === undefined ? 0 : positive(options.bytesPerSec, `${name}.bytesPerSec`),
    joinsPerSec: options.joinsPerSec === undefined ? 0 : positive(options.joinsPerSec, `${name}.joinsPerSec`),
    burst: positive(options.burst ?? 1, `${name}.burst`),
  };
  for (const key of ["messagesPerSec", "bytesPerSec", "joinsPerSec", "burst"] as const) {
    if (!Number.isFinite(limit[key])) throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name}.${key} must be finite; got ${limit[key]}.`);
  }
  return limit.messagesPerSec > 0 || limit.bytesPerSec > 0 || limit.joinsPerSec > 0 ? limit : null;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be zero or a positive number; got ${String(value)}.`);
  }
  return value;
}

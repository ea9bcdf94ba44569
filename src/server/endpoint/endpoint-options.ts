/**
 * The options and hook types of an Endpoint: what `new Endpoint(options)`, `endpoint.socket(path, Socket,
 * options)`, `drain`, routes, upgrade handlers and services take.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { FenixError } from "../../errors/fenix-error.js";
import type { PresenceOptions } from "../../presence/presence.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import type { ChildSpec } from "../../runtime/supervisor/child-spec.js";
import type { Runtime } from "../../runtime/process/runtime.js";
import type { ClientErrorContext } from "./endpoint-context.js";
import type { Logger } from "./logger.js";
import type { CheckOrigin } from "./origin.js";
import type { RateLimitOptions } from "../socket/rate-limit.js";

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

/**
 * The Endpoint: the HTTP side of a Fenix application. It listens (or attaches to an existing server),
 * mounts sockets at paths, serves static folders, checks origins, owns the PubSub and the runtime its
 * processes run on, and shuts everything down in order.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Payload } from "../../protocol/message.js";
import { PubSub } from "../../pubsub/pubsub.js";
import { PubSubError, PubSubErrorCode } from "../../pubsub/errors.js";
import type { HistorySettings } from "../channel/channel-route.js";
import { readTopicHistory, type TopicHistory } from "../channel/topic-history.js";
import type { ConnectionInfo } from "./connection-info.js";
import { logTelemetry } from "./telemetry-logger.js";
import { FASTLANE_DISPATCHER, fastlaneDispatcher } from "../channel/fastlane.js";
import type { ChildSpec } from "../../runtime/supervisor/child-spec.js";
import { formatExitReason } from "../../runtime/process/exit-reason.js";
import type { Pid } from "../../runtime/process/pid.js";
import { defaultRuntime, type Runtime } from "../../runtime/process/runtime.js";
import { Supervisor } from "../../runtime/supervisor/supervisor.js";
import { tracksPresence } from "../channel/channel.js";
import { Presence } from "../../presence/presence.js";
import { broadcastEvent, broadcastEventFrom, localBroadcastEvent } from "../channel/channel-broadcast.js";
import type { EndpointApi } from "./endpoint-context.js";
import { EndpointCore, registerEndpointCore, type Closable } from "./endpoint-core.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { consoleLogger, type Logger } from "./logger.js";
import { connectionSupervisorSpec } from "../socket/connect-pipeline.js";
import { LongPollHandler } from "../longpoll/longpoll-handler.js";
import { nonNegative, positive } from "./option-checks.js";
import { NEVER, resolveMount } from "./socket-mount.js";
import { HttpRoutes } from "./http-routes.js";
import type { SocketClass } from "../socket/socket.js";
import { StaticMount } from "./static-files.js";
import { CloseCode } from "../socket/transport.js";

export type {
  ClientErrorListener,
  DrainOptions,
  EndpointOptions,
  EndpointService,
  LongPollOptions,
  RequestHandler,
  SocketMountInfo,
  SocketOptions,
  UpgradeHandler,
} from "./endpoint-options.js";
import type {
  ClientErrorListener,
  DrainOptions,
  EndpointOptions,
  EndpointService,
  RequestHandler,
  SocketMountInfo,
  SocketOptions,
  UpgradeHandler,
} from "./endpoint-options.js";

/** The default tracker name of {@link Endpoint.presence}. */
const ENDPOINT_PRESENCE = "endpoint_presence";
/** How long a drain waits, after its last batch, for the connections to end before `stop()` takes over. */
const DRAIN_GRACE_MS = 5_000;

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
export class Endpoint implements EndpointApi {
  readonly runtime: Runtime;
  readonly pubsub: PubSub;
  readonly logger: Logger;
  readonly #options: EndpointOptions;
  readonly #ownsPubSub: boolean;
  readonly #server: Server;
  readonly #ownsServer: boolean;
  /** The HTTP side: socket mounts, LongPoll handlers, routes, upgrade handlers, static folders. */
  readonly #http = new HttpRoutes();
  readonly #secretKeyBase: string;
  /** The internal side: logging, client-error reports, open connections (see endpoint-core.ts). */
  readonly #core: EndpointCore;
  /** Stops writing this endpoint's telemetry to its logger (on stop). */
  readonly #stopLogging: () => void;
  readonly #services: EndpointService[] = [];
  #state: "new" | "started" | "draining" | "stopping" | "stopped" = "new";
  /** The running drain, and how to cut it short (stop() during a drain). */
  #drain: { readonly done: Promise<void>; readonly cut: () => void } | null = null;
  /** The running or finished stop. */
  #stopped: Promise<void> | null = null;
  #supervisor: Pid | null = null;
  #presence: Presence | null = null;
  /** Whether a route of a mounted socket keeps history. */
  #keepsHistory = false;
  /** Whether the tracker of {@link Endpoint.presence} runs in the supervision tree (decided at start). */
  #presenceWanted = false;

  constructor(options: EndpointOptions = {}) {
    this.#options = options;
    this.logger = options.logger ?? consoleLogger("warn");
    this.#core = new EndpointCore(this, this.logger);
    registerEndpointCore(this, this.#core);
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
    return this.#core.sockets.size;
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
    for (const socket of this.#core.sockets) if (isInspectable(socket)) out.push(socket.info());
    return out;
  }

  /**
   * Closes the connection whose process is `pid` with 1001 (the client reconnects and `connect` runs
   * again). Use `disconnect(socketId)` to close every connection of one user on every node.
   * @returns whether a connection of this endpoint had that pid.
   */
  closeConnection(pid: Pid): boolean {
    for (const socket of this.#core.sockets) {
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
    this.#http.routes.push({ path: prefix ? path.slice(0, -2) : path, prefix, handler });
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
    if (typeof path !== "string" || !path.startsWith("/") || this.#http.upgrades.has(path) || this.#http.mounts.has(path)) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `Upgrade path ${JSON.stringify(path)} must be absolute and not already taken.`);
    }
    this.#http.upgrades.set(path, handler);
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
    if (this.#http.mounts.has(wsPath)) {
      throw new ServerError(ServerErrorCode.BAD_PATH, `A socket is already mounted at ${mountPath}.`);
    }
    const { mount, longpoll } = resolveMount(mountPath, socketClass, options, {
      maxFrameBytes: this.#options.maxFrameBytes,
      checkOrigin: this.#options.checkOrigin,
      hosts: this.#options.hosts,
    });
    // Broadcasts look their topic's history up only once some route keeps history.
    if (mount.router.entries().some(([, target]) => target.history !== null)) this.#keepsHistory = true;
    // A channel that tracks presence needs the endpoint's tracker running.
    if ((socketClass.channels ?? []).some(([, channel]) => tracksPresence(channel))) this.#presenceWanted = true;
    this.#http.mounts.set(wsPath, mount);
    if (longpoll !== null) {
      this.#http.longpolls.set(`${mountPath === "/" ? "" : mountPath}/longpoll`, new LongPollHandler(this.#core, mount, longpoll, this.#secretKeyBase));
    }
    return this;
  }

  /**
   * Every socket mount with its transports and channel routes, in the order they were mounted (what
   * `fenix routes` prints).
   */
  routes(): SocketMountInfo[] {
    return [...this.#http.mounts.entries()].map(([wsPath, mount]) => {
      const longpoll = `${mount.path === "/" ? "" : mount.path}/longpoll`;
      const websocket = mount.acceptsWebSocket === NEVER ? null : wsPath;
      return {
        path: mount.path,
        socket: mount.socketClass.name || "(anonymous socket)",
        websocket,
        longpoll: this.#http.longpolls.has(longpoll) ? longpoll : null,
        channels: (mount.socketClass.channels ?? []).map(([pattern, channel]) => ({ pattern, channel: channel.name || "(anonymous channel)" })),
      };
    });
  }

  /**
   * Serves the files of `dir` under the URL prefix (requests that name no file fall through).
   * @throws ServerError `FENIX_ERR_SERVER_BAD_OPTION` if `dir` is not a folder.
   */
  static(prefix: string, dir: string): this {
    this.#http.statics.push(new StaticMount(prefix, dir));
    return this;
  }

  /** Listens for `clientError`: a client broke the protocol or a limit and was refused or closed. */
  on(event: "clientError", listener: ClientErrorListener): this {
    if (event === "clientError") this.#core.clientErrorListeners.push(listener);
    return this;
  }

  /** Stops listening for `clientError`. */
  off(event: "clientError", listener: ClientErrorListener): this {
    const i = this.#core.clientErrorListeners.indexOf(listener);
    if (event === "clientError" && i !== -1) this.#core.clientErrorListeners.splice(i, 1);
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
    if (this.#keepsHistory && !this.pubsub.keepsHistory) {
      this.#state = "new";
      throw new PubSubError(
        PubSubErrorCode.HISTORY_UNSUPPORTED,
        "A channel route keeps history, but the PubSub's adapter has no history store; use the memory, Redis or cluster adapter.",
      );
    }
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
    for (const longpoll of this.#http.longpolls.values()) longpoll.drain();
    for (const service of this.#services) service.drain?.();
    const clock = this.runtime.clock;
    const timers = new Set<ReturnType<typeof clock.setTimeout>>();
    const told = new WeakSet<Closable>();
    let cut = false;
    let wake: () => void = () => {};
    const closeBatch = (index: number): void => {
      const open = [...this.#core.sockets].filter((socket) => !told.has(socket));
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
      if (cut || this.#core.sockets.size === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#core.onLastClosed = resolve;
        const timer = clock.setTimeout(resolve, DRAIN_GRACE_MS);
        timers.add(timer);
      });
      this.#core.onLastClosed = null;
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
        this.#core.log("error", "a service failed to stop", { error: err });
      }
    }
    for (const mount of this.#http.mounts.values()) mount.wss.close();
    for (const longpoll of this.#http.longpolls.values()) longpoll.stop();
    // Ordered shutdown: the connections (each closed with 1012, its channels' terminate run), then PubSub.
    if (this.#supervisor !== null && this.runtime.isAlive(this.#supervisor)) await Supervisor.stop(this.#supervisor, "shutdown");
    for (const socket of [...this.#core.sockets]) socket.close(CloseCode.SERVICE_RESTART, "server restart");
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
    broadcastEvent(this.pubsub, topic, event, payload, this.#keepsHistory ? this.#historyOf(topic) : null);
  }

  /**
   * Like {@link Endpoint.broadcast}, but skips the process `from`. On a topic with history, `from`'s client
   * gets a position marker in place of the message.
   */
  broadcastFrom(from: Pid, topic: string, event: string, payload: Payload): void {
    broadcastEventFrom(this.pubsub, from, topic, event, payload, this.#keepsHistory ? this.#historyOf(topic) : null);
  }

  /**
   * Reads the history of a topic whose route keeps one: the newest `limit` messages (oldest first) and
   * the topic's position. Channels use {@link Channel.history}.
   * @throws ServerError `FENIX_ERR_SERVER_NO_HISTORY` when no mounted route keeps history for the topic;
   *   rejects with `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` when the store cannot be reached.
   */
  async history(topic: string, options: { readonly limit?: number } = {}): Promise<TopicHistory> {
    const settings = this.#keepsHistory ? this.#historyOf(topic) : null;
    if (settings === null) {
      throw new ServerError(ServerErrorCode.NO_HISTORY, `No mounted channel route keeps history for "${topic}"; give its route the history option.`);
    }
    return readTopicHistory(this.pubsub, topic, settings, options.limit ?? settings.size);
  }

  /** The history settings of the route that serves `topic` (the first mount whose routes match it). */
  #historyOf(topic: string): HistorySettings | null {
    for (const mount of this.#http.mounts.values()) {
      const target = mount.router.match(topic);
      if (target !== undefined) return target.history;
    }
    return null;
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
    this.#http.handleRequest(req, res, next);
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
    for (const mount of this.#http.mounts.values()) {
      children.push(connectionSupervisorSpec(`socket:${mount.path}`, runtime, mount));
    }
    const supervisor = await Supervisor.start({ runtime, strategy: "oneForOne", children, maxRestarts: 3, maxSeconds: 5 });
    this.#supervisor = supervisor;
    runtime.watch(supervisor, (reason) => {
      if (this.#state === "started") {
        this.#core.log("error", "the endpoint's supervision tree ended; new connections are refused", { reason: formatExitReason(reason) });
      }
    });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Attached to a server that may have other upgrade handlers: requests to other paths are theirs.
    const leaveOthers = !this.#ownsServer && this.#server.listenerCount("upgrade") > 1;
    this.#http.handleUpgrade(req, socket, head, this.#core, this.#state === "started", leaveOthers);
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

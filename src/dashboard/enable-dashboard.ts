/**
 * `enableDashboard`: mounts the dashboard on an endpoint — the page and its assets (plain HTTP routes),
 * the dashboard socket and channel the page talks to, and the sampler process, supervised in the
 * endpoint's tree under a supervisor of its own that gives up rather than take the endpoint down.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Supervisor } from "../runtime/supervisor/supervisor.js";
import type { Endpoint } from "../server/endpoint/endpoint.js";
import { ServerError, ServerErrorCode } from "../server/errors.js";
import type { Params } from "../server/socket/query-params.js";
import { Socket, type ChannelRoute, type SocketClass } from "../server/socket/socket.js";
import type { ConnectInfo } from "../server/socket/connect-info.js";
import { TelemetryEvent, publish } from "../telemetry/events.js";
import { dashboardRequest, socketRequest, type DashboardRequest } from "./access-check.js";
import { ClusterView, type DashboardView } from "./cluster-view.js";
import { DashboardTopic } from "./control-messages.js";
import { dashboardChannel } from "./dashboard-channel.js";
import type { DashboardContext } from "./dashboard-context.js";
import { resolveDashboardOptions, type DashboardOptions, type ResolvedDashboardOptions } from "./dashboard-options.js";
import { DashboardError, DashboardErrorCode } from "./errors.js";
import { PageAssets } from "./page-assets.js";
import { DashboardSampler } from "./sampler.js";

/** The id of the dashboard's supervisor in the endpoint's tree. */
export const DASHBOARD_CHILD_ID = "fenix:dashboard";

/** A dashboard mounted on an endpoint, as {@link enableDashboard} returns it. */
export interface Dashboard {
  /** The page's path, such as `/dashboard`. */
  readonly path: string;
  /** The dashboard socket's mount, `<path>/socket`. */
  readonly socketPath: string;
  /**
   * Starts this node's sampler in the endpoint's supervision tree; resolves once it runs (the same
   * promise on every call). Called by itself when the endpoint starts listening; call it after
   * `endpoint.start()` when the endpoint is attached to a server of yours.
   * @throws DashboardError `FENIX_ERR_DASHBOARD_BAD_OPTION` (as a rejection) before `endpoint.start()`.
   */
  start(): Promise<void>;
  /** The latest merged view of the cluster (what the page shows), or `null` before the first sample. */
  view(): DashboardView | null;
}

const dashboards = new WeakSet<Endpoint>();

/**
 * Mounts the dashboard on `endpoint`: a page at `path` (default `/dashboard`) with live charts, tables,
 * the topology and actions, fed over a Fenix channel at `<path>/socket`.
 *
 * @remarks
 * Call it before `endpoint.start()`: it mounts a socket, and sockets are mounted before the endpoint
 * starts. The page and its socket let in only requests `check` accepts — by default ({@link localOnly})
 * those from this machine that no proxy forwarded; others get 403. Each node samples itself every
 * `sampleMs`; on nodes linked by a PubSub adapter, every node publishes its snapshot and the node serving
 * the page merges them. The page needs the build made by `npm run build` (`dist/dashboard/`).
 *
 * @throws DashboardError `FENIX_ERR_DASHBOARD_BAD_OPTION` for an option out of range, after
 * `endpoint.start()`, or for a second dashboard on one endpoint.
 *
 * @example
 * ```ts
 * const endpoint = new Endpoint({ port: 4000 });
 * endpoint.socket("/socket", UserSocket);
 * enableDashboard(endpoint, { check: localOrToken(process.env.DASHBOARD_PASSWORD ?? "") });
 * await endpoint.start();
 * console.log(`dashboard: ${endpoint.url}/dashboard`);
 * ```
 */
export function enableDashboard(endpoint: Endpoint, options: DashboardOptions = {}): Dashboard {
  const resolved = resolveDashboardOptions(options);
  if (dashboards.has(endpoint)) {
    throw new DashboardError(DashboardErrorCode.BAD_OPTION, "This endpoint already has a dashboard; one dashboard per endpoint (and per PubSub).");
  }
  const host = new DashboardHost(endpoint, resolved);
  try {
    endpoint.socket(resolved.socketPath, dashboardSocket(host), { authToken: true, maxChannels: 4 });
  } catch (cause) {
    if (cause instanceof ServerError && cause.code === ServerErrorCode.BAD_STATE) {
      throw new DashboardError(DashboardErrorCode.BAD_OPTION, "Call enableDashboard before endpoint.start(): it mounts a socket, and sockets are mounted before the endpoint starts.", { cause });
    }
    if (cause instanceof ServerError && cause.code === ServerErrorCode.BAD_PATH) {
      throw new DashboardError(DashboardErrorCode.BAD_OPTION, `Cannot mount the dashboard socket at ${resolved.socketPath}: ${cause.message} Choose another path.`, { cause });
    }
    throw cause;
  }
  dashboards.add(endpoint);
  endpoint.route(`${resolved.path}/*`, (req, res) => host.handleRequest(req, res));
  const server = endpoint.server;
  if (server.listening) queueMicrotask(() => host.ensureStarted());
  else server.once("listening", () => host.ensureStarted());
  return host;
}

/** One dashboard: the public handle, and the context its parts share. */
class DashboardHost implements Dashboard, DashboardContext {
  readonly endpoint: Endpoint;
  readonly options: ResolvedDashboardOptions;
  readonly cluster: ClusterView;
  latest: DashboardView | null = null;
  readonly #page: PageAssets;
  #started: Promise<void> | null = null;
  #warnedMissingPage = false;

  constructor(endpoint: Endpoint, options: ResolvedDashboardOptions) {
    this.endpoint = endpoint;
    this.options = options;
    this.cluster = new ClusterView(endpoint.node, options.historyPoints);
    this.#page = new PageAssets(options.path, options.socketPath);
  }

  get path(): string {
    return this.options.path;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  readonly owns = (source: object): boolean => source === this.endpoint || source === this.endpoint.pubsub || source === this.endpoint.runtime;

  start(): Promise<void> {
    if (this.#started !== null) return this.#started;
    const root = this.endpoint.supervisor;
    if (root === null) {
      return Promise.reject(new DashboardError(DashboardErrorCode.BAD_OPTION, "The dashboard starts with the endpoint: await endpoint.start() before dashboard.start()."));
    }
    const runtime = this.endpoint.runtime;
    const spec = Supervisor.childSpec(
      DASHBOARD_CHILD_ID,
      {
        runtime,
        strategy: "oneForOne",
        maxRestarts: 3,
        maxSeconds: 5,
        children: [{ id: "sampler", start: (parent) => new DashboardSampler(this, parent).pid, shutdown: 1_000 }],
      },
      // Transient: a sampler that keeps crashing stops the dashboard (its supervisor gives up cleanly),
      // never the endpoint's tree.
      { restart: "transient" },
    );
    this.#started = Supervisor.startChild(root, spec).then(
      () => undefined,
      (cause: unknown) => {
        this.#started = null;
        throw new DashboardError(DashboardErrorCode.SAMPLE_FAILED, "The dashboard's sampler could not be started in the endpoint's supervision tree.", { cause });
      },
    );
    return this.#started;
  }

  ensureStarted(): void {
    if (this.#started !== null || this.endpoint.supervisor === null) return;
    this.start().catch((error: unknown) => this.log("error", "the dashboard could not start", { error }));
  }

  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void {
    publish(TelemetryEvent.LOG, { source: this.endpoint, node: this.endpoint.node, level, message, meta });
  }

  /** Whether the check lets `request` in; a throw is logged as `FENIX_ERR_DASHBOARD_CHECK_FAILED` and rethrown. */
  async admit(request: DashboardRequest): Promise<boolean> {
    try {
      return (await this.options.check(request)) === true;
    } catch (cause) {
      const error = new DashboardError(DashboardErrorCode.CHECK_FAILED, "The dashboard's check threw; the request was refused.", { cause });
      this.log("error", error.message, { error, address: request.address });
      throw error;
    }
  }

  /** The page's HTTP route: the page (checked) and its assets. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const base = this.options.path;
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("Method not allowed\n");
      return;
    }
    if (path.startsWith(`${base}/assets/`)) {
      this.#page.serveAsset(path.slice(base.length + "/assets/".length), req, res);
      return;
    }
    if (path !== base && path !== `${base}/`) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    this.admit(dashboardRequest(req)).then(
      (allowed) => {
        if (!allowed) {
          res
            .writeHead(403, { "content-type": "text/plain; charset=utf-8" })
            .end("Forbidden: this dashboard lets in only the requests its check accepts (by default, from this machine). See docs/dashboard.md.\n");
          return;
        }
        this.ensureStarted();
        if (!this.#page.built && !this.#warnedMissingPage) {
          this.#warnedMissingPage = true;
          const error = new DashboardError(DashboardErrorCode.PAGE_MISSING, "The dashboard page is not built: run `npm run build` (dist/dashboard/ is missing).");
          this.log("warn", error.message, { error });
        }
        this.#page.servePage(req, res);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("The dashboard's check failed; see the server's log.\n");
      },
    );
  }

  view(): DashboardView | null {
    return this.latest;
  }
}

/** The dashboard socket class: `connect` applies the check; its one route is the dashboard channel. */
function dashboardSocket(host: DashboardHost): SocketClass {
  // A page that falls behind gets the latest view (and trace batch) rather than every one, or a cut.
  const channels: readonly ChannelRoute[] = [[DashboardTopic.VIEW, dashboardChannel(host), { slowConsumer: "keepLatest" }]];
  return class DashboardSocket extends Socket {
    static override channels = channels;
    override async connect(params: Params, info: ConnectInfo): Promise<boolean> {
      host.ensureStarted();
      try {
        return await host.admit(socketRequest(params, info));
      } catch {
        return false; // admit logged it
      }
    }
  };
}

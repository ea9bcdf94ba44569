/**
 * `enableMetrics`: Prometheus metrics for one endpoint. It wires the parts together — the instruments
 * (every metric, in a registry), the telemetry recorder (events → counters and histograms), the scrape
 * sampler (connections, queues and links read at scrape time) and, when asked, the `/metrics` route.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Registry } from "prom-client";
import type { Runtime } from "../runtime/process/runtime.js";
import type { Logger } from "../server/endpoint/logger.js";
import { MetricsError, MetricsErrorCode } from "./errors.js";
import { DEFAULT_BUCKETS, Instruments } from "./instruments.js";
import { createMetricsHandler, loopbackOnly, type MetricsCheck } from "./metrics-handler.js";
import { PresenceTally } from "./presence-tally.js";
import { ScrapeSampler, type SampledEndpoint } from "./scrape-sampler.js";
import { TelemetryRecorder } from "./telemetry-recorder.js";

/**
 * What `enableMetrics` needs of an endpoint; every `Endpoint` has it. Written as an interface so the
 * metrics can be tested, and used, without a listening server.
 */
export interface MetricsEndpoint extends SampledEndpoint {
  /** The node name: the `node` label, and the node whose presence events count. */
  readonly node: string;
  /** The runtime: its supervisor restarts and unlinked crashes count as the endpoint's. */
  readonly runtime: Runtime;
  /** Where route and recording problems are logged. */
  readonly logger: Logger;
  /** Serves plain HTTP at an exact path. */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** Options of {@link enableMetrics}. */
export interface MetricsOptions {
  /**
   * The registry to put the metrics in. Fenix registers its metrics there and leaves the registry's
   * default labels alone (add `node` yourself if you want it). Two endpoints cannot share one registry
   * unless they have different `prefix`es.
   * @defaultValue a registry of its own, with the default label `node` set to the endpoint's node
   */
  registry?: Registry;
  /** Put before every metric name. Letters, digits, `_` and `:`, not starting with a digit. @defaultValue `"fenix_"` */
  prefix?: string;
  /**
   * Serve the metrics at this path of the endpoint (through `endpoint.route`), such as `"/metrics"`.
   * @defaultValue none: not served (scrape with {@link Metrics.handle} or {@link Metrics.scrape} yourself)
   */
  path?: string;
  /**
   * Decides whether a request may read the metrics (at `path`, and through {@link Metrics.handle}); a
   * refused request gets 403. It runs before the method is looked at.
   * @defaultValue loopback peers only: 127.0.0.0/8, `::1`, `::ffff:127.x.x.x`
   */
  check?: MetricsCheck;
  /**
   * Most distinct values kept per open-ended label — the handleIn `event` (chosen by clients), the
   * `route`, a disconnect `reason`, an error `code`, a supervisor `child` id. Later values are counted
   * under `(other)`, and `metrics_label_overflow_total{label}` counts how often that happened.
   * @defaultValue 100
   */
  maxLabelValues?: number;
  /** Bucket upper bounds of the latency histograms, in seconds, increasing. @defaultValue 0.5 ms … 10 s (14 buckets) */
  buckets?: readonly number[];
}

/**
 * The metrics of one endpoint.
 *
 * @remarks
 * Counters and histograms are kept from the endpoint's telemetry events from the moment metrics are
 * enabled; gauges (connections, channels, queues, nodes, PubSub status, presence totals) are read when
 * the registry is scraped. {@link Metrics.stop} unsubscribes from the events and removes the metrics
 * from the registry.
 */
export interface Metrics {
  /** The registry the metrics are in. */
  readonly registry: Registry;
  /** The content type of {@link Metrics.scrape}'s text (the Prometheus text format, 0.0.4). */
  readonly contentType: string;
  /** Whether {@link Metrics.stop} was called. */
  readonly stopped: boolean;
  /**
   * The registry in the Prometheus text format.
   * @throws MetricsError `FENIX_ERR_METRICS_SCRAPE_FAILED` (rejects) when collecting fails; `cause` says why.
   */
  scrape(): Promise<string>;
  /**
   * Answers a scrape request, with the `check` option and the method rules of the metrics route: mount it
   * in another HTTP framework when the endpoint does not serve HTTP itself.
   */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Unsubscribes from the telemetry events and removes the metrics from the registry; the route answers 404 from then on. Idempotent. */
  stop(): void;
}

/**
 * Starts keeping Prometheus metrics for `endpoint`, and serves them at `options.path` if given.
 *
 * @remarks
 * Nothing subscribes to Fenix's telemetry until this is called. Once it is, events are published with
 * their payloads for every endpoint of the process (they are filtered here), so enable metrics where they
 * are read. Every metric is listed in docs/metrics.md.
 *
 * @throws MetricsError `FENIX_ERR_METRICS_BAD_OPTION` for an option out of range;
 *   `FENIX_ERR_METRICS_NAME_TAKEN` when the registry given already has one of the metric names.
 *
 * @example
 * ```ts
 * import { Endpoint } from "fenix";
 * import { enableMetrics } from "fenix/metrics";
 *
 * const endpoint = new Endpoint({ port: 4000 });
 * await endpoint.start();
 * const metrics = enableMetrics(endpoint, { path: "/metrics" }); // curl http://127.0.0.1:4000/metrics
 * // later
 * metrics.stop();
 * ```
 */
export function enableMetrics(endpoint: MetricsEndpoint, options: MetricsOptions = {}): Metrics {
  return new EndpointMetrics(endpoint, options);
}

class EndpointMetrics implements Metrics {
  readonly registry: Registry;
  readonly #instruments: Instruments;
  readonly #recorder: TelemetryRecorder;
  readonly #handler: (req: IncomingMessage, res: ServerResponse) => void;
  #stopped = false;

  constructor(endpoint: MetricsEndpoint, options: MetricsOptions) {
    const settings = validate(options);
    const node = endpoint.node;
    if (options.registry === undefined) {
      this.registry = new Registry();
      this.registry.setDefaultLabels({ node });
    } else {
      this.registry = options.registry;
    }
    const tally = new PresenceTally();
    const sampler = new ScrapeSampler(endpoint, tally);
    this.#instruments = new Instruments({ prefix: settings.prefix, buckets: settings.buckets, collect: () => sampler.refresh() });
    sampler.attach(this.#instruments);
    this.#instruments.register(this.registry);
    const logger = endpoint.logger;
    this.#recorder = new TelemetryRecorder(
      this.#instruments,
      { sources: new Set<object>([endpoint, endpoint.pubsub, endpoint.runtime]), node },
      tally,
      settings.maxLabelValues,
      (error) => logger.warn(error.message, { code: error.code, error }),
    );
    this.#handler = createMetricsHandler(this, settings.check, logger);
    if (settings.path !== undefined) {
      try {
        endpoint.route(settings.path, this.#handler);
      } catch (err) {
        this.#instruments.unregister(this.registry);
        throw err;
      }
    }
    this.#recorder.start();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async scrape(): Promise<string> {
    try {
      return await this.registry.metrics();
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new MetricsError(MetricsErrorCode.SCRAPE_FAILED, `Collecting the metrics failed: ${why}`, { cause });
    }
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#handler(req, res);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#recorder.stop();
    this.#instruments.unregister(this.registry);
  }
}

interface Settings {
  readonly prefix: string;
  readonly path: string | undefined;
  readonly check: MetricsCheck;
  readonly maxLabelValues: number;
  readonly buckets: readonly number[];
}

const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

function validate(options: MetricsOptions): Settings {
  const { prefix = "fenix_", path, check = loopbackOnly, maxLabelValues = 100, buckets = DEFAULT_BUCKETS, registry } = options;
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw badOption(`Option prefix must be letters, digits, "_" and ":", not starting with a digit, as in "fenix_"; got ${JSON.stringify(prefix)}.`);
  }
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/") || path.includes("*") || path.includes("?"))) {
    throw badOption(`Option path must be an exact path starting with "/", as in "/metrics"; got ${JSON.stringify(path)}.`);
  }
  if (typeof check !== "function") {
    throw badOption(`Option check must be a function (request) => boolean; got ${typeof check}.`);
  }
  if (!Number.isInteger(maxLabelValues) || maxLabelValues < 1) {
    throw badOption(`Option maxLabelValues must be a positive integer; got ${String(maxLabelValues)}.`);
  }
  if (!Array.isArray(buckets) || buckets.length === 0 || !buckets.every((b, i) => typeof b === "number" && Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]!))) {
    throw badOption(`Option buckets must be positive numbers of seconds in increasing order, as in [0.005, 0.05, 0.5]; got ${JSON.stringify(buckets)}.`);
  }
  if (registry !== undefined && (typeof registry !== "object" || registry === null || typeof (registry as Partial<Registry>).registerMetric !== "function")) {
    throw badOption("Option registry must be a prom-client Registry.");
  }
  return { prefix, path, check, maxLabelValues, buckets };
}

function badOption(message: string): MetricsError {
  return new MetricsError(MetricsErrorCode.BAD_OPTION, message);
}

/**
 * What the dashboard's parts share: the endpoint it watches, its resolved options, the cluster view the
 * sampler keeps up to date and the channels read, and the way to log. One per `enableDashboard` call.
 */
import type { Endpoint } from "../server/endpoint/endpoint.js";
import type { ClusterView, DashboardView } from "./cluster-view.js";
import type { ResolvedDashboardOptions } from "./dashboard-options.js";

/** @internal The state shared by the sampler, the dashboard channels, the socket and the page routes. */
export interface DashboardContext {
  readonly endpoint: Endpoint;
  readonly options: ResolvedDashboardOptions;
  /** Written by the sampler only. */
  readonly cluster: ClusterView;
  /** The latest merged view (written by the sampler), or `null` before the first sample. */
  latest: DashboardView | null;
  /** Whether a telemetry event's `source` is the endpoint, its PubSub or its runtime. */
  owns(source: object): boolean;
  /** Writes a line to the endpoint's logger (through the telemetry `fenix:log` event). */
  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void;
  /** Starts the sampler if the endpoint has started and it is not running yet. */
  ensureStarted(): void;
}

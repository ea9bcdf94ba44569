/**
 * `fenix/metrics`: Prometheus metrics of an endpoint, kept from Fenix's telemetry events and served at a
 * path of your choice. A subpath of its own, so applications that do not enable metrics never load
 * prom-client and never subscribe to an event. docs/metrics.md lists every metric.
 */
export { enableMetrics } from "./metrics.js";
export type { Metrics, MetricsEndpoint, MetricsOptions } from "./metrics.js";
export type { MetricsCheck } from "./metrics-handler.js";
export { loopbackOnly } from "./metrics-handler.js";
export { isLoopback } from "./loopback.js";
export { OTHER_LABEL } from "./label-cap.js";
export { DEFAULT_BUCKETS } from "./instruments.js";
export { MetricsError, MetricsErrorCode } from "./errors.js";

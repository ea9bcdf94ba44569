/**
 * Typed errors of the metrics layer (`fenix/metrics`): options refused by `enableMetrics`, metric names
 * already taken in a registry, and the problems reported while recording or serving metrics.
 */
import { FenixError } from "../errors/fenix-error.js";

/**
 * Stable codes of {@link MetricsError}. Each is documented in docs/errors.md.
 *
 * @example
 * ```ts
 * try {
 *   enableMetrics(endpoint, { registry });
 * } catch (err) {
 *   if (err instanceof MetricsError && err.code === MetricsErrorCode.NAME_TAKEN) enableMetrics(endpoint, { registry, prefix: "chat_" });
 *   else throw err;
 * }
 * ```
 */
export const MetricsErrorCode = {
  /** An option of `enableMetrics` is out of range: a path, a prefix, a `check`, `maxLabelValues` or `buckets`. */
  BAD_OPTION: "FENIX_ERR_METRICS_BAD_OPTION",
  /** A metric name Fenix registers is already registered in the registry it was given. */
  NAME_TAKEN: "FENIX_ERR_METRICS_NAME_TAKEN",
  /** The `check` function of the metrics route threw or rejected; the request was answered 500. */
  CHECK_FAILED: "FENIX_ERR_METRICS_CHECK_FAILED",
  /** Collecting the metrics for a scrape failed (a collector threw); the request was answered 500. */
  SCRAPE_FAILED: "FENIX_ERR_METRICS_SCRAPE_FAILED",
  /** A telemetry event could not be recorded (its payload lacks a documented field); the event was skipped. */
  RECORD_FAILED: "FENIX_ERR_METRICS_RECORD_FAILED",
} as const;

/** One of the {@link MetricsErrorCode} values. */
export type MetricsErrorCode = (typeof MetricsErrorCode)[keyof typeof MetricsErrorCode];

/** An error raised or reported by the metrics layer. */
export class MetricsError extends FenixError {
  declare readonly code: MetricsErrorCode;

  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Typed errors of the dashboard (`fenix/dashboard`): options refused by `enableDashboard`, a `check`
 * that failed, a page build that is missing, and the answers the page gets when one of its actions
 * cannot be carried out.
 */
import { FenixError } from "../errors/fenix-error.js";

/**
 * Stable codes of {@link DashboardError}. Each is documented in docs/errors.md.
 *
 * @example
 * ```ts
 * try {
 *   enableDashboard(endpoint, { sampleMs: 50 });
 * } catch (err) {
 *   if (err instanceof DashboardError && err.code === DashboardErrorCode.BAD_OPTION) console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export const DashboardErrorCode = {
  /** An option of `enableDashboard` is out of range, or it was called after `endpoint.start()`. */
  BAD_OPTION: "FENIX_ERR_DASHBOARD_BAD_OPTION",
  /** The `check` function threw or rejected; the request was answered 500 (the page) or refused (the socket). */
  CHECK_FAILED: "FENIX_ERR_DASHBOARD_CHECK_FAILED",
  /** The page's build (`dist/dashboard/`) is missing: the page is answered 404 with how to build it. */
  PAGE_MISSING: "FENIX_ERR_DASHBOARD_PAGE_MISSING",
  /** An action named a process or a node the dashboard does not know (it ended, or the node left). */
  NOT_FOUND: "FENIX_ERR_DASHBOARD_NOT_FOUND",
  /** An action was refused: a malformed request, a reserved topic or event, or a process of the dashboard itself. */
  ACTION_REFUSED: "FENIX_ERR_DASHBOARD_ACTION_REFUSED",
  /** The node that owns the process did not answer an action in time (it stopped, or the link is down). */
  NODE_UNREACHABLE: "FENIX_ERR_DASHBOARD_NODE_UNREACHABLE",
  /** Taking a node's snapshot failed (a bug, or a collector threw); the dashboard goes on with the next interval. */
  SAMPLE_FAILED: "FENIX_ERR_DASHBOARD_SAMPLE_FAILED",
} as const;

/** One of the {@link DashboardErrorCode} values. */
export type DashboardErrorCode = (typeof DashboardErrorCode)[keyof typeof DashboardErrorCode];

/** An error raised or reported by the dashboard. */
export class DashboardError extends FenixError {
  declare readonly code: DashboardErrorCode;

  constructor(code: DashboardErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * The options of `enableDashboard`, their defaults, and the checks that refuse a bad one at the call
 * (with `FENIX_ERR_DASHBOARD_BAD_OPTION`) rather than at the first sample.
 */
import type { Presence } from "../presence/presence.js";
import { localOnly, type DashboardCheck } from "./access-check.js";
import { DashboardError, DashboardErrorCode } from "./errors.js";

/** Options of `enableDashboard`. */
export interface DashboardOptions {
  /**
   * Where the page is served; its socket is mounted at `<path>/socket`. Letters, digits and `-._~/` only.
   * @defaultValue `"/dashboard"`
   */
  path?: string;
  /** Who may open the page and its socket (see {@link DashboardCheck}). @defaultValue {@link localOnly} */
  check?: DashboardCheck;
  /**
   * The Presence whose counts the topics table shows. Without it, counts come from the presence diffs
   * this node has seen since the dashboard started.
   * @defaultValue none
   */
  presence?: Presence;
  /** How often each node takes its snapshot (ms, on the runtime's clock); at least 50. @defaultValue 1000 */
  sampleMs?: number;
  /** Chart points kept for a page that opens (the merged totals of that many samples). @defaultValue 300 */
  historyPoints?: number;
  /** Most connections and most topics each node reports per sample (the most queued, the most joined). @defaultValue 500 */
  maxRows?: number;
}

/** {@link DashboardOptions} with the defaults applied. */
export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly socketPath: string;
  readonly check: DashboardCheck;
  readonly presence: Presence | undefined;
  readonly sampleMs: number;
  readonly historyPoints: number;
  readonly maxRows: number;
}

const KEYS = new Set(["path", "check", "presence", "sampleMs", "historyPoints", "maxRows"]);

function bad(message: string): DashboardError {
  return new DashboardError(DashboardErrorCode.BAD_OPTION, message);
}

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`Option ${name} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
  return value;
}

/**
 * Checks the options and fills in the defaults.
 * @throws DashboardError `FENIX_ERR_DASHBOARD_BAD_OPTION`, naming the option, what it accepts and what it got.
 */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (typeof options !== "object" || options === null) throw bad(`The options must be an object; got ${String(options)}.`);
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw bad(`Unknown option ${JSON.stringify(key)}; the options are ${[...KEYS].join(", ")}.`);
  }
  const raw = options.path ?? "/dashboard";
  if (typeof raw !== "string" || !/^\/[A-Za-z0-9._~/-]*$/.test(raw) || raw.includes("//") || raw === "/") {
    throw bad(`Option path must start with "/" and hold only letters, digits and -._~/ (as in "/admin/dashboard"); got ${JSON.stringify(raw)}.`);
  }
  const path = raw.replace(/\/+$/, "");
  const check = options.check ?? localOnly;
  if (typeof check !== "function") throw bad(`Option check must be a function ({ address, xHeaders, token }) => boolean; got ${typeof check}.`);
  const presence = options.presence;
  if (presence !== undefined && (typeof presence !== "object" || presence === null || typeof presence.tracker?.list !== "function")) {
    throw bad("Option presence must be a Presence (new Presence(pubsub)).");
  }
  const sampleMs = options.sampleMs ?? 1000;
  if (typeof sampleMs !== "number" || !Number.isFinite(sampleMs) || sampleMs < 50) {
    throw bad(`Option sampleMs must be a number of milliseconds of at least 50; got ${String(sampleMs)}.`);
  }
  return {
    path,
    socketPath: `${path}/socket`,
    check,
    presence,
    sampleMs,
    historyPoints: integer(options.historyPoints, "historyPoints", 1, 100_000, 300),
    maxRows: integer(options.maxRows, "maxRows", 1, 100_000, 500),
  };
}

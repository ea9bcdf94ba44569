/**
 * Who may open the dashboard. One `check` guards both doors — the page (an HTTP request) and the
 * dashboard socket (a WebSocket upgrade) — so it is given what both can tell: the peer's address, the
 * `x-*` headers, and a token (`?token=` on the page URL, which the page hands to its socket). Two
 * ready-made checks: {@link localOnly} (the default) and {@link localOrToken}.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isLoopback } from "../metrics/loopback.js";
import type { ConnectInfo } from "../server/socket/connect-info.js";
import type { Params } from "../server/socket/query-params.js";

/** What a {@link DashboardCheck} is told about a request for the page or its socket. */
export interface DashboardRequest {
  /** The TCP peer's address as this server sees it (a proxy's, behind one), when known. */
  readonly address: string | undefined;
  /** Every `x-*` request header, with lower-case names (`x-forwarded-for`…). */
  readonly xHeaders: Readonly<Record<string, string>>;
  /**
   * The token the visitor gave: `?token=` on the page URL (or an `Authorization: Bearer` header); the page
   * passes the same token to its socket in the handshake.
   */
  readonly token: string | undefined;
}

/**
 * Decides whether a request may see the dashboard: `true` lets it in, anything else answers 403. A throw
 * or rejection answers 500 (page) or refuses (socket), reported as `FENIX_ERR_DASHBOARD_CHECK_FAILED`.
 *
 * @example
 * ```ts
 * const officeOnly: DashboardCheck = ({ address }) => address?.startsWith("10.1.") === true;
 * ```
 */
export type DashboardCheck = (request: DashboardRequest) => boolean | Promise<boolean>;

/** Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever its TCP peer. */
const PROXY_HEADERS = ["x-forwarded-for", "x-real-ip", "x-forwarded-host"];

/**
 * The default check: the peer is this machine (127.0.0.0/8, `::1`, `::ffff:127.…`) and no proxy header
 * says the request was forwarded from elsewhere — a reverse proxy on the same machine connects from
 * loopback for every visitor.
 *
 * @example
 * ```ts
 * localOnly({ address: "127.0.0.1", xHeaders: {}, token: undefined }); // true
 * localOnly({ address: "127.0.0.1", xHeaders: { "x-forwarded-for": "203.0.113.7" }, token: undefined }); // false
 * ```
 */
export const localOnly: DashboardCheck = (request) => isLoopback(request.address) && !PROXY_HEADERS.some((h) => h in request.xHeaders);

/**
 * A check that lets in local requests (as {@link localOnly}) and any request that carries `token`
 * (compared in constant time). Open `/dashboard?token=<token>` from another machine.
 *
 * @example
 * ```ts
 * enableDashboard(endpoint, { check: localOrToken(process.env.DASHBOARD_PASSWORD!) });
 * ```
 */
export function localOrToken(token: string): DashboardCheck {
  const expected = digest(token);
  return (request) =>
    localOnly(request) === true || (request.token !== undefined && timingSafeEqual(digest(request.token), expected));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function xHeadersOf(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith("x-") && value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * The {@link DashboardRequest} of an HTTP request (the token from `?token=` or `Authorization: Bearer`),
 * as the page's check sees it: guard another route of yours (such as `/metrics`) with the same check.
 *
 * @example
 * ```ts
 * const check = localOrToken(password);
 * enableMetrics(endpoint, { path: "/metrics", check: (req) => check(dashboardRequest(req)) });
 * ```
 */
export function dashboardRequest(req: IncomingMessage): DashboardRequest {
  const query = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  return { address: req.socket.remoteAddress, xHeaders: xHeadersOf(req.headers), token: query ?? bearer ?? undefined };
}

/** The {@link DashboardRequest} of a connection to the dashboard socket (the token comes in the handshake, or as a `token` param). */
export function socketRequest(params: Params, info: ConnectInfo): DashboardRequest {
  const param = typeof params.token === "string" ? params.token : undefined;
  return { address: info.peer.address === "" ? undefined : info.peer.address, xHeaders: info.xHeaders, token: info.authToken ?? param };
}

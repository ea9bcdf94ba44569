/**
 * The origin check that protects sockets from cross-site WebSocket hijacking: a browser's upgrade request
 * carries an `Origin` header, and only origins the endpoint allows may connect. The default never trusts
 * the request's own `Host` header, which a DNS-rebinding page controls.
 */
import type { IncomingMessage } from "node:http";
import { ServerError, ServerErrorCode } from "../errors.js";

/**
 * Which origins may open a socket.
 *
 * - `true` (default): the origin's host must be a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) or
 *   one of the endpoint's configured `hosts` (scheme and port ignored). The request's own `Host` header is
 *   not consulted: with DNS rebinding a hostile page's origin and `Host` name the same attacker domain.
 * - a list such as `["https://example.com", "//another.com:888", "//*.other.com"]`: scheme, host and
 *   port are compared where the entry gives them; `*.x.com` matches `x.com` and its subdomains.
 * - a function deciding from the parsed origin and the request.
 * - `false`: every origin.
 *
 * Requests without an `Origin` header (programs rather than browsers) always pass.
 */
export type CheckOrigin = boolean | readonly string[] | ((origin: URL, request: IncomingMessage) => boolean);

interface AllowedOrigin {
  readonly protocol: string | null;
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: string | null;
}

/**
 * Compiles a {@link CheckOrigin} setting into a predicate over the request.
 *
 * @remarks `hosts` are the host names the endpoint is served under (`"chat.example.com"`, or
 * `"*.example.com"` for a domain and its subdomains); only `true` reads them. An entry that is not a bare
 * host name throws `FENIX_ERR_SERVER_BAD_OPTION`, whatever the setting.
 *
 * @example
 * ```ts
 * const allowed = compileOriginCheck(true, ["chat.example.com"]);
 * ```
 */
export function compileOriginCheck(setting: CheckOrigin, hosts: readonly string[] = []): (request: IncomingMessage) => boolean {
  const configured = hosts.map(parseHost); // parsed whatever the setting, so a bad entry fails at once
  if (setting === false) return () => true;
  if (setting === true) {
    return (request) => checkWith(request, (origin) => isLoopback(origin.hostname) || configured.some((a) => matches(a, origin)));
  }
  if (typeof setting === "function") return (request) => checkWith(request, (origin) => setting(origin, request));
  const allowed = setting.map(parseAllowed);
  return (request) => checkWith(request, (origin) => allowed.some((a) => matches(a, origin)));
}

/**
 * Whether `hostname` (as `URL.hostname` gives it) names this machine: `localhost`, `127.0.0.0/8` or `[::1]`.
 * A rebinding page cannot have such an origin, since the browser resolves these names itself.
 */
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  // URL parsing has already normalised IPv4 forms such as `0x7f.1` to dotted decimal and IPv6 to its short form.
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parseHost(entry: string): AllowedOrigin {
  if (typeof entry !== "string" || !/^(?:\*\.)?(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$/i.test(entry)) {
    throw new ServerError(
      ServerErrorCode.BAD_OPTION,
      `Option hosts must list bare host names such as "chat.example.com" or "*.example.com" (no scheme, port or path); got ${JSON.stringify(entry)}.`,
    );
  }
  const wildcard = entry.startsWith("*.");
  return { protocol: null, host: (wildcard ? entry.slice(2) : entry).toLowerCase(), wildcard, port: null };
}

function checkWith(request: IncomingMessage, test: (origin: URL) => boolean): boolean {
  const header = request.headers.origin;
  if (header === undefined) return true;
  let origin: URL;
  try {
    origin = new URL(header);
  } catch {
    return false;
  }
  if (origin.hostname === "") return false;
  return test(origin);
}

function parseAllowed(entry: string): AllowedOrigin {
  const m = /^(?:([a-z][a-z0-9+.-]*):)?\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/i.exec(entry);
  if (m === null) {
    return { protocol: null, host: entry.toLowerCase(), wildcard: false, port: null };
  }
  const protocol = m[1]?.toLowerCase() ?? null;
  let host = m[2]!.toLowerCase();
  const wildcard = host.startsWith("*.");
  if (wildcard) host = host.slice(2);
  const port = m[3] ?? (protocol === "https" || protocol === "wss" ? "443" : protocol === "http" || protocol === "ws" ? "80" : null);
  return { protocol, host, wildcard, port };
}

function matches(allowed: AllowedOrigin, origin: URL): boolean {
  const protocol = origin.protocol.slice(0, -1).toLowerCase();
  if (allowed.protocol !== null && allowed.protocol !== protocol) return false;
  const host = origin.hostname.toLowerCase();
  if (allowed.wildcard ? !(host === allowed.host || host.endsWith(`.${allowed.host}`)) : host !== allowed.host) {
    return false;
  }
  if (allowed.port !== null) {
    const port = origin.port !== "" ? origin.port : protocol === "https" ? "443" : protocol === "http" ? "80" : "";
    if (port !== allowed.port) return false;
  }
  return true;
}

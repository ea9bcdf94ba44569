/**
 * The origin check that protects sockets from cross-site WebSocket hijacking: a browser's upgrade request
 * carries an `Origin` header, and only origins the endpoint allows may connect.
 */
import type { IncomingMessage } from "node:http";

/**
 * Which origins may open a socket.
 *
 * - `true` (default): the origin's host must equal the request's own `Host` (scheme and port ignored).
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

/** Compiles a {@link CheckOrigin} setting into a predicate over the request. */
export function compileOriginCheck(setting: CheckOrigin): (request: IncomingMessage) => boolean {
  if (setting === false) return () => true;
  if (setting === true) {
    return (request) =>
      checkWith(request, (origin) => {
        const host = hostWithoutPort(request.headers.host ?? "");
        return host !== "" && origin.hostname.toLowerCase() === host;
      });
  }
  if (typeof setting === "function") return (request) => checkWith(request, (origin) => setting(origin, request));
  const allowed = setting.map(parseAllowed);
  return (request) => checkWith(request, (origin) => allowed.some((a) => matches(a, origin)));
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

function hostWithoutPort(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
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

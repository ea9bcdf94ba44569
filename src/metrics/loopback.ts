/**
 * The default guard of the metrics route: only a peer on this machine may scrape. Loopback is
 * 127.0.0.0/8, `::1`, and those IPv4 addresses written as IPv4-mapped IPv6 (`::ffff:127.0.0.1`), which is
 * how Node reports them on a dual-stack socket.
 */
import { isIPv4 } from "node:net";

/**
 * Whether `address` (as Node reports a peer, `req.socket.remoteAddress`) is a loopback address.
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.1"); // true
 * isLoopback("::ffff:127.0.0.2"); // true
 * isLoopback("10.0.0.7"); // false
 * isLoopback(undefined); // false: a socket already closed has no address
 * ```
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const lower = address.toLowerCase();
  if (lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  const v4 = lower.startsWith("::ffff:") ? lower.slice("::ffff:".length) : lower;
  return isIPv4(v4) && v4.startsWith("127.");
}

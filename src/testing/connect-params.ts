/**
 * Connect params of a test client, turned into what a socket's `connect` receives from a real one: a
 * query string (bracket syntax for nesting, `vsn` last, as the official client sends it) parsed back by
 * the server's own parser — so every value arrives as a string.
 */
import { parseQueryParams, type Params } from "../server/socket/query-params.js";
import { TestingError, TestingErrorCode } from "./errors.js";

/** A value of the connect params: numbers and booleans arrive as strings, arrays as `k[]=…` items. */
export type ConnectParamValue = string | number | boolean | readonly (string | number | boolean)[] | ConnectParams;

/** Connect params, as given to the official client's `new Socket(url, { params })`. */
export interface ConnectParams {
  readonly [key: string]: ConnectParamValue;
}

function append(parts: string[], key: string, value: ConnectParamValue): void {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  } else if (Array.isArray(value)) {
    for (const item of value as readonly ConnectParamValue[]) append(parts, `${key}[]`, item);
  } else if (typeof value === "object" && value !== null) {
    for (const [name, inner] of Object.entries(value as ConnectParams)) append(parts, `${key}[${name}]`, inner);
  } else {
    throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `Connect param ${key} must be a string, number, boolean, array or object; got ${String(value)}.`);
  }
}

/**
 * The query string of `params` with `vsn=2.0.0` appended.
 *
 * @example
 * ```ts
 * connectQuery({ token: "abc", user: { id: 1 } }); // "token=abc&user%5Bid%5D=1&vsn=2.0.0"
 * ```
 */
export function connectQuery(params: ConnectParams): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (key === "vsn") continue;
    append(parts, key, value);
  }
  parts.push("vsn=2.0.0");
  return parts.join("&");
}

/**
 * What `connect` receives for `params`: the server's parse of {@link connectQuery}.
 *
 * @example
 * ```ts
 * connectParams({ token: "abc", page: 2 }); // { token: "abc", page: "2", vsn: "2.0.0" }
 * ```
 */
export function connectParams(params: ConnectParams): Params {
  return parseQueryParams(connectQuery(params));
}

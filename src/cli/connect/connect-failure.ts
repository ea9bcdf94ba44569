/**
 * Why a first connection failed, in words: the client reports every failure as TRANSPORT_ERROR with the
 * transport's own error inside, so this digs out the system error code or the HTTP status and says what
 * it means for the person at the terminal.
 */
import type { TransportClose } from "../../client/index.js";

/** What is known about a failed attempt. */
export interface FailedAttempt {
  /** The error the socket reported, if any. */
  readonly error: unknown;
  /** The close that ended the attempt, if it closed. */
  readonly close: TransportClose | undefined;
  /** Whether the attempt ran out of time instead. */
  readonly timedOutAfterMs: number | undefined;
  readonly transport: "websocket" | "longpoll";
}

/** Every error in the chain: the error, its `error` (WebSocket error events) and its `cause`s. */
function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let next: unknown = error;
  while (typeof next === "object" && next !== null && !seen.includes(next) && seen.length < 8) {
    seen.push(next);
    const { error: inner, cause } = next as { error?: unknown; cause?: unknown };
    next = inner ?? cause;
  }
  if (typeof next === "number") seen.push(next);
  return seen;
}

function systemCode(errors: readonly unknown[]): string | undefined {
  for (const e of errors) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

function httpStatus(errors: readonly unknown[]): number | undefined {
  for (const e of errors) {
    if (typeof e === "number") return e;
    const message = (e as { message?: unknown } | null)?.message;
    const match = typeof message === "string" ? /(?:Unexpected server response: |HTTP )(\d{3})/.exec(message) : null;
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/** Says why connecting to `url` failed, as a sentence without a stack trace. */
export function describeConnectFailure(url: string, attempt: FailedAttempt): string {
  const prefix = `Cannot connect to ${url}`;
  if (attempt.timedOutAfterMs !== undefined) return `${prefix}: no answer within ${attempt.timedOutAfterMs} ms (raise --timeout, or check the host and port).`;
  const errors = chain(attempt.error);
  const host = safeHost(url);
  switch (systemCode(errors)) {
    case "ECONNREFUSED":
      return `${prefix}: connection refused by ${host} (is the server running, on that port?).`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${prefix}: unknown host ${host.replace(/:\d+$/, "")}.`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${prefix}: ${host} is unreachable.`;
    case "ECONNRESET":
      return `${prefix}: the connection was reset by ${host}.`;
  }
  const status = httpStatus(errors) ?? (attempt.close?.code === 1008 ? 403 : undefined);
  switch (status) {
    case 403:
      return `${prefix}: the server refused the connection (HTTP 403): the socket's connect refused these params or auth token, or the origin or vsn is not allowed.`;
    case 400:
    case 404:
      return attempt.transport === "websocket"
        ? `${prefix}: no WebSocket is served there (HTTP ${status}); check the socket's path, or try --longpoll.`
        : `${prefix}: no LongPoll is served there (HTTP ${status}); check the socket's path, or drop --longpoll.`;
    case 410:
      return `${prefix}: the server dropped the LongPoll session (HTTP 410).`;
    case 503:
      return `${prefix}: the endpoint is not accepting connections (HTTP 503).`;
    case undefined:
      break;
    default:
      return `${prefix}: the server answered HTTP ${status}.`;
  }
  const message = errors.map((e) => (e as { message?: unknown } | null)?.message).find((m): m is string => typeof m === "string" && m !== "");
  if (message !== undefined) return `${prefix}: ${message.replace(/^The connection to \S+ failed: /, "").replace(/\.$/, "")}.`;
  const close = attempt.close;
  return close === undefined ? `${prefix}.` : `${prefix}: closed with code ${close.code}${close.reason === "" ? "" : ` (${close.reason})`}.`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

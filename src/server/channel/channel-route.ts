/**
 * Channel routes as a socket declares them (`["room:*", RoomChannel, options?]`) and as its connections
 * use them: the channel class with its route options resolved once, when the socket is mounted.
 */
import type { ChannelClass } from "./channel.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { TopicRouter } from "./topic-pattern.js";

/**
 * What a connection does with a client that reads more slowly than the server writes, once the bytes
 * queued for it pass the socket's `maxBufferedBytes`:
 * - `"disconnect"`: close the connection with 1013 (the client reconnects and rejoins).
 * - `"dropOldest"`: drop this route's oldest queued pushes and broadcasts until the queue fits again.
 * - `"keepLatest"`: while the client is behind, keep only the latest queued push or broadcast of each
 *   event of the topic (a newer one replaces the one still waiting).
 *
 * Replies, `phx_*` control messages and presence events are never dropped; if they alone pass the budget
 * the connection is closed as with `"disconnect"`. See docs/channels.md, "Slow consumers".
 */
export type SlowConsumerPolicy = "disconnect" | "dropOldest" | "keepLatest";

const POLICIES: ReadonlySet<string> = new Set<SlowConsumerPolicy>(["disconnect", "dropOldest", "keepLatest"]);

/**
 * History of a route's topics: every broadcast on them gets a position and is kept, so that a client
 * that lost its connection gets what it missed when it rejoins (see docs/history.md).
 */
export interface HistoryOptions {
  /** Most messages kept per topic (1 to 100,000). */
  readonly size: number;
  /** Longest a message is kept (ms). */
  readonly ttlMs: number;
  /**
   * Most messages one recovery sends; a client missing more is answered `recovered: false`.
   * @defaultValue `size`, at most 1,000
   */
  readonly maxRecovery?: number;
}

/** @internal History options checked, with their defaults. */
export interface HistorySettings {
  readonly size: number;
  readonly ttlMs: number;
  readonly maxRecovery: number;
}

/** Options of one channel route, given as the third element of a route. */
export interface RouteOptions {
  /** The route's slow-consumer policy. @defaultValue the channel's `static slowConsumer` (`"disconnect"`) */
  readonly slowConsumer?: SlowConsumerPolicy;
  /**
   * Keep a history of each topic of the route, or `false` to turn off the channel's `static history`.
   * @defaultValue the channel's `static history` (none)
   */
  readonly history?: HistoryOptions | false;
}

/** A topic route: a pattern (`"room:*"`, `"lobby"`, `"*"`), the channel that serves it, and options. */
export type ChannelRoute =
  | readonly [pattern: string, channel: ChannelClass]
  | readonly [pattern: string, channel: ChannelClass, options: RouteOptions];

/**
 * @internal A route as connections use it: one object per route, shared by every channel it serves (a
 * channel process keeps a reference to it rather than copies of its settings).
 */
export interface RouteTarget {
  /** The route's pattern, as written (`"room:*"`). */
  readonly pattern: string;
  readonly channel: ChannelClass;
  /** The events the channel class intercepts (its `static intercept`), as a set. */
  readonly intercept: ReadonlySet<string>;
  readonly slowConsumer: SlowConsumerPolicy;
  readonly history: HistorySettings | null;
}

const MAX_HISTORY_SIZE = 100_000;
const DEFAULT_MAX_RECOVERY = 1_000;

/**
 * Compiles a socket's routes.
 *
 * @throws ServerError `FENIX_ERR_SERVER_BAD_TOPIC_PATTERN` for a bad pattern, `FENIX_ERR_SERVER_BAD_OPTION`
 *   for a route whose channel is not a class, whose slow-consumer policy is unknown or whose history
 *   options are out of range.
 */
export function channelRouter(routes: readonly ChannelRoute[]): TopicRouter<RouteTarget> {
  const router = new TopicRouter<RouteTarget>();
  for (const [pattern, channel, options] of routes) {
    if (typeof channel !== "function") {
      throw new ServerError(ServerErrorCode.BAD_OPTION, `The route "${String(pattern)}" has no channel class; got ${typeof channel}.`);
    }
    const slowConsumer = options?.slowConsumer ?? channel.slowConsumer ?? "disconnect";
    if (!POLICIES.has(slowConsumer)) {
      throw new ServerError(
        ServerErrorCode.BAD_OPTION,
        `The route "${pattern}" has slowConsumer ${JSON.stringify(slowConsumer)}; use "disconnect", "dropOldest" or "keepLatest".`,
      );
    }
    const history = options?.history === false ? null : historySettings(pattern, options?.history ?? channel.history);
    router.add(pattern, { pattern, channel, intercept: new Set(channel.intercept ?? []), slowConsumer, history });
  }
  return router;
}

function historySettings(pattern: string, options: HistoryOptions | undefined): HistorySettings | null {
  if (options === undefined || options === null) return null;
  const bad = (what: string) =>
    new ServerError(ServerErrorCode.BAD_OPTION, `The route "${pattern}" has history.${what}; got ${JSON.stringify(options)}.`);
  if (typeof options !== "object") throw bad(" as something other than {size, ttlMs}");
  const { size, ttlMs } = options;
  if (!Number.isInteger(size) || size < 1 || size > MAX_HISTORY_SIZE) throw bad(`size out of range (an integer from 1 to ${MAX_HISTORY_SIZE})`);
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) throw bad("ttlMs out of range (a positive number of ms)");
  const maxRecovery = options.maxRecovery ?? Math.min(size, DEFAULT_MAX_RECOVERY);
  if (!Number.isInteger(maxRecovery) || maxRecovery < 1) throw bad("maxRecovery out of range (a positive integer)");
  return { size, ttlMs, maxRecovery };
}

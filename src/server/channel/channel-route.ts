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

/** Options of one channel route, given as the third element of a route. */
export interface RouteOptions {
  /** The route's slow-consumer policy. @defaultValue the channel's `static slowConsumer` (`"disconnect"`) */
  readonly slowConsumer?: SlowConsumerPolicy;
}

/** A topic route: a pattern (`"room:*"`, `"lobby"`, `"*"`), the channel that serves it, and options. */
export type ChannelRoute =
  | readonly [pattern: string, channel: ChannelClass]
  | readonly [pattern: string, channel: ChannelClass, options: RouteOptions];

/** @internal A route as connections use it. */
export interface RouteTarget {
  readonly channel: ChannelClass;
  readonly slowConsumer: SlowConsumerPolicy;
}

/**
 * Compiles a socket's routes.
 *
 * @throws ServerError `FENIX_ERR_SERVER_BAD_TOPIC_PATTERN` for a bad pattern, `FENIX_ERR_SERVER_BAD_OPTION`
 *   for a route whose channel is not a class or whose slow-consumer policy is unknown.
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
    router.add(pattern, { channel, slowConsumer });
  }
  return router;
}

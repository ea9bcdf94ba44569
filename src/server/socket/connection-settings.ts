/**
 * What every connection of one socket mount shares — its endpoint, routes, limits and what is derived
 * from them (the idle sweeper, the length checks) — resolved once per mount and referenced by each
 * connection process, instead of copied into eight fields of every one of them.
 */
import type { RouteTarget } from "../channel/channel-route.js";
import type { TopicRouter } from "../channel/topic-pattern.js";
import type { EndpointContext } from "../endpoint/endpoint-context.js";
import { IdleSweeper } from "./idle-sweeper.js";
import type { RateLimit } from "./rate-limit.js";
import type { SocketLimits } from "./socket-server.js";

/** @internal The message the idle sweeper sends to a connection that may have been silent too long. */
export const IDLE_CHECK: unique symbol = Symbol("idle check");

/** Settings by the limits object they were resolved from: one per mount (a LongPoll session has its own). */
const resolved = new WeakMap<SocketLimits, ConnectionSettings>();

/** @internal The shared settings of a mount's connections (see the module header). */
export class ConnectionSettings {
  /** Longest topic a client message may name (UTF-8 bytes); infinite when unlimited. */
  readonly maxTopicLength: number;
  /** Longest event a client message may name (UTF-8 bytes); infinite when unlimited. */
  readonly maxEventLength: number;
  /** The per-topic rate limit, or `null` when off. */
  readonly topicRateLimit: RateLimit | null;
  /** The sweeper that tells connections when they may be idle (none when `idleTimeoutMs` is 0). */
  readonly idleSweeper: IdleSweeper | null;

  private constructor(
    readonly endpoint: EndpointContext,
    readonly router: TopicRouter<RouteTarget>,
    readonly limits: SocketLimits,
    /** The socket's mount path, for error reports and telemetry. */
    readonly path: string,
  ) {
    this.maxTopicLength = limits.maxTopicLength ?? Number.POSITIVE_INFINITY;
    this.maxEventLength = limits.maxEventLength ?? Number.POSITIVE_INFINITY;
    this.topicRateLimit = limits.topicRateLimit ?? null;
    const idleMs = limits.idleTimeoutMs;
    this.idleSweeper = idleMs > 0 && Number.isFinite(idleMs) ? IdleSweeper.of(endpoint.runtime, idleMs, IDLE_CHECK) : null;
  }

  /**
   * The settings for connections of `endpoint` with these routes, limits and path: the same object for
   * every connection of a mount, resolved on its first connection.
   */
  static of(endpoint: EndpointContext, router: TopicRouter<RouteTarget>, limits: SocketLimits, path: string): ConnectionSettings {
    const known = resolved.get(limits);
    if (known !== undefined && known.endpoint === endpoint && known.router === router && known.path === path) return known;
    const settings = new ConnectionSettings(endpoint, router, limits, path);
    resolved.set(limits, settings);
    return settings;
  }
}

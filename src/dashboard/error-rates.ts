/**
 * P(e)'s arithmetic: error counts of one interval turned into probabilities per unit of traffic —
 * channel crashes per handled message, refused joins per join, slow-consumer cuts and transport errors
 * per connection — and the rule that combines several nodes (add the counts, then divide).
 */

/** What one node counted during one interval. */
export interface ErrorCounts {
  /** Channel processes that crashed (in any callback, or killed). */
  readonly crashes: number;
  /** Messages channels handled: joins, client events (`handleIn`) and process messages (`handleInfo`). */
  readonly handled: number;
  /** Joins answered with an error: refused by `join`, or `join` crashed. */
  readonly refusedJoins: number;
  /** Joins answered. */
  readonly joins: number;
  /** Clients cut for reading too slowly. */
  readonly slowConsumers: number;
  /** Clients that broke the protocol or a limit (slow consumers excluded: they have their own ratio). */
  readonly transportErrors: number;
  /** Connections exposed to the interval: those open when it began, plus every connect attempt during it. */
  readonly connections: number;
}

/** The probabilities of one interval, each between 0 and 1. */
export interface ErrorRatios {
  readonly crashPerMessage: number;
  readonly refusedJoinPerJoin: number;
  readonly slowConsumerPerConnection: number;
  readonly transportErrorPerConnection: number;
}

/** An interval without traffic or errors. */
export const NO_ERRORS: ErrorCounts = Object.freeze({
  crashes: 0,
  handled: 0,
  refusedJoins: 0,
  joins: 0,
  slowConsumers: 0,
  transportErrors: 0,
  connections: 0,
});

/**
 * `errors / traffic` as a probability.
 *
 * @remarks
 * No traffic and no errors is 0. Errors can outnumber the traffic counted for them (a crash of a process
 * killed between two messages, transport errors of requests refused before they became connections):
 * the ratio is then capped at 1.
 *
 * @example
 * ```ts
 * errorRatio(1, 200); // 0.005
 * errorRatio(0, 0); // 0
 * errorRatio(3, 1); // 1
 * ```
 */
export function errorRatio(errors: number, traffic: number): number {
  const denominator = Math.max(errors, traffic);
  return denominator === 0 ? 0 : errors / denominator;
}

/** The probabilities of one interval's counts. */
export function errorRatios(counts: ErrorCounts): ErrorRatios {
  return {
    crashPerMessage: errorRatio(counts.crashes, counts.handled),
    refusedJoinPerJoin: errorRatio(counts.refusedJoins, counts.joins),
    slowConsumerPerConnection: errorRatio(counts.slowConsumers, counts.connections),
    transportErrorPerConnection: errorRatio(counts.transportErrors, counts.connections),
  };
}

/**
 * Adds the counts of several nodes; the cluster's ratios are {@link errorRatios} of the sum, so a busy
 * node weighs as much as its traffic, not as much as a quiet one.
 */
export function addErrorCounts(parts: Iterable<ErrorCounts>): ErrorCounts {
  let crashes = 0;
  let handled = 0;
  let refusedJoins = 0;
  let joins = 0;
  let slowConsumers = 0;
  let transportErrors = 0;
  let connections = 0;
  for (const c of parts) {
    crashes += c.crashes;
    handled += c.handled;
    refusedJoins += c.refusedJoins;
    joins += c.joins;
    slowConsumers += c.slowConsumers;
    transportErrors += c.transportErrors;
    connections += c.connections;
  }
  return { crashes, handled, refusedJoins, joins, slowConsumers, transportErrors, connections };
}

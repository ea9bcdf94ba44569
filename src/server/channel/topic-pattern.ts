/**
 * Topic routes: `room:*` matches every topic that starts with `room:` (including `room:` itself), a pattern
 * without `*` matches exactly, `*` alone matches everything. The first route that matches wins.
 */
import { ServerError, ServerErrorCode } from "../errors.js";

/** A compiled topic pattern. */
export interface TopicPattern {
  readonly source: string;
  matches(topic: string): boolean;
}

/**
 * Compiles a topic pattern.
 *
 * @throws ServerError `FENIX_ERR_SERVER_BAD_TOPIC_PATTERN` if `*` appears anywhere but at the end.
 */
export function compileTopicPattern(source: string): TopicPattern {
  if (typeof source !== "string" || source.length === 0) {
    throw new ServerError(ServerErrorCode.BAD_TOPIC_PATTERN, `A topic pattern must be a non-empty string; got ${String(source)}.`);
  }
  const star = source.indexOf("*");
  if (star === -1) return { source, matches: (topic) => topic === source };
  if (star !== source.length - 1) {
    throw new ServerError(
      ServerErrorCode.BAD_TOPIC_PATTERN,
      `Topic pattern "${source}" has "*" before its end; only a trailing "*" is allowed, as in "room:*".`,
    );
  }
  const prefix = source.slice(0, -1);
  return { source, matches: (topic) => topic.startsWith(prefix) };
}

/** Routes topics to values (channel classes) by the first matching pattern. */
export class TopicRouter<T> {
  readonly #routes: Array<{ readonly pattern: TopicPattern; readonly target: T }> = [];

  constructor(routes: Iterable<readonly [string, T]> = []) {
    for (const [pattern, target] of routes) this.add(pattern, target);
  }

  /** Adds a route after the existing ones. */
  add(pattern: string, target: T): void {
    this.#routes.push({ pattern: compileTopicPattern(pattern), target });
  }

  /** The first route matching `topic`: its pattern and target, or undefined. */
  route(topic: string): { readonly pattern: string; readonly target: T } | undefined {
    for (const route of this.#routes) if (route.pattern.matches(topic)) return { pattern: route.pattern.source, target: route.target };
    return undefined;
  }

  /** The target of the first route matching `topic`, or undefined. */
  match(topic: string): T | undefined {
    for (const route of this.#routes) if (route.pattern.matches(topic)) return route.target;
    return undefined;
  }

  /** The routes as pattern and target pairs, in match order. */
  entries(): Array<readonly [string, T]> {
    return this.#routes.map((r) => [r.pattern.source, r.target] as const);
  }

  /** The patterns, in match order. */
  get patterns(): string[] {
    return this.#routes.map((r) => r.pattern.source);
  }
}

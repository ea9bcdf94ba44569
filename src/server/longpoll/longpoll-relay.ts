/**
 * The cross-node relay of LongPoll requests. A request whose token names another node is sent through
 * PubSub to the session's private topic on that node; the session answers on a reply topic made for the
 * request on this node: first "alive" (within `pubsubTimeoutMs`, or the session is taken as gone), then
 * the result (a poll's frames, a POST's outcome). Messages are plain JSON-able objects, so any adapter can carry them.
 */
import { randomBytes } from "node:crypto";
import type { PubSub } from "../../pubsub/pubsub.js";
import { Process } from "../../runtime/process/process.js";
import type { Runtime } from "../../runtime/process/runtime.js";

/** The private topic a session listens on, on its own node. */
export function sessionTopic(sessionId: string): string {
  return `phx:lp:${sessionId}`;
}

/** What a requesting node asks of a session. */
export type RelayRequest =
  | { readonly lp: "poll"; readonly replyNode: string; readonly replyTopic: string }
  | { readonly lp: "post"; readonly replyNode: string; readonly replyTopic: string; readonly lines: readonly string[] };

/** What a session answers: `alive` at once, then `result` with the body status (and a poll's messages). */
export interface RelayReply {
  readonly lp: "alive" | "result";
  readonly replyTopic: string;
  readonly status: number;
  readonly messages: readonly string[];
}

/** How a relayed request ended: the session's result, no session, or a session too slow to answer. */
export type RelayOutcome =
  | { readonly kind: "result"; readonly status: number; readonly messages: readonly string[] }
  | { readonly kind: "unknown" }
  | { readonly kind: "timeout" };

export function isRelayRequest(message: unknown): message is RelayRequest {
  const m = message as { lp?: unknown; replyNode?: unknown; replyTopic?: unknown; lines?: unknown } | null;
  if (typeof m !== "object" || m === null || typeof m.replyNode !== "string" || typeof m.replyTopic !== "string") return false;
  return m.lp === "poll" || (m.lp === "post" && Array.isArray(m.lines) && m.lines.every((l) => typeof l === "string"));
}

function isRelayReply(message: unknown): message is RelayReply {
  const m = message as { lp?: unknown; replyTopic?: unknown } | null;
  return typeof m === "object" && m !== null && (m.lp === "alive" || m.lp === "result") && typeof m.replyTopic === "string";
}

interface Pending {
  alive(): void;
  result(reply: RelayReply): void;
}

/** @internal The requesting side: one process per mount that receives the replies of its relayed requests. */
export class LongPollRelay extends Process {
  readonly #pubsub: PubSub;
  readonly #pending = new Map<string, Pending>();

  constructor(runtime: Runtime, pubsub: PubSub) {
    super(runtime);
    this.#pubsub = pubsub;
  }

  /**
   * Sends a request to session `sessionId` on `node` and waits: up to `aliveMs` for the session to answer
   * at all, then up to `resultMs` for its result.
   */
  request(node: string, sessionId: string, request: { lp: "poll" } | { lp: "post"; lines: readonly string[] }, aliveMs: number, resultMs: number): Promise<RelayOutcome> {
    const clock = this.runtime.clock;
    const replyTopic = `phx:lp:reply:${randomBytes(12).toString("base64url")}`;
    return new Promise<RelayOutcome>((resolve) => {
      let timer = clock.setTimeout(() => finish({ kind: "unknown" }), aliveMs);
      const finish = (outcome: RelayOutcome) => {
        clock.clearTimeout(timer);
        this.#pending.delete(replyTopic);
        this.#pubsub.unsubscribe(replyTopic, this.pid);
        resolve(outcome);
      };
      this.#pending.set(replyTopic, {
        alive: () => {
          clock.clearTimeout(timer);
          timer = clock.setTimeout(() => finish({ kind: "timeout" }), resultMs);
        },
        result: (reply) => finish({ kind: "result", status: reply.status, messages: reply.messages }),
      });
      this.#pubsub.subscribe(replyTopic, this.pid);
      try {
        this.#pubsub.directBroadcast(node, sessionTopic(sessionId), { ...request, replyNode: this.#pubsub.nodeName, replyTopic });
      } catch {
        finish({ kind: "unknown" });
      }
    });
  }

  /** Ends the relay; requests still waiting end as their timers fire. */
  halt(): void {
    this.stop("normal");
  }

  protected handleMessage(message: unknown): void {
    if (!isRelayReply(message)) return;
    const pending = this.#pending.get(message.replyTopic);
    if (pending === undefined) return;
    if (message.lp === "alive") pending.alive();
    else pending.result(message);
  }
}

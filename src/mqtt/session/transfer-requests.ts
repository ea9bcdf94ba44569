/**
 * Session transfers a node asked for: when a client resumes on this node a session it left on another,
 * every other node answers with the session (the one keeping it) or with nothing, and the CONNACK waits
 * for all answers or a timeout, whichever comes first.
 */
import type { Clock, TimerHandle } from "../../runtime/clock/clock.js";
import type { SessionSnapshot } from "./session.js";

/** A node's answer to a transfer request: the session, or null when it keeps none. */
export interface SessionTransfer {
  readonly transfer: string;
  readonly node: string;
  readonly session: SessionSnapshot | null;
}

/** Whether a PubSub message is an answer to a transfer request. */
export function isTransferAnswer(message: unknown): message is SessionTransfer {
  const m = message as SessionTransfer | null;
  return typeof m === "object" && m !== null && typeof m.transfer === "string" && typeof m.node === "string" && "session" in m;
}

/** A request in flight: the nodes that have not answered yet, and the session one of them sent. */
interface Pending {
  readonly waiting: Set<string>;
  snapshot: SessionSnapshot | null;
  readonly timer: TimerHandle;
  readonly resolve: (snapshot: SessionSnapshot | null) => void;
}

/** @internal The transfer requests of one broker. */
export class TransferRequests {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Waits for the answers of `nodes` to request `id`; resolves with the session sent, or null. */
  request(id: string, nodes: readonly string[]): Promise<SessionSnapshot | null> {
    if (nodes.length === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => this.#finish(id), this.#timeoutMs);
      this.#pending.set(id, { waiting: new Set(nodes), snapshot: null, timer, resolve });
    });
  }

  /** Records a node's answer. */
  answer(message: SessionTransfer): void {
    const pending = this.#pending.get(message.transfer);
    if (pending === undefined) return;
    if (message.session !== null) pending.snapshot = message.session;
    pending.waiting.delete(message.node);
    if (pending.waiting.size === 0) this.#finish(message.transfer);
  }

  #finish(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    this.#clock.clearTimeout(pending.timer);
    pending.resolve(pending.snapshot);
  }
}

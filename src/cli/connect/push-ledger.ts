/**
 * The pushes `fenix connect` is waiting on, with the ref each went out with and when. The client keeps
 * refs to itself, so the ledger reads them from the outgoing frames: a channel sends its pushes in the
 * order they were made, so the first unsent push of a topic with the frame's event is the one sent.
 */
import type { FrameFilter, OutgoingFrame } from "./frame-filter.js";

/** One push waiting for its reply. */
export interface PendingPush {
  readonly topic: string;
  readonly event: string;
  /** When the push was made (it may wait in its channel before going out). */
  readonly madeAt: number;
  /** The ref it went out with, once sent. */
  ref: string | null;
  /** When it went out, once sent. */
  sentAt: number | null;
  /** Set once its reply arrived (and was shown). */
  replied: boolean;
}

/** The events a channel sends by itself; they are never the user's pushes. */
const CONTROL_EVENTS = new Set(["phx_join", "phx_leave", "heartbeat"]);

/** The topic, event and ref of an outgoing frame, or undefined for a frame that is not a push. */
export function readOutgoing(frame: OutgoingFrame): { topic: string; event: string; ref: string } | undefined {
  if (typeof frame === "string") {
    let value: unknown;
    try {
      value = JSON.parse(frame);
    } catch {
      return undefined;
    }
    if (!Array.isArray(value)) return undefined;
    const [, ref, topic, event] = value as unknown[];
    return typeof ref === "string" && typeof topic === "string" && typeof event === "string" ? { topic, event, ref } : undefined;
  }
  // A V2 binary push: kind 0, the lengths of join_ref, ref, topic and event, then those strings.
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  const [kind, joinRefSize = 0, refSize = 0, topicSize = 0, eventSize = 0] = bytes;
  if (kind !== 0 || bytes.length < 5 + joinRefSize + refSize + topicSize + eventSize) return undefined;
  const decoder = new TextDecoder();
  let at = 5 + joinRefSize;
  const take = (size: number): string => decoder.decode(bytes.subarray(at, (at += size)));
  const ref = take(refSize);
  const topic = take(topicSize);
  const event = take(eventSize);
  return { topic, event, ref };
}

/** The pushes in flight, matched to their refs by {@link PushLedger.filter}. */
export class PushLedger {
  readonly #pending: PendingPush[] = [];

  /** The frame filter that notes the ref of each push as it goes out (frames pass unchanged). */
  readonly filter: FrameFilter = {
    outgoing: (frame) => {
      const sent = readOutgoing(frame);
      if (sent !== undefined && !CONTROL_EVENTS.has(sent.event)) {
        const push = this.#pending.find((p) => p.ref === null && p.topic === sent.topic && p.event === sent.event);
        if (push !== undefined) {
          push.ref = sent.ref;
          push.sentAt = performance.now();
        }
      }
      return frame;
    },
  };

  /** Notes a push about to be made; call it just before `channel.push`, which may send at once. */
  track(topic: string, event: string): PendingPush {
    const push: PendingPush = { topic, event, madeAt: performance.now(), ref: null, sentAt: null, replied: false };
    this.#pending.push(push);
    return push;
  }

  /** The push a reply on `topic` with `ref` answers, marked replied and forgotten; undefined if none is waiting. */
  replied(topic: string, ref: string): PendingPush | undefined {
    const push = this.#pending.find((p) => p.ref === ref && p.topic === topic);
    if (push !== undefined) {
      push.replied = true;
      this.forget(push);
    }
    return push;
  }

  /** Forgets a push (replied, timed out or failed). */
  forget(push: PendingPush): void {
    const index = this.#pending.indexOf(push);
    if (index !== -1) this.#pending.splice(index, 1);
  }

  /** How long a push has waited, in ms: from the moment it went out, or from the push if it never did. */
  static elapsedMs(push: PendingPush): number {
    return Math.round(performance.now() - (push.sentAt ?? push.madeAt));
  }
}

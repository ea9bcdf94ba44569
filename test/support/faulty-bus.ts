/**
 * An in-memory cluster bus for multi-node tests that can misbehave on purpose: each message between two
 * nodes may be dropped, duplicated or delayed (and so reordered), and nodes can be partitioned and
 * healed. Delays run on a VirtualClock, so a test decides when messages arrive. Faults are drawn from a
 * seeded generator: a failing run can be replayed.
 */
import type { VirtualClock } from "../../src/index.js";
import type { AdapterHost, PubSubAdapter } from "../../src/pubsub/index.js";

/** How often each fault happens, per message and receiving node. */
export interface Faults {
  /** Probability that a message is lost. @defaultValue 0 */
  readonly drop?: number;
  /** Probability that a message is delivered twice. @defaultValue 0 */
  readonly duplicate?: number;
  /** Largest delay in virtual ms; each copy waits a random delay up to it, so messages reorder. @defaultValue 0 */
  readonly maxDelayMs?: number;
}

/** A small seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bus: one per simulated cluster. */
export class FaultyBus {
  readonly #clock: VirtualClock;
  readonly #random: () => number;
  readonly #nodes = new Map<string, AdapterHost>();
  readonly #cut = new Set<string>();
  #faults: Faults = {};
  /** Messages sent and messages lost, for tests that want to see the faults happened. */
  sent = 0;
  dropped = 0;

  constructor(clock: VirtualClock, seed = 1) {
    this.#clock = clock;
    this.#random = seeded(seed);
  }

  /** Sets the faults applied from now on. */
  setFaults(faults: Faults): void {
    this.#faults = faults;
  }

  /** Cuts the link between `a` and `b` (both ways) until {@link heal}. */
  partition(a: string, b: string): void {
    this.#cut.add(linkKey(a, b));
  }

  /** Restores every link and turns the faults off. */
  heal(): void {
    this.#cut.clear();
    this.#faults = {};
  }

  /** An adapter for one node of this bus. */
  adapter(): PubSubAdapter {
    let host: AdapterHost | null = null;
    return {
      start: (h) => {
        host = h;
        this.#nodes.set(h.nodeName, h);
        h.reportStatus(true);
      },
      stop: () => {
        if (host !== null && this.#nodes.get(host.nodeName) === host) this.#nodes.delete(host.nodeName);
        host = null;
      },
      broadcast: (frame) => {
        if (host === null) return;
        for (const name of this.#nodes.keys()) if (name !== host.nodeName) this.#send(host.nodeName, name, frame);
      },
      directBroadcast: (node, frame) => {
        if (host !== null) this.#send(host.nodeName, node, frame);
      },
      nodes: () => [...this.#nodes.keys()],
    };
  }

  #send(from: string, to: string, frame: Uint8Array): void {
    this.sent++;
    const { drop = 0, duplicate = 0, maxDelayMs = 0 } = this.#faults;
    if (this.#cut.has(linkKey(from, to)) || this.#random() < drop) {
      this.dropped++;
      return;
    }
    const copies = this.#random() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const deliver = () => this.#nodes.get(to)?.deliver(frame);
      const delay = maxDelayMs > 0 ? Math.floor(this.#random() * maxDelayMs) : 0;
      if (delay === 0) queueMicrotask(deliver);
      else this.#clock.setTimeout(deliver, delay);
    }
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

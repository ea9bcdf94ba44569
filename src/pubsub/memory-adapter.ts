/**
 * The in-memory adapter: several nodes inside one process, linked by a MemoryBus — for tests of
 * anything that spans nodes. Frames are the same bytes a network adapter carries, so what works here
 * works over Redis or between cluster workers.
 */
import type { AdapterHost, PubSubAdapter } from "./adapter.js";
import { PubSubError, PubSubErrorCode } from "./errors.js";

/**
 * A message bus that links the {@link MemoryAdapter}s created on it, like a network between nodes.
 *
 * @remarks
 * Frames are delivered asynchronously (on a microtask), in send order per sender→receiver pair, which is
 * what adapters over a real network guarantee too. Each node receives the same bytes; the PubSub decodes
 * them into its own copy of the message.
 */
export class MemoryBus {
  readonly #nodes = new Map<string, AdapterHost>();

  /** @internal */
  join(host: AdapterHost): void {
    if (this.#nodes.has(host.nodeName)) {
      throw new PubSubError(
        PubSubErrorCode.DUPLICATE_NODE,
        `A node named "${host.nodeName}" is already on this bus; give every node its own runtime node name.`,
      );
    }
    this.#nodes.set(host.nodeName, host);
  }

  /** @internal */
  leave(host: AdapterHost): void {
    if (this.#nodes.get(host.nodeName) === host) this.#nodes.delete(host.nodeName);
  }

  /** @internal */
  send(from: string, to: string | null, frame: Uint8Array): void {
    queueMicrotask(() => {
      if (to !== null) {
        this.#nodes.get(to)?.deliver(frame);
        return;
      }
      for (const [name, host] of this.#nodes) {
        if (name !== from) host.deliver(frame);
      }
    });
  }

  /** The names of the nodes on this bus. */
  nodes(): string[] {
    return [...this.#nodes.keys()];
  }
}

/**
 * A {@link PubSubAdapter} over a {@link MemoryBus}.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * const a = new PubSub({ runtime: new Runtime({ node: "a" }), adapter: new MemoryAdapter(bus) });
 * const b = new PubSub({ runtime: new Runtime({ node: "b" }), adapter: new MemoryAdapter(bus) });
 * ```
 */
export class MemoryAdapter implements PubSubAdapter {
  readonly #bus: MemoryBus;
  #host: AdapterHost | null = null;

  /** @param bus - the bus shared with the other nodes. @defaultValue a bus of its own (a single node). */
  constructor(bus: MemoryBus = new MemoryBus()) {
    this.#bus = bus;
  }

  start(host: AdapterHost): void {
    this.#bus.join(host);
    this.#host = host;
    host.reportStatus(true);
  }

  stop(): void {
    if (this.#host !== null) this.#bus.leave(this.#host);
    this.#host = null;
  }

  broadcast(frame: Uint8Array): void {
    if (this.#host !== null) this.#bus.send(this.#host.nodeName, null, frame);
  }

  directBroadcast(node: string, frame: Uint8Array): void {
    if (this.#host !== null) this.#bus.send(this.#host.nodeName, node, frame);
  }

  nodes(): readonly string[] {
    return this.#host === null ? [] : this.#bus.nodes();
  }
}

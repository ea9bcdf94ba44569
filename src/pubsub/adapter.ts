/**
 * The adapter contract: how a PubSub reaches the other nodes of a cluster. Local subscriptions and
 * delivery stay in the PubSub core; an adapter only carries messages between nodes.
 */

/**
 * What the PubSub core hands to its adapter: the way back in for messages from other nodes.
 */
export interface AdapterHost {
  /** This node's name, unique in the cluster. */
  readonly nodeName: string;
  /**
   * Delivers a message that arrived from another node to this node's local subscribers.
   *
   * @param dispatcher - the name of the dispatcher the sender chose (see {@link PubSub.registerDispatcher}).
   */
  deliver(topic: string, message: unknown, dispatcher: string): void;
}

/**
 * Carries broadcasts between the nodes of a cluster.
 *
 * @remarks
 * The contract is deliberately small. `broadcast` reaches every other node, `directBroadcast` one named
 * node; neither delivers locally (the core does that itself, without a round trip). Delivery is
 * at-most-once and ordered per sender→receiver pair, like the PubSub it serves. An adapter that
 * serialises messages must round-trip JSON objects and `Uint8Array` payloads (as bytes).
 */
export interface PubSubAdapter {
  /** Connects to the cluster. `host.deliver` receives what other nodes send. */
  start(host: AdapterHost): void | Promise<void>;
  /** Leaves the cluster; no more deliveries after the returned promise settles. */
  stop(): void | Promise<void>;
  /** Sends to every other node. */
  broadcast(topic: string, message: unknown, dispatcher: string): void | Promise<void>;
  /** Sends to one node by name (no-op if it is unknown). */
  directBroadcast(node: string, topic: string, message: unknown, dispatcher: string): void | Promise<void>;
  /** The names of the nodes currently known to this adapter, this one included. */
  nodes(): readonly string[];
}

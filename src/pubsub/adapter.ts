/**
 * The adapter contract: how a PubSub reaches the other nodes of a cluster. Local subscriptions and
 * delivery stay in the PubSub core, which encodes each broadcast once into a frame; an adapter only
 * carries those bytes between nodes.
 */

import type { HistoryStore, StreamPosition } from "./history/history-store.js";

/**
 * What the PubSub core hands to its adapter: the way back in for frames from other nodes, and the place
 * to report how the link is doing.
 */
export interface AdapterHost {
  /** This node's name, unique in the cluster. */
  readonly nodeName: string;
  /**
   * Delivers a frame another node sent (with {@link PubSubAdapter.broadcast} or
   * {@link PubSubAdapter.directBroadcast}) to this node's local subscribers. The adapter hands over the
   * bytes it received, unchanged; the core may keep a reference to them.
   */
  deliver(frame: Uint8Array): void;
  /**
   * Delivers a frame of a history topic with the position its store gave it, to this node's local
   * subscribers. The adapter's {@link HistoryStore} calls it on every node, the appending one included,
   * in offset order per topic.
   */
  deliverPositioned(frame: Uint8Array, position: StreamPosition): void;
  /**
   * Reports a problem the adapter met and handled (a lost link, lost messages, a node name used twice):
   * the PubSub passes it to its error listeners, the endpoint logs it. Use a `PubSubError` with a code.
   */
  reportError(error: Error): void;
  /**
   * Reports whether the other nodes can be reached now (`true` once connected, `false` when the link
   * drops). The PubSub exposes it as {@link PubSub.connected} and tells its status listeners.
   */
  reportStatus(connected: boolean): void;
}

/**
 * Carries frames between the nodes of a cluster.
 *
 * @remarks
 * The contract is deliberately small. `broadcast` reaches every other node, `directBroadcast` one named
 * node; neither delivers locally (the core does that itself, without a round trip). Frames are opaque
 * bytes: the adapter must deliver them unchanged, and send each one once, not once per node, where the
 * medium allows it. Delivery is at-most-once and ordered per sender→receiver pair. An adapter never
 * throws from `broadcast` or `directBroadcast` for a link problem: it drops the frame and reports it
 * through {@link AdapterHost.reportError}, so that local delivery goes on.
 *
 * `fenix/testing/adapter` holds the conformance suite every adapter should pass.
 */
export interface PubSubAdapter {
  /**
   * Joins the cluster. `host.deliver` receives what other nodes send. May resolve before the link is up
   * (an adapter that keeps retrying reports its status instead); rejects only for a configuration the
   * adapter can never work with.
   */
  start(host: AdapterHost): void | Promise<void>;
  /** Leaves the cluster; no more deliveries after the returned promise settles. */
  stop(): void | Promise<void>;
  /** Sends a frame to every other node. */
  broadcast(frame: Uint8Array): void;
  /** Sends a frame to one node by name (dropped if no such node is listening). */
  directBroadcast(node: string, frame: Uint8Array): void;
  /** The names of the nodes currently known to this adapter, this one included. */
  nodes(): readonly string[];
  /**
   * The history store the nodes share, for channel routes with `history`. An adapter without one
   * cannot serve such routes: an endpoint refuses to start with them.
   */
  readonly history?: HistoryStore;
}

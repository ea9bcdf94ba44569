/**
 * Subscriber entries and the Dispatcher seam: how one broadcast is handed to the local subscribers
 * of its topic.
 */
import type { Pid } from "../runtime/process/pid.js";
import type { Runtime } from "../runtime/process/runtime.js";
import type { StreamPosition } from "../protocol/position.js";

/** One local subscription: the process and the metadata it subscribed with. */
export interface Subscriber {
  readonly pid: Pid;
  readonly meta: unknown;
}

/**
 * Hands one broadcast to the local subscribers of its topic.
 *
 * @remarks
 * A dispatcher runs once per broadcast per node, with every local subscriber of the topic. It decides how
 * each gets the message: the default sends it to the subscriber's mailbox; the fastlane writes a frame
 * encoded once straight to the subscriber's transport. `from` is the sender to skip (broadcastFrom),
 * or `null`. `position` is the message's place in its topic's history, for broadcasts on topics with
 * history. Dispatchers are named so that a message from another node can name the one to use.
 */
export type Dispatcher = (
  subscribers: Iterable<Subscriber>,
  from: Pid | null,
  message: unknown,
  context: DispatchContext,
  position?: StreamPosition,
) => void;

/** What a dispatcher may use besides its arguments. */
export interface DispatchContext {
  readonly runtime: Runtime;
  /** The PubSub dispatching (the `source` of the telemetry events a dispatcher publishes). */
  readonly source: object;
  /** This node's name. */
  readonly node: string;
  /** Whether the message came from another node. */
  readonly remote: boolean;
  /** Reports a problem that concerns some subscribers only; the dispatch goes on for the others. */
  reportError(error: Error): void;
}

/**
 * @internal Key of the PubSub method that subscribes a process with a record it made itself, kept as is:
 * a long-lived subscriber (a channel process) can be its own record and save an object per subscription.
 */
export const subscribeRecord: unique symbol = Symbol("fenix.pubsub.subscribeRecord");

/** The name of the dispatcher that sends the message to every subscriber's mailbox. */
export const DEFAULT_DISPATCHER = "default";

/**
 * The name under which the server layer registers its channel dispatcher (the fastlane, which writes a
 * broadcast encoded once to every joined client). Channel broadcasts and presence diffs use it. Until an
 * endpoint registers it on a PubSub, the name is served like {@link DEFAULT_DISPATCHER}.
 */
export const FASTLANE_DISPATCHER = "fastlane";

/** Sends the message as it is to every subscriber but `from`. */
export const defaultDispatcher: Dispatcher = (subscribers, from, message, { runtime }) => {
  for (const sub of subscribers) {
    if (sub.pid !== from) runtime.send(sub.pid, message);
  }
};

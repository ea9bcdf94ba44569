/**
 * What the workers of one machine and their primary say to each other about PubSub, over Node's IPC
 * channel: a worker introduces itself by node name, sends its frames in batches (one IPC message per
 * event-loop turn, each frame addressed to every node or to one), and is told which nodes exist.
 * Frames travel as `Uint8Array`s, so the channel must use `serialization: "advanced"`.
 */

/** A worker joins the cluster under a node name. */
export interface HelloMessage {
  readonly fenix: "pubsub/hello";
  readonly node: string;
}

/** A worker leaves the cluster (it stops its PubSub). */
export interface ByeMessage {
  readonly fenix: "pubsub/bye";
}

/**
 * Frames in send order. From a worker, `to[i]` names the node of `frames[i]` (null: every other node);
 * from the primary, every frame is for the receiving worker.
 */
export interface FramesMessage {
  readonly fenix: "pubsub/frames";
  readonly frames: readonly Uint8Array[];
  readonly to?: readonly (string | null)[];
}

/** The primary tells the workers which nodes exist, on every change. */
export interface NodesMessage {
  readonly fenix: "pubsub/nodes";
  readonly nodes: readonly string[];
}

/** The primary refuses a worker's hello (its node name is taken). */
export interface RefusedMessage {
  readonly fenix: "pubsub/refused";
  readonly reason: string;
}

/** Any PubSub message on the IPC channel. */
export type IpcMessage = HelloMessage | ByeMessage | FramesMessage | NodesMessage | RefusedMessage;

/** Whether an IPC message is one of these (other traffic on the channel is left alone). */
export function isIpcMessage(message: unknown): message is IpcMessage {
  const kind = (message as { fenix?: unknown } | null)?.fenix;
  return typeof kind === "string" && kind.startsWith("pubsub/");
}

/** One end of an IPC channel: `process` in a worker, a `cluster.Worker` in the primary. */
export interface IpcPort {
  /** Node's `send(message, callback)`: the callback receives the error of a send that failed. */
  send(message: IpcMessage, callback: (error: Error | null) => void): unknown;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
}

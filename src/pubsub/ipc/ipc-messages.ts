/**
 * What the workers of one machine and their primary say to each other about PubSub, over Node's IPC
 * channel: a worker introduces itself by node name, sends its frames in batches (one IPC message per
 * event-loop turn, each frame addressed to every node or to one), and is told which nodes exist. For
 * history topics, a worker sends its appends to the primary, which keeps the topics' streams, gives each
 * frame its position and sends the positioned frames to every worker (the sender included); a worker
 * reads a stream with a request the primary answers. Frames travel as `Uint8Array`s, so the channel must
 * use `serialization: "advanced"`.
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

/** One frame to append to a topic's history, with the topic's retention. */
export interface AppendEntry {
  readonly topic: string;
  readonly frame: Uint8Array;
  /** Most messages kept for the topic. */
  readonly size: number;
  /** Longest a message of the topic is kept (ms). */
  readonly ttlMs: number;
}

/** A worker's history appends, in append order (one IPC message per event-loop turn). */
export interface AppendMessage {
  readonly fenix: "pubsub/append";
  readonly appends: readonly AppendEntry[];
}

/** A frame of a history topic with the position the primary gave it. */
export interface PositionedFrame {
  readonly frame: Uint8Array;
  readonly epoch: string;
  readonly offset: number;
}

/**
 * The primary sends every worker (the appending ones included) the frames it appended, in the order it
 * appended them (one IPC message per event-loop turn of the primary).
 */
export interface PositionedMessage {
  readonly fenix: "pubsub/positioned";
  readonly frames: readonly PositionedFrame[];
}

/** A worker reads a topic's history (see `HistoryQuery`); the primary answers with a {@link ReadResultMessage}. */
export interface ReadMessage {
  readonly fenix: "pubsub/read";
  /** The worker's number for the request, repeated in the answer. */
  readonly id: number;
  readonly topic: string;
  readonly after?: number;
  readonly limit: number;
  readonly size: number;
  readonly ttlMs: number;
}

/**
 * The primary's answer to a {@link ReadMessage}: the stream's position and the entries found, or why it
 * could not read. It is sent after the positioned frames of every append the read saw.
 */
export type ReadResultMessage =
  | {
      readonly fenix: "pubsub/read-result";
      readonly id: number;
      readonly epoch: string;
      readonly offset: number;
      readonly entries: readonly { readonly offset: number; readonly frame: Uint8Array }[];
    }
  | { readonly fenix: "pubsub/read-result"; readonly id: number; readonly error: string };

/** Any PubSub message on the IPC channel. */
export type IpcMessage =
  | HelloMessage
  | ByeMessage
  | FramesMessage
  | NodesMessage
  | RefusedMessage
  | AppendMessage
  | PositionedMessage
  | ReadMessage
  | ReadResultMessage;

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

/**
 * What an endpoint tells about its open connections (`endpoint.connections()`): the snapshot the
 * dashboard and the metrics read, taken from the connection and channel processes without stopping them.
 */
import type { Pid } from "../../runtime/process/pid.js";

/** One joined channel of a connection. */
export interface ChannelInfo {
  readonly topic: string;
  /** The route pattern that matched the topic, such as `room:*`. */
  readonly route: string;
  /** The channel class's name. */
  readonly channel: string;
  /** The channel's process. */
  readonly pid: Pid;
  /** Messages queued in the channel's mailbox. */
  readonly mailbox: number;
  /** When the join was answered (ms since the epoch). */
  readonly joinedAt: number;
}

/** One open client connection. */
export interface ConnectionInfo {
  /** The connection's process. */
  readonly pid: Pid;
  /** The socket mount, such as `/socket`. */
  readonly path: string;
  /** `"websocket"` or `"longpoll"`. */
  readonly transport: string;
  /** The peer address, when known. */
  readonly address: string | undefined;
  /** The socket's `id()`, if it has one. */
  readonly socketId: string | null;
  /** When it connected (ms since the epoch). */
  readonly connectedAt: number;
  /** Messages queued in the connection process's mailbox. */
  readonly mailbox: number;
  /** Outbound bytes queued for the client and not yet written to the network. */
  readonly bufferedBytes: number;
  /** The joined channels. */
  readonly channels: readonly ChannelInfo[];
}

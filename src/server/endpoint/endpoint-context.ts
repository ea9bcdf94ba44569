/**
 * What sockets and channels need from their endpoint, as an interface so the connection and channel
 * processes do not depend on the Endpoint class itself.
 */
import type { FenixError } from "../../errors/fenix-error.js";
import type { Payload } from "../../protocol/message.js";
import type { Presence } from "../../presence/presence.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { Runtime } from "../../runtime/process/runtime.js";
import type { Logger } from "./logger.js";

/** The part of an endpoint that channels may use: broadcasting to any topic. */
export interface EndpointApi {
  /** The runtime every socket and channel process of this endpoint runs on. */
  readonly runtime: Runtime;
  /** The PubSub carrying this endpoint's broadcasts. */
  readonly pubsub: PubSub;
  /**
   * The endpoint's own presence tracker, on its PubSub. It runs when a channel of a mounted socket tracks
   * presence (`presenceKey`), or when it was used before the endpoint started.
   */
  readonly presence: Presence;
  /** Broadcasts an event to every subscriber of `topic` on every node. */
  broadcast(topic: string, event: string, payload: Payload): void;
  /** Like {@link EndpointApi.broadcast}, but skips the process `from` (a channel skips its own client). */
  broadcastFrom(from: Pid, topic: string, event: string, payload: Payload): void;
  /** Broadcasts an event to the subscribers of `topic` on this node only. */
  localBroadcast(topic: string, event: string, payload: Payload): void;
}

/** Where a client error happened. */
export interface ClientErrorContext {
  /** The socket mount path, such as `/socket`. */
  readonly path: string;
  /** The transport: `"websocket"` or `"longpoll"`. */
  readonly transport: string;
  /** The peer address, when known. */
  readonly address: string | undefined;
  /** The socket id, once connected, if the socket has one. */
  readonly socketId: string | null;
}

/** @internal The endpoint as its sockets see it. */
export interface EndpointContext extends EndpointApi {
  /** The public endpoint: what channels see as `this.endpoint`, and the `source` of every telemetry event. */
  readonly api: EndpointApi;
  readonly logger: Logger;
  /** Publishes a log record on the telemetry `fenix:log` channel (the endpoint's logger is its subscriber). */
  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void;
  reportClientError(error: FenixError, context: ClientErrorContext): void;
  socketOpened(socket: { close(code: number, reason: string): void }): void;
  socketClosed(socket: { close(code: number, reason: string): void }): void;
}

/**
 * @internal The link between a Channel instance (the user's façade) and the process that runs it. Kept
 * behind a symbol so it never shows up in the public API.
 */
import type { AnyPayload, Message, WireRef } from "../../protocol/message.js";
import type { Frame, Serializer } from "../../protocol/serializer.js";
import type { FastlaneTarget } from "./fastlane.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { EndpointApi } from "../endpoint/endpoint-context.js";
import type { Socket } from "../socket/socket.js";
import type { TopicHistory } from "./topic-history.js";

/** The connection as a channel process sees it (also the fastlane target of its subscriptions). */
export interface ChannelHost extends FastlaneTarget {
  readonly pid: Pid;
  readonly serializer: Serializer;
  readonly socket: Socket<object>;
  /** The connection's socket id, if any. */
  readonly socketId: string | null;
  /** The transport's name (`"websocket"`, `"longpoll"`). */
  readonly transportName: string;
  /**
   * Writes a push, reply, close or error frame for this connection. `topic` and `event` name a push (what
   * a slow client's connection may drop under the route's policy); replies and control frames leave them out.
   */
  write(frame: Frame, topic?: string | null, event?: string | null): void;
  /**
   * A client event was handled and no reply will follow (`noReply()`, nothing returned, or `stop` without
   * a reply). Transports that must acknowledge every message (MQTT QoS 1 and 2) listen for it.
   */
  handledWithoutReply?(topic: string, ref: WireRef | null): void;
}

/** What a channel instance knows about its process. */
export interface ChannelContext {
  readonly pid: Pid;
  readonly topic: string;
  readonly joinRef: WireRef;
  readonly host: ChannelHost;
  readonly endpoint: EndpointApi;
  /** True between a successful join and the end of the process. */
  joined: boolean;
  /** The client message being handled, if any (for socket refs). */
  current: Message | null;
  reply(ref: WireRef | null, status: string, response: AnyPayload): void;
  /** The ref of a push made now (a position while `handleOut` handles a kept broadcast, else null). */
  takePushRef(): string | null;
  /** Reads the newest broadcasts kept for the topic. */
  readHistory(limit: number | undefined): Promise<TopicHistory>;
}

/** The symbol under which a Channel instance holds its {@link ChannelContext}. */
export const CHANNEL_CONTEXT: unique symbol = Symbol("fenix.channel.context");

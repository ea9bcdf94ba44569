/**
 * The chat's socket: anyone may connect; every `room:*` topic is a chat room.
 */
import { Socket, type ChannelRoute } from "../../src/index.js";
import { ChatChannel } from "./chat-channel.js";

/** Accepts every connection and routes `room:*` to {@link ChatChannel}. */
export class ChatSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["room:*", ChatChannel]];
}

/**
 * The chat's socket: anyone may connect; every `room:*` topic is a chat room, with a history (see
 * `ROOM_HISTORY` in chat-message.ts).
 */
import { Socket, type ChannelRoute, type Presence, type SocketClass } from "../../src/index.js";
import { chatChannel } from "./chat-channel.js";
import { ROOM_HISTORY } from "./chat-message.js";

/** Creates the chat socket class: accepts every connection and routes `room:*` to the chat channel. */
export function chatSocket(presence: Presence): SocketClass {
  const channels: readonly ChannelRoute[] = [["room:*", chatChannel(presence), { history: ROOM_HISTORY }]];
  return class ChatSocket extends Socket {
    static override channels = channels;
  };
}

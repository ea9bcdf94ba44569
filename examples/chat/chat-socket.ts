/**
 * The chat's socket: anyone may connect; every `room:*` topic is a chat room.
 */
import { Socket, type ChannelRoute, type Presence, type SocketClass } from "../../src/index.js";
import { chatChannel } from "./chat-channel.js";
import type { RoomDirectory } from "./room-directory.js";

/** Creates the chat socket class: accepts every connection and routes `room:*` to the chat channel. */
export function chatSocket(rooms: RoomDirectory, presence: Presence): SocketClass {
  const channels: readonly ChannelRoute[] = [["room:*", chatChannel(rooms, presence)]];
  return class ChatSocket extends Socket {
    static override channels = channels;
  };
}

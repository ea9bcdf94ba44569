/**
 * The chat room channel: `room:<anything>`. Joining needs a display name (the reply names the node that
 * serves the client); right after the join the
 * client receives who is in the room (`presence_state`, then `presence_diff` as people come and go) and
 * the room's recent messages (`history`); `new_msg` pushes are checked, acknowledged and
 * broadcast to everyone in the room, on every node (the sender included), with the name, an id and a
 * timestamp. The room servers record the broadcasts into the history.
 */
import { Channel, error, ok, reply, type ChannelClass, type JsonObject, type Payload, type Presence } from "../../src/index.js";
import { MAX_BODY_LENGTH, MAX_NAME_LENGTH, newMessage } from "./chat-message.js";
import type { RoomDirectory } from "./room-directory.js";

const AFTER_JOIN = Symbol("after join");

/** Creates the chat channel class for one set of room servers and one presence tracker. */
export function chatChannel(rooms: RoomDirectory, presence: Presence): ChannelClass {
  return class ChatChannel extends Channel<{ name: string }> {
    override join(topic: string, payload: JsonObject) {
      const name = typeof payload.name === "string" ? payload.name.trim() : "";
      if (name.length < 1 || [...name].length > MAX_NAME_LENGTH) return error({ reason: "invalid name" });
      this.assigns.name = name;
      this.send(AFTER_JOIN);
      void topic;
      // Which node serves this client: the page shows it (several nodes or cluster workers).
      return ok({ node: this.endpoint.pubsub.nodeName });
    }

    override async handleInfo(message: unknown) {
      if (message !== AFTER_JOIN) return;
      // Who is here: tracked under the display name (several tabs of one person share it), and the
      // room's presences pushed after every join and rejoin, as the client's Presence expects.
      presence.track(this, this.assigns.name, { online_at: Date.now(), node: this.endpoint.pubsub.nodeName });
      this.push("presence_state", presence.list(this.topic));
      const messages = await rooms.history(this.#room);
      this.push("history", { messages: messages.map((m) => ({ ...m })) });
    }

    override handleIn(event: string, payload: Payload) {
      if (event !== "new_msg") return reply("error", { reason: `unknown event "${event}"` });
      const body = (payload as JsonObject).body;
      if (typeof body !== "string" || body.trim().length === 0) return reply("error", { reason: "empty message" });
      if ([...body].length > MAX_BODY_LENGTH) return reply("error", { reason: `message longer than ${MAX_BODY_LENGTH} characters` });
      this.broadcast("new_msg", { ...newMessage(this.assigns.name, body) });
      return reply("ok");
    }

    get #room(): string {
      return this.topic.slice("room:".length);
    }
  };
}

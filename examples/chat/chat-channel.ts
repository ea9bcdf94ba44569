/**
 * The chat room channel: `room:<anything>`. Joining needs a display name of 1 to 32 characters, and may
 * carry the browser's `identity` (see room-names.ts): a name belongs to one person per room, so a join
 * under a name someone else uses there is refused with `{reason: "name_taken", name}`, while the tabs of
 * one person share their name. The join reply names the node that serves the client. Right after the
 * join the client receives who is in the room (`presence_state`, then `presence_diff` as people come and
 * go) and the room's recent messages (`history`); `new_msg` pushes are checked, acknowledged and
 * broadcast to everyone in the room, on every node (the sender included), with the name, an id and a
 * timestamp. The room servers record the broadcasts into the history; the room directory counts the
 * channels of each room, so a room server stops only once its room has been empty here for a while.
 */
import { Channel, error, ok, reply, type ChannelClass, type JsonObject, type Payload, type Presence } from "../../src/index.js";
import { MAX_BODY_LENGTH, MAX_NAME_LENGTH, newMessage } from "./chat-message.js";
import type { RoomDirectory } from "./room-directory.js";
import { nameTakenFrom, personOf } from "./room-names.js";

const AFTER_JOIN = Symbol("after join");

/** Creates the chat channel class for one set of room servers and one presence tracker. */
export function chatChannel(rooms: RoomDirectory, presence: Presence): ChannelClass {
  return class ChatChannel extends Channel<{ name: string }> {
    /** Whether the room directory counts this channel in its room (from after the join to the end). */
    #entered = false;

    override join(topic: string, payload: JsonObject) {
      const name = typeof payload.name === "string" ? payload.name.trim() : "";
      if (name.length < 1 || [...name].length > MAX_NAME_LENGTH) return error({ reason: "invalid name" });
      const person = personOf(payload.identity);
      if (person === undefined) return error({ reason: "invalid identity" });
      const holder = nameTakenFrom(presence.list(topic), name, person);
      if (holder !== undefined) return error({ reason: "name_taken", name: holder });
      this.assigns.name = name;
      // Who is here: tracked under the display name, one meta per tab. Tracked in the join rather than
      // after it, so that the check above and the claim run in one go: two joins on this node cannot both
      // take a free name. Other nodes learn of the claim at their next presence merge (within
      // `broadcastPeriodMs`); two people who take one free name on two nodes within that window both get
      // in, and the page lists them apart (by `person`).
      const node = this.endpoint.pubsub.nodeName;
      presence.track(this, name, { online_at: Date.now(), node, ...(person === null ? {} : { person }) });
      this.send(AFTER_JOIN);
      // Which node serves this client: the page shows it (several nodes or cluster workers).
      return ok({ node });
    }

    override async handleInfo(message: unknown) {
      if (message !== AFTER_JOIN) return;
      // The room's presences pushed after every join and rejoin, as the client's Presence expects.
      this.push("presence_state", presence.list(this.topic));
      // Counted here rather than in join, which may still fail to complete: terminate runs only after a
      // completed join, and must count out exactly what was counted in.
      if (!this.#entered) {
        this.#entered = true;
        rooms.entered(this.#room);
      }
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

    override terminate() {
      if (this.#entered) rooms.left(this.#room);
    }

    get #room(): string {
      return this.topic.slice("room:".length);
    }
  };
}

/**
 * The chat room channel: `room:<anything>`. Joining needs a display name of 1 to 32 characters, and may
 * carry the browser's `identity` (see room-names.ts): a name belongs to one person per room, so a join
 * under a name someone else uses there is refused with `{reason: "name_taken", name}`, while the tabs of
 * one person share their name. The join reply names the node that serves the client and carries the
 * room's last 50 messages (`messages`, oldest first), read from the room's history (see chat-socket.ts);
 * right after the join the client receives who is in the room (`presence_state`, then `presence_diff` as
 * people come and go). `new_msg` pushes are checked, acknowledged and broadcast to everyone in the room, on
 * every node (the sender included), with the name, an id and a timestamp; each broadcast is kept in the
 * room's history, so a client that rejoins with `since` (fenix/client does it by itself) gets what it
 * missed, and `recovered: true` in the join reply. The history lives in the store the nodes share (Redis,
 * the cluster primary): while this node cannot reach it, a join is answered without `messages`, and the
 * node keeps serving its own clients (their messages reach this node only, and are not kept).
 */
import { Channel, PubSubError, PubSubErrorCode, error, ok, reply, type ChannelClass, type JsonObject, type Payload, type Presence } from "../../src/index.js";
import { isChatMessage, MAX_BODY_LENGTH, MAX_NAME_LENGTH, newMessage, RECENT_MESSAGES, type ChatMessage } from "./chat-message.js";
import { nameTakenFrom, personOf } from "./room-names.js";

const AFTER_JOIN = Symbol("after join");

/** Creates the chat channel class for one presence tracker. */
export function chatChannel(presence: Presence): ChannelClass {
  return class ChatChannel extends Channel<{ name: string }> {
    override async join(topic: string, payload: JsonObject) {
      const name = typeof payload.name === "string" ? payload.name.trim() : "";
      if (name.length < 1 || [...name].length > MAX_NAME_LENGTH) return error({ reason: "invalid name" });
      const person = personOf(payload.identity);
      if (person === undefined) return error({ reason: "invalid identity" });
      const messages = await this.#recentMessages();
      // Checked after the read, right before the claim: no await between them, so that the check and the
      // claim run in one go and two joins on this node cannot both take a free name.
      const holder = nameTakenFrom(presence.list(topic), name, person);
      if (holder !== undefined) return error({ reason: "name_taken", name: holder });
      this.assigns.name = name;
      // Who is here: tracked under the display name, one meta per tab. Other nodes learn of the claim at
      // their next presence merge (within `broadcastPeriodMs`); two people who take one free name on two
      // nodes within that window both get in, and the page lists them apart (by `person`).
      const node = this.endpoint.pubsub.nodeName;
      presence.track(this, name, { online_at: Date.now(), node, ...(person === null ? {} : { person }) });
      this.send(AFTER_JOIN);
      // Which node serves this client (the page shows it), and the last messages (none when the history
      // cannot be read: the page then keeps what it shows).
      return ok({ node, ...(messages === null ? {} : { messages: messages.map((m) => ({ ...m })) }) });
    }

    /**
     * The room's last messages, read in the join: the read also marks where this client's catch-up starts,
     * so a message broadcast after it reaches the client as a new_msg, once, and one broadcast before it is
     * in the reply. A rejoin whose `since` is too old still continues without a gap. `null` when the
     * history cannot be read (with Redis, while Redis is away): the join goes on without it.
     */
    async #recentMessages(): Promise<ChatMessage[] | null> {
      try {
        const history = await this.history({ limit: RECENT_MESSAGES });
        return history.messages.flatMap(({ event, payload }) => (event === "new_msg" && isChatMessage(payload) ? [payload] : []));
      } catch (err) {
        if (err instanceof PubSubError && err.code === PubSubErrorCode.HISTORY_UNAVAILABLE) return null;
        throw err;
      }
    }

    override handleInfo(message: unknown) {
      if (message !== AFTER_JOIN) return;
      // The room's presences pushed after every join and rejoin, as the client's Presence expects.
      this.push("presence_state", presence.list(this.topic));
    }

    override handleIn(event: string, payload: Payload) {
      if (event !== "new_msg") return reply("error", { reason: `unknown event "${event}"` });
      const body = (payload as JsonObject).body;
      if (typeof body !== "string" || body.trim().length === 0) return reply("error", { reason: "empty message" });
      if ([...body].length > MAX_BODY_LENGTH) return reply("error", { reason: `message longer than ${MAX_BODY_LENGTH} characters` });
      this.broadcast("new_msg", { ...newMessage(this.assigns.name, body) });
      return reply("ok");
    }
  };
}

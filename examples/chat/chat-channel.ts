/**
 * The chat room channel: `room:<anything>`. Joining needs a display name; `new_msg` pushes are checked,
 * acknowledged, and broadcast to everyone in the room (the sender included) with the name and a timestamp.
 */
import { Channel, error, ok, reply, type JsonObject, type Payload } from "../../src/index.js";

/** Longest accepted display name, in characters. */
export const MAX_NAME_LENGTH = 32;
/** Longest accepted message body, in characters. */
export const MAX_BODY_LENGTH = 2000;

/** One chat message as broadcast to the room. */
export interface ChatMessage {
  readonly name: string;
  readonly body: string;
  readonly at: number;
}

/** Serves one chat room to one client. */
export class ChatChannel extends Channel<{ name: string }> {
  override join(_topic: string, payload: JsonObject) {
    const name = typeof payload.name === "string" ? payload.name.trim() : "";
    if (name.length < 1 || [...name].length > MAX_NAME_LENGTH) return error({ reason: "invalid name" });
    this.assigns.name = name;
    return ok();
  }

  override handleIn(event: string, payload: Payload) {
    if (event !== "new_msg") return reply("error", { reason: `unknown event "${event}"` });
    const body = (payload as JsonObject).body;
    if (typeof body !== "string" || body.trim().length === 0) return reply("error", { reason: "empty message" });
    if ([...body].length > MAX_BODY_LENGTH) return reply("error", { reason: `message longer than ${MAX_BODY_LENGTH} characters` });
    const message: ChatMessage = { name: this.assigns.name, body, at: Date.now() };
    this.broadcast("new_msg", { ...message });
    return reply("ok");
  }
}

/**
 * The {{pascal}} channel, serving `{{pattern}}`: `join` decides who may join, `handleIn` answers what
 * clients push. Each joined client runs it in its own process.
 */
import { Channel, ok, reply, type JsonObject, type Payload } from "fenix";

export class {{pascal}}Channel extends Channel {
  override join(_topic: string, _params: JsonObject) {
    // Authorize here: return error({ reason: "unauthorized" }) to refuse.
    return ok();
  }

  override handleIn(event: string, payload: Payload) {
    switch (event) {
      // A reply to this client only.
      case "ping":
        return reply("ok", payload);
      // To everyone who joined this topic, on every node.
      case "shout":
        this.broadcast("shout", payload);
        return reply("ok");
      default:
        return reply("error", { reason: `unknown event "${event}"` });
    }
  }
}

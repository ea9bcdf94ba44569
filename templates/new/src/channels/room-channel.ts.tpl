/**
 * The room channel: anyone may join `room:<anything>` with a name; `new_msg` is broadcast to everyone in
 * the room, `ping` is answered. Each joined client runs this in its own process: a crash ends only that
 * client's channel, which rejoins.
{{#if mqtt}}
 * MQTT clients take part too, through `roomMqtt` (bridged in endpoint.ts): the topic `room/<name>` is
 * the room `room:<name>`.
{{/if}}
 */
import { Channel, error, ok, reply, type JsonObject, type Payload } from "fenix";
{{#if mqtt}}
import type { MqttBridgeRoute } from "fenix/mqtt";
{{/if}}
import type { UserAssigns } from "../user-socket.js";

/** Longest name, and longest message body, in characters. */
export const MAX_NAME = 40;
export const MAX_BODY = 2000;

interface RoomAssigns extends UserAssigns {
  name: string;
}

export class RoomChannel extends Channel<RoomAssigns> {
  override join(_topic: string, params: JsonObject) {
    const name = typeof params.name === "string" ? params.name.trim() : "";
    if (name === "" || [...name].length > MAX_NAME) return error({ reason: `a name of 1 to ${MAX_NAME} characters is required` });
    this.assigns.name = name;
    return ok({ name });
  }

  override handleIn(event: string, payload: Payload) {
    if (payload instanceof Uint8Array) return reply("error", { reason: "binary payloads are not accepted here" });
    switch (event) {
      case "ping":
        return reply("ok", { pong: payload.at ?? null });
      case "new_msg": {
        const body = typeof payload.body === "string" ? payload.body.trim() : "";
        if (body === "" || [...body].length > MAX_BODY) return reply("error", { reason: `a message of 1 to ${MAX_BODY} characters is required` });
        this.broadcast("new_msg", { name: this.assigns.name, body, at: Date.now() });
        return reply("ok");
      }
      default:
        return reply("error", { reason: `unknown event "${event}"` });
    }
  }
}
{{#if mqtt}}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * How an MQTT client takes part in a room (`enableMqtt`'s `bridge` for `room:*`): its username is its
 * name (its client id without one); a PUBLISH to `room/<name>` is a `new_msg` whose UTF-8 text is the
 * body, checked by `handleIn` like any other (other bytes are refused); a subscriber of `room/<name>`
 * receives every `new_msg` as the JSON `{"name", "body", "at"}`, and no other event.
 */
export const roomMqtt = {
  join: (client) => ({ name: client.username ?? client.clientId }),
  inbound: ({ payload }) => {
    try {
      return { event: "new_msg", payload: { body: utf8.decode(payload) } };
    } catch {
      return null;
    }
  },
  outbound: ["new_msg"],
} satisfies MqttBridgeRoute;
{{/if}}

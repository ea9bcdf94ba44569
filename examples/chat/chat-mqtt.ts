/**
 * The chat's MQTT bridge: how an MQTT client takes part in a room. Its username is its display name
 * (the client id without one); a PUBLISH to `room/<name>` is a chat message whose UTF-8 payload is the
 * body, checked by the channel like any other; and a subscriber of `room/<name>` receives every chat
 * message as the JSON `{"name", "body", "at"}`.
 */
import type { MqttBridgeRoute } from "../../src/mqtt/index.js";
import { isChatMessage } from "./chat-message.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bridge options of the `room:*` route. */
export const chatMqttBridge: MqttBridgeRoute = {
  join: (client) => ({ name: client.username ?? client.clientId }),
  inbound: (message) => {
    let body: string;
    try {
      body = utf8.decode(message.payload);
    } catch {
      return null;
    }
    return { event: "new_msg", payload: { body } };
  },
  outbound: (event, payload) => (event === "new_msg" && isChatMessage(payload) ? { name: payload.name, body: payload.body, at: payload.at } : null),
};

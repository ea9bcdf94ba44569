/**
 * The endpoint of {{appName}}: the HTTP server, the sockets it mounts, and the processes it supervises.
 * `src/server.ts` starts it; `npx fenix routes` lists what it serves. Generators (`npx fenix gen …`)
 * add lines at the `// fenix:…` markers; keep them.
{{#if mqtt}}
 * MQTT clients reach the same rooms as browsers: `enableMqtt` bridges `room/<name>` to the `room:*`
 * channel (see `roomMqtt` in channels/room-channel.ts).
{{/if}}
 */
import { fileURLToPath } from "node:url";
import { Endpoint, consoleLogger, type ChildSpec, type EndpointOptions } from "fenix";
{{#if mqtt}}
import { enableMqtt } from "fenix/mqtt";
import { roomMqtt } from "./channels/room-channel.js";
{{/if}}
import { pubsub } from "./pubsub.js";
import { UserSocket } from "./user-socket.js";
// fenix:imports

/**
 * The processes the endpoint supervises, started in this order before sockets accept connections:
 * the PubSub first, then your own (room servers, presence trackers, caches).
 */
export const children: readonly ChildSpec[] = [
  pubsub.childSpec(),
  // fenix:children
];

{{#if mqtt}}
/** Where MQTT clients connect over TCP (MQTT over WebSocket is always at `/mqtt` on the endpoint's port). */
export interface MqttListen {
  /** The TCP port; `0` picks a free one. @defaultValue 1883 */
  port?: number;
  /** The interface it binds. @defaultValue every interface */
  host?: string;
}

/**
 * Creates the endpoint, not yet started; `options` override the defaults (port, logger…), `mqtt` says
 * where MQTT clients connect. Nothing listens before `endpoint.start()` (MQTT included).
 */
export function createEndpoint(options: EndpointOptions = {}, mqtt: MqttListen = {}): Endpoint {
{{/if}}
{{#unless mqtt}}
/** Creates the endpoint, not yet started; `options` override the defaults (port, logger…). */
export function createEndpoint(options: EndpointOptions = {}): Endpoint {
{{/unless}}
  const endpoint = new Endpoint({
    pubsub,
    children,
    staticDir: fileURLToPath(new URL("../public", import.meta.url)),
    logger: consoleLogger("info"),
    ...options,
  });
  endpoint.socket("/socket", UserSocket, { longpoll: true });
  // fenix:sockets
{{#if mqtt}}
  enableMqtt(endpoint, {
    port: mqtt.port ?? 1883,
    ...(mqtt.host !== undefined ? { host: mqtt.host } : {}),
    websocket: "/mqtt",
    socket: UserSocket,
    bridge: { "room:*": roomMqtt },
    unrouted: "refuse", // topics no route of UserSocket matches are refused, not served as a plain broker
  });
{{/if}}
  return endpoint;
}

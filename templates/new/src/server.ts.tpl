/**
 * Starts {{appName}}: `npm start` (or `npm run dev`, which restarts on changes) runs this file.
 * PORT chooses the port (default 4000), HOST the interface; SECRET_KEY_BASE (from `npx fenix gen secret`)
 * signs LongPoll sessions and must be the same on every node serving them. SIGINT and SIGTERM close every connection cleanly (clients
 * reconnect, to another node if there is one) before the process exits.
{{#if mqtt}}
 * MQTT_PORT chooses the MQTT TCP port (default 1883; 0 picks a free one); MQTT over WebSocket is at /mqtt.
{{/if}}
 */
import { createEndpoint } from "./endpoint.js";

const port = Number(process.env.PORT ?? 4000);
{{#if mqtt}}
const mqttPort = Number(process.env.MQTT_PORT || 1883);
if (!Number.isInteger(mqttPort) || mqttPort < 0 || mqttPort > 65535) {
  console.error(`MQTT_PORT must be a port number (0 to 65535); got ${process.env.MQTT_PORT}`);
  process.exit(1);
}
const host = process.env.HOST ? { host: process.env.HOST } : {};
const endpoint = createEndpoint(
  { port, ...host, ...(process.env.SECRET_KEY_BASE ? { secretKeyBase: process.env.SECRET_KEY_BASE } : {}) },
  { port: mqttPort, ...host },
);
{{/if}}
{{#unless mqtt}}
const endpoint = createEndpoint({
  port,
  ...(process.env.HOST ? { host: process.env.HOST } : {}),
  ...(process.env.SECRET_KEY_BASE ? { secretKeyBase: process.env.SECRET_KEY_BASE } : {}),
});
{{/unless}}
await endpoint.start();
console.log(`{{appName}} is listening on ${endpoint.url}`);
{{#if mqtt}}
const tcp = mqttPort === 0 ? "TCP on a free port (MQTT_PORT=0)" : `mqtt://${new URL(endpoint.url).hostname}:${mqttPort}`;
console.log(`MQTT clients connect to ${tcp} and ${endpoint.url.replace(/^http/, "ws")}/mqtt (username = name; topic room/lobby is the lobby)`);
{{/if}}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: closing connections`);
    void endpoint.stop().then(() => process.exit(0));
  });
}

/**
 * Fenix as a plain MQTT broker for the mqtt-fanout scenario: an endpoint with no sockets of its own and
 * `enableMqtt` listening on TCP 127.0.0.1, port `PORT` (0 picks one), with its default limits. Prints
 * `READY <port>` with the MQTT port once the endpoint (and with it the MQTT listener) has started.
 */
import { Endpoint, silentLogger } from "../../src/index.js";
import { enableMqtt } from "../../src/mqtt/index.js";
import { serveUntilSignalled } from "./lifecycle.js";

const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
const mqtt = enableMqtt(endpoint, { port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
await endpoint.start();
if (mqtt.port === null) throw new Error("enableMqtt started without a TCP listener");
serveUntilSignalled(mqtt.port, () => endpoint.stop());

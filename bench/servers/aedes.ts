/**
 * aedes as a plain MQTT broker for the mqtt-fanout scenario: its defaults (in-memory persistence and
 * mqemitter), TCP on 127.0.0.1, port `PORT` (0 picks one). Prints `READY <port>` once it accepts clients.
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";
import { serveUntilSignalled } from "./lifecycle.js";

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  serveUntilSignalled((server.address() as { port: number }).port, async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

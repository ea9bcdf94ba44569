/**
 * The Socket.IO server of the benchmarks, with the semantics of the others: rooms for topics, acks for
 * replies, websocket transport only. `join` acks "ok", `ping` acks its payload, `shout` emits to the
 * room. Server heartbeats are set far apart so that none falls inside a measurement (the others send none).
 */
import { createServer } from "node:http";
import { Server } from "socket.io";
import { serveUntilSignalled } from "./lifecycle.js";

const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false, pingInterval: 300_000, pingTimeout: 60_000 });

io.on("connection", (socket) => {
  socket.on("join", (topic: string, ack: (answer: string) => void) => {
    void socket.join(topic);
    ack("ok");
  });
  socket.on("ping", (payload: unknown, ack: (answer: unknown) => void) => ack(payload));
  socket.on("shout", (topic: string, payload: unknown) => {
    io.to(topic).emit("shout", payload);
  });
});

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  serveUntilSignalled((http.address() as { port: number }).port, () => new Promise<void>((resolve) => io.close(() => resolve())));
});

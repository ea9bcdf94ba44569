/**
 * The Socket.IO server of the benchmarks, with the semantics of the others: rooms for topics, acks for
 * replies, websocket transport only. `join` acks "ok", `ping` acks its payload, `shout` emits to the
 * room. Server heartbeats are set far apart so that none falls inside a measurement (the others send none).
 * With `REDIS_URL` it is one node of several linked by `@socket.io/redis-adapter` (key `REDIS_PREFIX`).
 */
import { createServer } from "node:http";
import { createClient } from "@redis/client";
import { createAdapter } from "@socket.io/redis-adapter";
import { Server, type ServerOptions } from "socket.io";
import { broadcastOnSignal, serveUntilSignalled } from "./lifecycle.js";

/** The Redis adapter, with its two connections (publisher, subscriber) open; none without REDIS_URL. */
async function redisLink(): Promise<{ adapter: ServerOptions["adapter"]; close(): void } | null> {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === "") return null;
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on("error", (error: Error) => process.stderr.write(`socket.io redis client: ${error.message}\n`));
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    adapter: createAdapter(pub, sub, { key: process.env.REDIS_PREFIX ?? "socket.io" }),
    close: () => [pub, sub].forEach((client) => client.destroy()),
  };
}

const link = await redisLink();
const http = createServer();
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  pingInterval: 300_000,
  pingTimeout: 60_000,
  ...(link === null ? {} : { adapter: link.adapter }),
});

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

// The scale scenarios' trigger: one emit per scale topic's room.
broadcastOnSignal((topic, payload) => io.to(topic).emit("shout", payload));

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const stop = () => new Promise<void>((resolve) => io.close(() => resolve())).finally(() => link?.close());
  serveUntilSignalled((http.address() as { port: number }).port, stop);
});

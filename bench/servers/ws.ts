/**
 * The raw `ws` server of the benchmarks: the practical floor of a Node WebSocket server. It speaks just
 * enough of the Phoenix V2 JSON protocol for the scenarios (join, leave, heartbeat, `ping` answered with
 * its payload, `shout` broadcast to the topic) and encodes each broadcast once, writing the same string
 * to every subscriber. No processes, no isolation, no limits.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { broadcastOnSignal, serveUntilSignalled } from "./lifecycle.js";

type Frame = [string | null, string | null, string, string, unknown];

const topics = new Map<string, Set<WebSocket>>();

function replyFrame(joinRef: string | null, ref: string | null, topic: string, response: unknown): string {
  return JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response }]);
}

function leave(ws: WebSocket, topic: string): void {
  const subscribers = topics.get(topic);
  if (subscribers === undefined) return;
  subscribers.delete(ws);
  if (subscribers.size === 0) topics.delete(topic);
}

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  path: "/socket/websocket",
  perMessageDeflate: false,
  clientTracking: false,
});

wss.on("connection", (ws) => {
  const joined = new Set<string>();
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const [joinRef, ref, topic, event, payload] = JSON.parse(data.toString()) as Frame;
    switch (event) {
      case "phx_join": {
        let subscribers = topics.get(topic);
        if (subscribers === undefined) topics.set(topic, (subscribers = new Set()));
        subscribers.add(ws);
        joined.add(topic);
        ws.send(replyFrame(joinRef, ref, topic, {}));
        break;
      }
      case "phx_leave":
        leave(ws, topic);
        joined.delete(topic);
        ws.send(replyFrame(joinRef, ref, topic, {}));
        break;
      case "heartbeat":
      case "ping":
        ws.send(replyFrame(joinRef, ref, topic, event === "ping" ? payload : {}));
        break;
      case "shout": {
        const frame = JSON.stringify([null, null, topic, "shout", payload]);
        for (const subscriber of topics.get(topic) ?? []) subscriber.send(frame);
        break;
      }
    }
  });
  ws.on("close", () => {
    for (const topic of joined) leave(ws, topic);
  });
});

// The scale scenarios' trigger: one broadcast per scale topic, encoded once per topic like `shout`.
broadcastOnSignal((topic, payload) => {
  const frame = JSON.stringify([null, null, topic, "shout", payload]);
  for (const subscriber of topics.get(topic) ?? []) subscriber.send(frame);
});

wss.on("listening", () => {
  serveUntilSignalled((wss.address() as { port: number }).port, () => new Promise<void>((resolve) => wss.close(() => resolve())));
});

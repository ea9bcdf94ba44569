/**
 * An endpoint whose `feed:*` topics keep history, for the history and recovery tests: clients push `say`
 * (broadcast), `say_from` (broadcastFrom) and `secret` (intercepted; `hide: true` drops it in handleOut);
 * `seq:*` is the same with a history large enough for long sequences; `recent:*` joins answer with the newest kept messages read in `join`.
 */
import {
  Channel,
  Endpoint,
  ok,
  reply,
  silentLogger,
  Socket,
  type EndpointOptions,
  type HistoryOptions,
  type JsonObject,
  type Payload,
  type PubSub,
} from "../../src/index.js";

/** `feed:*`: every broadcast kept (size 100, one minute). */
export class FeedChannel extends Channel {
  static override intercept = ["secret"];

  override join() {
    return ok({ hello: true });
  }

  override handleIn(event: string, payload: Payload) {
    const p = payload as JsonObject;
    if (event === "say") this.broadcast("msg", p);
    else if (event === "say_from") this.broadcastFrom("msg", p);
    else if (event === "secret") this.broadcast("secret", p);
    return reply("ok");
  }

  override handleOut(event: string, payload: Payload) {
    if ((payload as JsonObject).hide === true) return;
    this.push(event, payload as JsonObject);
  }
}

/** `recent:*`: the join reply lists the newest kept messages (read in `join`). */
export class RecentChannel extends Channel {
  override async join(_topic: string, payload: JsonObject) {
    const { messages, position } = await this.history({ limit: 5 });
    // `pause` ms between the read and the join's end: broadcasts made then must still arrive, once.
    if (typeof payload.pause === "number") await new Promise((resolve) => setTimeout(resolve, payload.pause as number));
    return ok({ recent: messages.map((m) => m.payload), read: position });
  }
}

class HistorySocket extends Socket {
  static override channels = [
    ["feed:*", FeedChannel, { history: { size: 100, ttlMs: 60_000, maxRecovery: 50 } }],
    ["recent:*", RecentChannel, { history: { size: 100, ttlMs: 60_000 } }],
    ["seq:*", FeedChannel, { history: { size: 5_000, ttlMs: 60_000, maxRecovery: 5_000 } }],
    ["plain:*", FeedChannel],
  ] as const;
}

/** At `/lossy` (a small outbound budget): `lossy:*` drops the oldest queued broadcasts of a slow client. */
class LossySocket extends Socket {
  static override channels = [["lossy:*", FeedChannel, { slowConsumer: "dropOldest", history: { size: 10_000, ttlMs: 60_000, maxRecovery: 10_000 } }]] as const;
}

/** The outbound budget of `/lossy` connections (bytes). */
export const LOSSY_BUDGET = 64 * 1024;

/** A started history endpoint. */
export interface HistoryEndpoint {
  readonly endpoint: Endpoint;
  readonly websocketUrl: string;
  readonly socketUrl: string;
  /** The port it listens on. */
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a history endpoint on 127.0.0.1 port 0 (WebSocket and LongPoll at `/socket`). */
export async function startHistoryEndpoint(options: EndpointOptions & { pubsub?: PubSub } = {}): Promise<HistoryEndpoint> {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, ...options });
  endpoint.socket("/socket", HistorySocket, { longpoll: true });
  endpoint.socket("/lossy", LossySocket, { maxBufferedBytes: LOSSY_BUDGET });
  await endpoint.start();
  const base = endpoint.url.replace(/^http/, "ws");
  const port = Number(new URL(endpoint.url).port);
  return { endpoint, websocketUrl: `${base}/socket/websocket`, socketUrl: `${base}/socket`, port, stop: () => endpoint.stop() };
}

export type { HistoryOptions };

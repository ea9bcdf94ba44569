/**
 * A scripted server speaking the history wire of protocol V2 on a real `ws` server (port 0), for the
 * client's recovery tests while the real server side is written: topics with history number their
 * broadcasts (`ref` = `"<epoch>:<offset>"`), answer a join's `since` with `{recovered, position}` and the
 * missed messages, and answer `fenix_recover` the same way. Tests also script what the server does not do by
 * itself: skip a broadcast for one connection (a gap), send markers, resend duplicates, hold a recovery.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { parsePosition, type StreamPosition } from "../../../src/protocol/position.js";
import { V2JsonSerializer } from "../../../src/protocol/v2-json.js";

/** A V2 JSON message: `[join_ref, ref, topic, event, payload]`. */
export type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** One client connection as the server sees it. */
export interface Conn {
  readonly ws: WebSocket;
  /** The join ref of each joined topic. */
  readonly joins: Map<string, string>;
  /** Every frame the client sent, in order. */
  readonly received: Frame[];
}

interface Stream {
  epoch: string;
  /** The broadcasts still kept, oldest first; the first has offset `first`. */
  log: { event: string; payload: Record<string, unknown> }[];
  first: number;
}

/** The history wire's scripted server. */
export class HistoryServer {
  readonly conns: Conn[] = [];
  /** When true, `fenix_recover` pushes are recorded and answered only by {@link HistoryServer.answerRecover}. */
  holdRecover = false;
  /** Extra keys of every ok join reply (the application's own response). */
  joinReply: Record<string, unknown> = {};
  readonly #streams = new Map<string, Stream>();
  readonly #wss: WebSocketServer;
  readonly #connWaiters: (() => void)[] = [];

  private constructor(wss: WebSocketServer, historyTopics: readonly string[]) {
    this.#wss = wss;
    for (const topic of historyTopics) this.#streams.set(topic, { epoch: "e1", log: [], first: 1 });
    wss.on("connection", (ws) => {
      const conn: Conn = { ws, joins: new Map(), received: [] };
      this.conns.push(conn);
      ws.on("message", (data, isBinary) => {
        if (!isBinary) this.#receive(conn, JSON.parse(String(data)) as Frame);
      });
      for (const wake of this.#connWaiters.splice(0)) wake();
    });
  }

  /** Starts a server on a free port; `historyTopics` are the topics with history. */
  static async start(historyTopics: readonly string[]): Promise<HistoryServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    return new HistoryServer(wss, historyTopics);
  }

  /** The client socket endpoint. */
  get url(): string {
    const address = this.#wss.address();
    if (address === null || typeof address === "string") throw new Error("the server is not listening on a port");
    return `ws://127.0.0.1:${address.port}/socket`;
  }

  close(): Promise<void> {
    for (const conn of this.conns) conn.ws.terminate();
    return new Promise((resolve) => this.#wss.close(() => resolve()));
  }

  /** The stream position of `topic`: its epoch and the offset of its last broadcast. */
  head(topic: string): StreamPosition {
    const stream = this.#stream(topic);
    return { epoch: stream.epoch, offset: stream.first + stream.log.length - 1 };
  }

  /** Starts a new life of the stream (offsets start again at 1). */
  newEpoch(topic: string, epoch: string): void {
    this.#streams.set(topic, { epoch, log: [], first: 1 });
  }

  /** Forgets every broadcast of `topic` before offset `first`. */
  trim(topic: string, first: number): void {
    const stream = this.#stream(topic);
    stream.log = stream.log.slice(first - stream.first);
    stream.first = first;
  }

  /**
   * Broadcasts on `topic`: a history topic numbers it; every connection joined to the topic gets it, except
   * those in `skip` (which then see a gap, as a lost frame would make). Returns the position (null without history).
   */
  broadcast(topic: string, event: string, payload: Record<string, unknown>, skip: readonly Conn[] = []): StreamPosition | null {
    const stream = this.#streams.get(topic);
    stream?.log.push({ event, payload });
    const position = stream === undefined ? null : this.head(topic);
    // The server's own V2 serializer writes the position into the ref.
    const frame = V2JsonSerializer.encodeBroadcast({ topic, event, payload, ...(position === null ? {} : { position }) });
    for (const conn of this.conns) {
      if (conn.joins.has(topic) && !skip.includes(conn)) conn.ws.send(frame);
    }
    return position;
  }

  /** Sends a raw frame. */
  send(conn: Conn, frame: Frame): void {
    conn.ws.send(JSON.stringify(frame));
  }

  /** Sends raw bytes (a V2 binary frame). */
  sendBinary(conn: Conn, bytes: Uint8Array): void {
    conn.ws.send(bytes, { binary: true });
  }

  /** Resolves once `n` connections have been made. */
  async connections(n: number): Promise<Conn> {
    while (this.conns.length < n) await new Promise<void>((resolve) => this.#connWaiters.push(resolve));
    return this.conns[n - 1]!;
  }

  /** The frames of `event` that `conn` sent. */
  frames(conn: Conn, event: string): Frame[] {
    return conn.received.filter((frame) => frame[3] === event);
  }

  /** Answers a `fenix_recover` push: ok `{recovered, position}`, then the missed messages in order. */
  answerRecover(conn: Conn, frame: Frame): void {
    const [joinRef, ref, topic] = frame;
    this.#answerSince(conn, joinRef, ref, topic, frame[4]["since"], {});
  }

  #receive(conn: Conn, frame: Frame): void {
    conn.received.push(frame);
    const [joinRef, ref, topic, event, payload] = frame;
    switch (event) {
      case "heartbeat":
        this.send(conn, [null, ref, topic, "phx_reply", { status: "ok", response: {} }]);
        return;
      case "phx_join":
        conn.joins.set(topic, joinRef!);
        if (this.#streams.has(topic)) this.#answerSince(conn, joinRef, ref, topic, payload["since"], this.joinReply);
        else this.send(conn, [joinRef, ref, topic, "phx_reply", { status: "ok", response: this.joinReply }]);
        return;
      case "phx_leave":
        conn.joins.delete(topic);
        this.send(conn, [joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]);
        return;
      case "fenix_recover":
        if (!this.holdRecover) this.answerRecover(conn, frame);
        return;
      default:
        this.send(conn, [joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]);
    }
  }

  /** The reply `{recovered, position}` to a `since`, then the messages after it when they are all kept. */
  #answerSince(conn: Conn, joinRef: string | null, ref: string | null, topic: string, since: unknown, extra: Record<string, unknown>): void {
    const stream = this.#stream(topic);
    const head = this.head(topic);
    const from = parsePosition(since);
    const recovered = from !== null && from.epoch === stream.epoch && from.offset >= stream.first - 1 && from.offset <= head.offset;
    this.send(conn, [joinRef, ref, topic, "phx_reply", { status: "ok", response: { ...extra, recovered, position: { epoch: head.epoch, offset: head.offset } } }]);
    if (!recovered) return;
    for (let offset = from.offset + 1; offset <= head.offset; offset++) {
      const { event, payload } = stream.log[offset - stream.first]!;
      this.send(conn, [null, `${stream.epoch}:${offset}`, topic, event, payload]);
    }
  }

  #stream(topic: string): Stream {
    const stream = this.#streams.get(topic);
    if (stream === undefined) throw new Error(`${topic} has no history`);
    return stream;
  }
}

/**
 * The socket and channels the fenix/testing suites test: a room channel with every kind of answer
 * (replies, late replies, binary, broadcasts, intercepts, ticks, crashes, stops, slow I/O), a socket that
 * authenticates by token, and a presence app built on a PubSub it is given.
 */
import {
  Channel,
  Presence,
  Socket,
  error,
  noReply,
  ok,
  reply,
  stop,
  type ChannelRoute,
  type ConnectInfo,
  type ExitReason,
  type JsonObject,
  type Params,
  type Payload,
  type PubSub,
  type SocketRef,
  type TimerHandle,
} from "../../../src/index.js";

/** What every channel's `terminate` received, by topic, across tests (cleared by each test that reads it). */
export const terminated: Array<{ topic: string; reason: ExitReason }> = [];

const realDelay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type RoomAssigns = { user: string };

/** The events of RoomChannel, for typed tests. */
export interface RoomEvents {
  join: { reply: { topic: string; user: string } };
  pushes: {
    ping: { payload: { at?: number }; reply: { pong: number | null } };
    shout: { payload: { text: string }; reply: Record<string, never> };
  };
  events: {
    welcome: { user: string };
    tick: { n: number };
    shout: { text: string; user: string; mine: boolean };
  };
}

export class RoomChannel extends Channel<RoomAssigns> {
  static override intercept = ["shout"];
  #ticks = 0;
  #timer: TimerHandle | undefined;

  override join(topic: string, payload: JsonObject) {
    if (topic === "room:secret") return error({ reason: "unauthorized" });
    if (topic === "room:crash") throw new Error("join boom");
    if (payload.ticks === true) this.#timer = this.sendAfter("tick", 1_000);
    this.send("after_join");
    return ok({ topic, user: this.assigns.user });
  }

  override handleInfo(message: unknown) {
    if (message === "after_join") {
      this.push("welcome", { user: this.assigns.user });
    } else if (message === "tick") {
      this.push("tick", { n: ++this.#ticks });
      this.#timer = this.sendAfter("tick", 1_000);
    } else if (typeof message === "object" && message !== null && (message as { type?: unknown }).type === "answer") {
      const { ref, value } = message as { ref: SocketRef; value: number };
      ref.reply("ok", { answer: value });
    }
  }

  override async handleIn(event: string, payload: Payload) {
    switch (event) {
      case "ping":
        return reply("ok", { pong: payload instanceof Uint8Array ? null : ((payload.at as number | undefined) ?? null) });
      case "shout":
        this.broadcast("shout", { ...(payload as JsonObject), user: this.assigns.user });
        return reply("ok");
      case "others":
        this.broadcastFrom("others", payload);
        return reply("ok");
      case "bytes":
        if (!(payload instanceof Uint8Array)) return reply("error", { reason: "expected bytes" });
        this.push("bytes", Uint8Array.from(payload).reverse());
        return reply("ok", Uint8Array.of(payload.byteLength));
      case "later": {
        const ref = this.socketRef();
        this.sendAfter({ type: "answer", ref, value: 42 }, 500);
        return noReply();
      }
      case "silent":
        return noReply();
      case "slow":
        await realDelay(20);
        return reply("ok", { slow: true });
      case "boom":
        throw new Error("boom");
      case "bye":
        return stop("normal", { status: "ok", response: { bye: this.assigns.user } });
      default:
        return reply("error", { reason: `unknown event ${event}` });
    }
  }

  override handleOut(event: string, payload: Payload) {
    if (payload instanceof Uint8Array) return this.push(event, payload);
    this.push(event, { ...payload, mine: payload.user === this.assigns.user });
  }

  override terminate(reason: ExitReason) {
    if (this.#timer !== undefined) this.endpoint.runtime.cancelTimer(this.#timer);
    terminated.push({ topic: this.topic, reason });
  }
}

export class UserSocket extends Socket<RoomAssigns> {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];

  override connect(params: Params, info: ConnectInfo) {
    if (params.token === "crash") throw new Error("connect boom");
    const token = info.authToken ?? params.token;
    if (typeof token !== "string" || !token.endsWith("-token")) return false;
    this.assigns.user = token.slice(0, -"-token".length);
    return true;
  }

  override id() {
    return this.assigns.user === "anonymous" ? null : `user_socket:${this.assigns.user}`;
  }
}

/** A presence app on `pubsub`: channels track their user after the join and push the state. */
export function presenceApp(pubsub: PubSub) {
  const presence = new Presence(pubsub);

  class LobbyChannel extends Channel<RoomAssigns> {
    override join() {
      this.send("after_join");
      return ok();
    }

    override handleInfo(message: unknown) {
      if (message !== "after_join") return;
      presence.track(this, this.assigns.user, { online_at: 1 });
      this.push("presence_state", presence.list(this.topic));
    }

    override handleIn(event: string) {
      if (event === "away") {
        presence.update(this, this.assigns.user, { online_at: 1, away: true });
        return reply("ok");
      }
      return reply("error", { reason: "unknown event" });
    }
  }

  class LobbySocket extends Socket<RoomAssigns> {
    static override channels: readonly ChannelRoute[] = [["lobby:*", LobbyChannel]];
  }

  return { presence, LobbySocket };
}

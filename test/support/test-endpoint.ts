/**
 * A test endpoint with channels that exercise every server behaviour (replies with any status, stop,
 * crash, async replies, intercepts, binary, slow joins), started on 127.0.0.1 port 0 and reachable over
 * WebSocket and LongPoll.
 */
import {
  Channel,
  Endpoint,
  error,
  noReply,
  ok,
  reply,
  silentLogger,
  Socket,
  stop,
  type ChannelRoute,
  type ConnectInfo,
  type EndpointOptions,
  type JsonObject,
  type Params,
  type Payload,
  type SocketOptions,
} from "../../src/index.js";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `echo:*` — one handler per behaviour, selected by event name. */
export class EchoChannel extends Channel<{ user?: string; params?: Params }> {
  override join(topic: string, payload: JsonObject) {
    if (payload.after_join === true) this.send({ afterJoin: true });
    return ok({ joined: topic, user: this.assigns.user ?? null });
  }

  override async handleIn(event: string, payload: Payload) {
    const p = payload as JsonObject;
    switch (event) {
      case "ping":
        return reply("ok", payload);
      case "status":
        return reply(String(p.status), (p.response ?? {}) as JsonObject);
      case "noreply":
        return noReply();
      case "stop":
        return stop(p.reason === "shutdown" ? "shutdown" : p.reason === "normal" ? "normal" : String(p.reason));
      case "stop_reply":
        return stop("normal", { status: "ok", response: { bye: true } });
      case "crash":
        throw new Error("boom (test crash)");
      case "broadcast":
        this.broadcast(String(p.event), (p.payload ?? {}) as JsonObject);
        return reply("ok");
      case "broadcast_from":
        this.broadcastFrom(String(p.event), (p.payload ?? {}) as JsonObject);
        return reply("ok");
      case "push":
        this.push(String(p.event), (p.payload ?? {}) as JsonObject);
        return reply("ok");
      case "async_reply": {
        const ref = this.socketRef();
        setTimeout(() => ref.reply("ok", { later: true }), Number(p.ms ?? 20));
        return noReply();
      }
      case "binary":
        // Answers bytes with the bytes reversed, and pushes and broadcasts them too.
        if (payload instanceof Uint8Array) {
          const reversed = Uint8Array.from(payload).reverse();
          this.push("binary_push", reversed);
          this.broadcast("binary_broadcast", reversed);
          return reply("ok", reversed);
        }
        return reply("error", { reason: "expected bytes" });
      case "slow":
        await delay(Number(p.ms ?? 100));
        return reply("ok", { slept: p.ms ?? 100 });
      case "connect_params":
        // The socket's connect params as the server parsed them (nested by bracket syntax).
        return reply("ok", { params: { ...this.assigns.params } });
      case "disconnect_me":
        this.endpoint.broadcast(String(p.id), "disconnect", {});
        return reply("ok");
      default:
        return reply("error", { reason: `unknown event ${event}` });
    }
  }

  override handleInfo(message: unknown) {
    if ((message as { afterJoin?: boolean }).afterJoin === true) this.push("welcome", { topic: this.topic });
  }
}

/** `auth:*` — refuses joins without `{token: "secret"}`. */
export class AuthChannel extends Channel {
  override join(_topic: string, payload: JsonObject) {
    return payload.token === "secret" ? ok() : error({ reason: "unauthorized" });
  }
}

/** `crashy:*` — its join throws. */
export class CrashyChannel extends Channel {
  override join(): never {
    throw new Error("join exploded (test)");
  }
}

/** `slow:*` — its join takes `payload.ms` milliseconds. */
export class SlowJoinChannel extends Channel {
  override async join(_topic: string, payload: JsonObject) {
    await delay(Number(payload.ms ?? 500));
    return ok({ slow: true });
  }
  override handleIn(event: string, payload: Payload) {
    return reply("ok", { event, payload: payload as JsonObject });
  }
}

/** `intercept:*` — intercepts `shout`: adds `intercepted: true`, or drops it when `drop` is set. */
export class InterceptChannel extends Channel {
  static override intercept = ["shout"];
  override join() {
    return ok();
  }
  override handleIn(event: string, payload: Payload) {
    this.broadcast(event, payload);
    return reply("ok");
  }
  override handleOut(event: string, payload: Payload) {
    const p = payload as JsonObject;
    if (p.drop === true) return;
    this.push(event, { ...p, intercepted: true });
  }
}

/**
 * Connects unless `token=bad`; `user` becomes the socket id `user_socket:<user>`; every param is kept in
 * `assigns.params` (echoed by the `connect_params` event). With `authToken` enabled, the token must be
 * `good-token`.
 */
export class TestSocket extends Socket<{ user?: string; authToken?: string; params?: Params }> {
  static override channels: readonly ChannelRoute[] = [
    ["echo:*", EchoChannel],
    ["auth:*", AuthChannel],
    ["crashy:*", CrashyChannel],
    ["slow:*", SlowJoinChannel],
    ["intercept:*", InterceptChannel],
  ];

  override connect(params: Params, info: ConnectInfo) {
    if (params.token === "bad") return false;
    if (info.authToken !== undefined) {
      if (info.authToken !== "good-token") return false;
      this.assigns.authToken = info.authToken;
    }
    if (typeof params.user === "string") this.assigns.user = params.user;
    this.assigns.params = params;
    return true;
  }

  override id() {
    return this.assigns.user !== undefined ? `user_socket:${this.assigns.user}` : null;
  }
}

/** A started test endpoint and its URLs. */
export interface TestEndpoint {
  readonly endpoint: Endpoint;
  /** `http://127.0.0.1:<port>` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:<port>/socket` — the endpoint URL the official client takes (over either transport). */
  readonly socketUrl: string;
  /** `ws://127.0.0.1:<port>/socket/websocket` — for raw clients. */
  readonly websocketUrl: string;
  stop(): Promise<void>;
}

/**
 * LongPoll settings of the test mounts unless a test passes its own `longpoll`: a 1 s poll window keeps a
 * parked GET short, so a session whose client went away ends soon.
 */
export const TEST_LONGPOLL = { windowMs: 1_000 } as const;

/**
 * Starts a test endpoint on 127.0.0.1 port 0 with {@link TestSocket} at `/socket` (and an authToken mount at
 * `/auth`). Both mounts serve WebSocket and LongPoll ({@link TEST_LONGPOLL} unless `socketOptions.longpoll`
 * says otherwise).
 */
export async function startTestEndpoint(
  options: EndpointOptions = {},
  socketOptions: SocketOptions = {},
): Promise<TestEndpoint> {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, ...options });
  const mountOptions: SocketOptions = { longpoll: TEST_LONGPOLL, ...socketOptions };
  endpoint.socket("/socket", TestSocket, mountOptions);
  endpoint.socket("/auth", TestSocket, { ...mountOptions, authToken: true });
  await endpoint.start();
  const httpUrl = endpoint.url;
  const wsBase = httpUrl.replace(/^http/, "ws");
  return {
    endpoint,
    httpUrl,
    socketUrl: `${wsBase}/socket`,
    websocketUrl: `${wsBase}/socket/websocket`,
    stop: () => endpoint.stop(),
  };
}

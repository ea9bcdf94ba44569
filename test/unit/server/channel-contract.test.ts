// One channel contract, both ends: the same TypeScript type checks a server Channel (join params and
// reply, handleIn payloads narrowed by event, ok replies, pushes and broadcasts, handleOut) and a
// fenix/client channel (pushes, replies, received events, the join reply). The `@ts-expect-error` lines
// must stay errors (checked by `npm run typecheck`); the last test runs the contract over a real socket.
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  Channel,
  Endpoint,
  ok,
  reply,
  silentLogger,
  Socket,
  type ChannelRoute,
  type HandleInResult,
  type JoinResult,
  type Payload,
  type PushArgs,
  type ServerEventArgs,
} from "../../../src/index.js";
import { Socket as ClientSocket } from "../../../src/client/index.js";

interface ChatMessage {
  name: string;
  body: string;
}

/** Declared once, used by the server channel below and by the client in the last test. */
interface RoomContract {
  join: { params: { name: string }; reply: { history: ChatMessage[] } };
  pushes: {
    new_msg: { payload: { body: string }; reply: { id: number } };
    upload: { payload: Uint8Array; reply: { bytes: number } };
  };
  events: { new_msg: ChatMessage; typing: { name: string } };
}

class RoomChannel extends Channel<{ name: string; count: number }, RoomContract> {
  static override intercept = ["typing"];

  override join(_topic: string, params: { name: string }) {
    expectTypeOf(params).toEqualTypeOf<{ name: string }>();
    this.assigns.name = params.name;
    this.assigns.count = 0;
    return ok({ history: [{ name: "server", body: `welcome ${params.name}` }] });
  }

  override handleIn(...[event, payload]: PushArgs<RoomContract>) {
    if (event === "new_msg") {
      expectTypeOf(payload).toEqualTypeOf<{ body: string }>();
      this.broadcast("new_msg", { name: this.assigns.name, body: payload.body });
      return reply("ok", { id: ++this.assigns.count });
    }
    // The only other event is the binary one.
    expectTypeOf(payload).toEqualTypeOf<Uint8Array>();
    if (payload.byteLength > 1024) return reply("error", { reason: "too big" });
    return reply("ok", { bytes: payload.byteLength });
  }

  override handleOut(...[event, payload]: ServerEventArgs<RoomContract>) {
    if (event === "typing") this.push("typing", { name: payload.name.toUpperCase() });
  }
}

class RoomSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];
}

describe("a typed channel on the server", () => {
  it("checks join params, the join reply, pushed events, their payloads and replies", () => {
    class Checks extends Channel<object, RoomContract> {
      override join(_topic: string, params: { name: string }): JoinResult<{ history: ChatMessage[] }> {
        if (params.name === "") {
          // @ts-expect-error the join reply lacks history
          return ok({});
        }
        // @ts-expect-error a typed join reply must be given: nothing is an empty reply
        if (params.name === "x") return;
        return ok({ history: [] });
      }

      override handleIn(...[event, payload]: PushArgs<RoomContract>): HandleInResult<{ id: number } | { bytes: number }> {
        // @ts-expect-error not an event of the contract
        if (event === "nope") return;
        if (event === "new_msg") {
          // @ts-expect-error body is a string
          const n: number = payload.body;
          void n;
          // @ts-expect-error the reply field is id, not ids
          return reply("ok", { ids: 1 });
        }
        return reply("error", { anything: "goes with a status other than ok" });
      }

      check(): void {
        this.push("new_msg", { name: "a", body: "b" });
        // @ts-expect-error not a server event of the contract
        this.push("new_mesage", { name: "a", body: "b" });
        // @ts-expect-error wrong payload field
        this.broadcast("typing", { nme: "a" });
        // @ts-expect-error wrong payload type
        this.broadcastFrom("new_msg", { name: "a", body: 1 });
      }
    }
    expectTypeOf<Checks["handleIn"]>().parameters.toEqualTypeOf<[event: "new_msg", payload: { body: string }] | [event: "upload", payload: Uint8Array]>();
  });

  it("leaves untyped channels as they were: any event, any payload", () => {
    class Untyped extends Channel {
      override join(_topic: string, params: unknown) {
        void params;
      }
      override handleIn(event: string, payload: Payload) {
        this.push(event, payload);
        this.broadcast("anything", { at: 1 });
        return reply("ok", { echoed: event });
      }
    }
    class Socket2 extends Socket {
      static override channels: readonly ChannelRoute[] = [["u:*", Untyped], ["room:*", RoomChannel]];
    }
    expect(Socket2.channels).toHaveLength(2);
  });
});

const endpoints: Endpoint[] = [];
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

describe("the same contract on both ends", () => {
  it("the client is checked against it and talks to the typed server channel", async () => {
    const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoint.socket("/socket", RoomSocket);
    await endpoint.start();
    endpoints.push(endpoint);

    const socket = new ClientSocket(`${endpoint.url.replace(/^http/, "ws")}/socket`);
    clients.push(socket);
    socket.connect();
    const room = socket.channel<RoomContract>("room:lobby", { name: "ada" });
    const messages: ChatMessage[] = [];
    room.on("new_msg", (message) => {
      expectTypeOf(message).toEqualTypeOf<ChatMessage>();
      messages.push(message);
    });
    const joined = await room.join();
    expectTypeOf(joined).toEqualTypeOf<{ history: ChatMessage[] }>();
    expect(joined).toEqual({ history: [{ name: "server", body: "welcome ada" }] });

    const sent = await room.push("new_msg", { body: "hello" });
    expectTypeOf(sent).toEqualTypeOf<{ id: number }>();
    expect(sent).toEqual({ id: 1 });
    expect(await room.push("upload", new Uint8Array([1, 2, 3]))).toEqual({ bytes: 3 });
    await expect.poll(() => messages).toEqual([{ name: "ada", body: "hello" }]);

    // @ts-expect-error wrong payload field on the client too
    void room.push("new_msg", { text: "hello" }).catch(() => {});
    // @ts-expect-error the join params are checked on the client too
    socket.channel<RoomContract>("room:other", { nam: "ada" });
  });
});

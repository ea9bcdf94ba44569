// Compile-time checks of typed channels (run by `npm run typecheck`): pushes, their payload and reply
// types, and received events are checked against the channel's event map; an untyped channel accepts any
// event. The `@ts-expect-error` lines must stay errors.
import { describe, expectTypeOf, it } from "vitest";
import { Socket, type Channel, type ServerPayload } from "../../../src/client/index.js";

// The example, `reply: {}` included.
interface ChatEvents {
  pushes: {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    new_msg: { payload: { body: string }; reply: {} };
    typing: { payload: { on: boolean }; reply: { count: number } };
  };
  events: { new_msg: { name: string; body: string; at: number } };
  join: { reply: { history: string[] } };
}

// Never connected: these tests only build values to check their types.
const socket = new Socket("ws://localhost/socket");

describe("typed channels", () => {
  it("check push names, payloads and replies", () => {
    const room = socket.channel<ChatEvents>("room:lobby");
    expectTypeOf(room).toEqualTypeOf<Channel<ChatEvents>>();
    expectTypeOf(room.push<"new_msg">).parameter(1).toEqualTypeOf<{ body: string }>();
    expectTypeOf(room.push("typing", { on: true })).resolves.toEqualTypeOf<{ count: number }>();
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    expectTypeOf(room.push("new_msg", { body: "hi" })).resolves.toEqualTypeOf<{}>();
    expectTypeOf(room.join()).resolves.toEqualTypeOf<{ history: string[] }>();
    // @ts-expect-error unknown push event
    void room.push("nope", {});
    // @ts-expect-error wrong payload type
    void room.push("new_msg", { body: 1 });
    // @ts-expect-error missing payload field
    void room.push("typing", {});
  });

  it("check received events", () => {
    const room = socket.channel<ChatEvents>("room:lobby");
    room.on("new_msg", (msg) => {
      expectTypeOf(msg).toEqualTypeOf<{ name: string; body: string; at: number }>();
    });
    // @ts-expect-error an event the map does not declare
    room.on("other", () => {});
    // @ts-expect-error a callback that expects another payload
    room.on("new_msg", (msg: { id: number }) => void msg);
  });

  it("accept any event on an untyped channel", () => {
    const any = socket.channel("room:any");
    expectTypeOf(any.push("whatever", { x: 1 })).resolves.toEqualTypeOf<ServerPayload>();
    expectTypeOf(any.push("bytes", new Uint8Array(1))).resolves.toEqualTypeOf<ServerPayload>();
    expectTypeOf(any.join()).resolves.toEqualTypeOf<ServerPayload>();
    any.on("anything", (payload) => expectTypeOf(payload).toEqualTypeOf<ServerPayload>());
    // @ts-expect-error payloads are objects or bytes
    void any.push("x", "a string");
  });
});

// The typed-events example of docs/client.md, checked by the compiler (npm run typecheck): a join reply,
// push payloads and replies, and server events are typed from one event map; misuse does not compile.
import { describe, expectTypeOf, it } from "vitest";
import { Socket } from "../../../src/client/index.js";

interface ChatEvents {
  join: { reply: { history: string[] } };
  pushes: { new_msg: { payload: { body: string }; reply: Record<string, never> } };
  events: { new_msg: { name: string; body: string; at: number } };
}

describe("docs/client.md typed events", () => {
  it("types join, push and on from the event map", () => {
    const socket = new Socket("ws://127.0.0.1:1/socket");
    const room = socket.channel<ChatEvents>("room:lobby", { name: "ada" });
    expectTypeOf(room.join).returns.resolves.toEqualTypeOf<{ history: string[] }>();
    expectTypeOf(room.push<"new_msg">).parameter(1).toEqualTypeOf<{ body: string }>();
    // @ts-expect-error -- no `text` in the payload
    void (() => room.push("new_msg", { text: "hi" }));
    // @ts-expect-error -- unknown event
    void (() => room.push("typo", {}));
    room.on("new_msg", (msg) => expectTypeOf(msg).toEqualTypeOf<{ name: string; body: string; at: number }>());
  });
});

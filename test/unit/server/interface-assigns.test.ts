/**
 * Assigns declared as interfaces (which have no index signature) are accepted wherever a socket or
 * channel class is: in channel routes, in `endpoint.socket`, in `channelTest`. `npm run typecheck`
 * compiles this file, so a regression is a type error; the test checks the assigns reach the channel.
 */
import { describe, expect, it } from "vitest";
import { Channel, Endpoint, Socket, ok, reply, type ChannelRoute, type JsonObject } from "../../../src/index.js";
import { channelTest } from "../../../src/testing/index.js";

interface UserAssigns {
  user: string;
}
interface RoomAssigns extends UserAssigns {
  room: string;
}

class RoomChannel extends Channel<RoomAssigns> {
  override join(topic: string, _payload: JsonObject) {
    this.assigns.room = topic;
    return ok({ user: this.assigns.user });
  }
  override handleIn() {
    return reply("ok", { user: this.assigns.user, room: this.assigns.room });
  }
}

class UserSocket extends Socket<UserAssigns> {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];
  override connect() {
    this.assigns.user = "ada";
    return true;
  }
}

describe("assigns declared as interfaces", () => {
  it("type-check in routes and mounts, and the socket's assigns reach the channel", async () => {
    new Endpoint({ port: 0 }).socket("/socket", UserSocket);
    const kit = await channelTest(UserSocket);
    try {
      const room = await (await kit.connect()).join("room:1");
      expect(room.joinResponse).toEqual({ user: "ada" });
      await room.push("who").assertReply("ok", { user: "ada", room: "room:1" });
    } finally {
      await kit.stop();
    }
  });
});

/**
 * The channel test kit on routes with history: broadcasts are kept and numbered as on an endpoint, a
 * join with `since` recovers what was missed, and `channel.history()` reads the stream.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Channel, ok, Socket, type ChannelRoute, type JsonObject } from "../../../src/index.js";
import { channelTest } from "../../../src/testing/index.js";

class NewsChannel extends Channel {
  static override history = { size: 10, ttlMs: 60_000 };

  override async join(_topic: string, payload: JsonObject) {
    if (payload.recent !== true) return ok({});
    const { messages } = await this.history({ limit: 2 });
    return ok({ recent: messages.map((m) => m.payload) });
  }
}

class NewsSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["news:*", NewsChannel]];
}

const stops: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const test of stops.splice(0)) await test.stop();
});

describe("channelTest: history", () => {
  it("recovers what a client missed when it rejoins with since, and reads the history in join", async () => {
    const test = await channelTest(NewsSocket);
    stops.push(test);
    const socket = await test.socketFor();
    const first = await socket.join("news:1");
    const { position } = first.joinResponse as { position: { epoch: string; offset: number } };
    expect(first.joinResponse).toEqual({ recovered: false, position: { epoch: position.epoch, offset: 0 } });
    test.broadcast("news:1", "story", { n: 1 });
    await first.assertPush("story", { n: 1 });
    await first.leave();
    test.broadcast("news:1", "story", { n: 2 });
    test.broadcast("news:1", "story", { n: 3 });

    const again = await socket.join("news:1", { since: `${position.epoch}:1` });
    expect(again.joinResponse).toEqual({ recovered: true, position: { epoch: position.epoch, offset: 3 } });
    await again.assertPush("story", { n: 2 });
    await again.assertPush("story", { n: 3 });

    const other = await (await test.socketFor()).join("news:1", { recent: true });
    expect(other.joinResponse).toMatchObject({ recent: [{ n: 2 }, { n: 3 }], recovered: false });
  });
});

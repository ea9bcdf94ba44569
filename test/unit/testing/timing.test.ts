import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Channel, GenServer, Socket, noReply, ok, reply, type ChannelRoute, type Payload, type Pid } from "../../../src/index.js";
import { runtimeOf } from "../../../src/runtime/index.js";
import { TestingError, TestingErrorCode, channelTest, type ChannelTest } from "../../../src/testing/index.js";
import { UserSocket } from "./fixtures.js";

let test: ChannelTest<UserSocket>;

beforeEach(async () => {
  test = await channelTest(UserSocket);
});

afterEach(async () => {
  await test.stop();
});

async function failure(promise: Promise<unknown>): Promise<TestingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TestingError) return error;
    throw error;
  }
  throw new Error("expected the assertion to fail");
}

describe("channelTest on the virtual clock", () => {
  it("fires sendAfter ticks when the test advances the clock, and not before they are due", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1", { ticks: true });
    await room.assertPush("welcome");
    await room.refutePush("tick", undefined, { withinMs: 999 });
    expect(test.clock.now()).toBe(999);
    await test.advance(1);
    await room.assertPush("tick", { n: 1 });
    await test.advance(3_000);
    await room.assertPush("tick", { n: 2 });
    await room.assertPush("tick", { n: 3 });
    await room.assertPush("tick", { n: 4 });
    await room.refutePush("tick");
  });

  it("moves the clock within an assertion's window to the timer that brings the push", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1", { ticks: true });
    await room.assertPush("tick", { n: 1 }, { timeoutMs: 1_000 });
    expect(test.clock.now()).toBe(1_000);
    await room.assertPush("tick", { n: 3 }, { timeoutMs: 2_000 });
    expect(test.clock.now()).toBe(3_000);
    await room.assertPush("tick", { n: 2 });
  });

  it("takes no real time to refute over a long virtual window", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const started = Date.now();
    await room.refutePush("tick", undefined, { withinMs: 3_600_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(test.clock.now()).toBe(3_600_000);
  });

  it("waits in real time for a channel awaiting real I/O", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    await room.push("slow").assertReply("ok", { slow: true });
    const push = room.push("slow");
    await room.refutePush("never");
    // The refute waited for the slow handler before it concluded.
    expect(await push).toEqual({ status: "ok", response: { slow: true } });
  });

  it("does not deadlock on a process awaiting a timer of the virtual clock", async () => {
    class Sleeper extends Channel {
      override join() {
        return ok();
      }
      override async handleIn(_event: string, payload: Payload) {
        const ms = (payload as { ms: number }).ms;
        await new Promise<void>((resolve) => this.endpoint.runtime.clock.setTimeout(resolve, ms));
        return reply("ok", { slept: ms });
      }
    }
    class SleepSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["sleep", Sleeper]];
    }
    const sleepy = await channelTest(SleepSocket);
    try {
      const channel = await (await sleepy.connect()).join("sleep");
      await channel.push("nap", { ms: 300 }).assertReply("ok", { slept: 300 });
      expect(sleepy.clock.now()).toBe(300);
    } finally {
      await sleepy.stop();
    }
  });

  it("waits for GenServer calls made by a channel", async () => {
    class Counter extends GenServer {
      #n = 0;
      override handleCall() {
        return ++this.#n;
      }
    }
    let counter: Pid | undefined;
    class CountChannel extends Channel {
      override join() {
        return ok();
      }
      override async handleIn() {
        return reply("ok", { n: await GenServer.call<number>(counter!, "inc") });
      }
    }
    class CountSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["count", CountChannel]];
    }
    const counting = await channelTest(CountSocket, {
      children: [{ id: "counter", start: async (parent: Pid) => (counter = await GenServer.startLink(Counter, undefined, parent, { runtime: runtimeOf(parent) })) }],
    });
    try {
      const channel = await (await counting.connect()).join("count");
      await channel.push("inc").assertReply("ok", { n: 1 });
      await channel.push("inc").assertReply("ok", { n: 2 });
    } finally {
      await counting.stop();
    }
  });

  it("fails clearly when a process stays busy beyond ioTimeoutMs", async () => {
    class Stuck extends Channel {
      override join() {
        return ok();
      }
      override handleIn() {
        return new Promise<never>(() => {});
      }
    }
    class StuckSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["stuck", Stuck]];
    }
    const stuck = await channelTest(StuckSocket, { timeouts: { ioTimeoutMs: 50 } });
    try {
      const channel = await (await stuck.connect()).join("stuck");
      const error = await failure(channel.push("wait").reply());
      expect(error.code).toBe(TestingErrorCode.PROCESS_BUSY);
      expect(error.message).toMatch(/^After 50 ms of real time \(ioTimeoutMs\), process <nonode\.\d+> \(channel "stuck" of Stuck, awaiting a promise\) is still awaiting a promise\./);
    } finally {
      await stuck.stop();
    }
  });
});

describe("channelTest failure messages", () => {
  it("says what push was expected and lists what arrived instead, with why same-event pushes did not match", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    test.broadcast("room:1", "score", { n: 1 });
    const error = await failure(room.assertPush("score", { n: 2 }));
    expect(error.code).toBe(TestingErrorCode.PUSH_NOT_RECEIVED);
    expect(error.message).toBe(
      'Expected a push "score" matching {"n":2} on "room:1" within 100 ms of virtual time; none arrived.\n' +
        'Received on "room:1" and not yet asserted (2):\n' +
        '  "welcome" {"user":"ada"}\n' +
        '  "score" {"n":1}  (at .n: expected 2, got 1)',
    );
  });

  it("names the push that a refute did not expect", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const error = await failure(room.refutePush("welcome"));
    expect(error.code).toBe(TestingErrorCode.UNEXPECTED_PUSH);
    expect(error.message).toBe('Expected no push "welcome" on "room:1" within 100 ms of virtual time, but one arrived: "welcome" {"user":"ada"}.');
  });

  it("says why a reply did not come", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    await room.assertPush("welcome");
    const error = await failure(room.push("boom").reply({ timeoutMs: 20 }));
    expect(error.code).toBe(TestingErrorCode.NO_REPLY);
    expect(error.message).toBe(
      'Expected a reply to push "boom" (ref 2) within 20 ms of virtual time; none arrived.\n' +
        "The channel is crashed. The socket is open.\n" +
        'Received on "room:1" and not yet asserted (1):\n' +
        '  "phx_error" {"reason":"channel_crash"}',
    );
  });

  it("lists the broadcasts seen when one is missing", async () => {
    const news = test.subscribe("news");
    test.broadcast("news", "a", { bytes: Uint8Array.of(1, 255) });
    const error = await failure(news.assertBroadcast("b"));
    expect(error.code).toBe(TestingErrorCode.BROADCAST_NOT_RECEIVED);
    expect(error.message).toBe(
      'Expected a broadcast "b" on topic "news" within 100 ms of virtual time; none arrived.\n' +
        'Received on topic "news" and not yet asserted (1):\n' +
        '  "a" {"bytes":<2 bytes: 01 ff>}',
    );
  });
});

describe("channelTest and work outside processes", () => {
  it("still sees a reply sent through a socket ref from a promise no handler awaits", async () => {
    class Lookup extends Channel {
      override join() {
        return ok();
      }
      override handleIn() {
        const ref = this.socketRef();
        setTimeout(() => ref.reply("ok", { found: true }), 10);
        return noReply();
      }
    }
    class LookupSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["lookup", Lookup]];
    }
    const lookup = await channelTest(LookupSocket);
    try {
      const channel = await (await lookup.connect()).join("lookup");
      await channel.push("find").assertReply("ok", { found: true });
    } finally {
      await lookup.stop();
    }
  });
});

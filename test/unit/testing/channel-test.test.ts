import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isShutdownReason } from "../../../src/runtime/index.js";
import {
  ConnectRefusedError,
  JoinRefusedError,
  TestingErrorCode,
  channelTest,
  type ChannelTest,
  type TestingError,
} from "../../../src/testing/index.js";
import { terminated, UserSocket, type RoomEvents } from "./fixtures.js";

let test: ChannelTest<UserSocket>;

beforeEach(async () => {
  terminated.length = 0;
  test = await channelTest(UserSocket);
});

afterEach(async () => {
  await test.stop();
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("channelTest: connecting", () => {
  it("runs the socket's connect with the params as strings, and its id", async () => {
    const socket = await test.connect({ token: "ada-token", page: 2 });
    expect(socket.socket.assigns.user).toBe("ada");
    expect(socket.id).toBe("user_socket:ada");
    expect(socket.open).toBe(true);
  });

  it("passes the auth token and other connect info to connect", async () => {
    const socket = await test.connect({}, { authToken: "bob-token" });
    expect(socket.socket.assigns.user).toBe("bob");
  });

  it("rejects a refused connect with a ConnectRefusedError of status 403, and logs it as the endpoint does", async () => {
    const refused = await test.connect({ token: "nope" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectRefusedError);
    expect((refused as ConnectRefusedError).status).toBe(403);
    expect((refused as ConnectRefusedError).code).toBe(TestingErrorCode.CONNECT_REFUSED);
    expect(test.logs.some((line) => line.level === "info" && line.message.includes("refused connection"))).toBe(true);
  });

  it("rejects a connect that throws with status 500 and reports the client error", async () => {
    const refused = (await test.connect({ token: "crash" }).catch((error: unknown) => error)) as ConnectRefusedError;
    expect(refused.status).toBe(500);
    expect((refused.cause as Error).message).toBe("connect boom");
    expect(test.clientErrors.map((e) => e.error.code)).toEqual(["FENIX_ERR_SERVER_CONNECT_CRASHED"]);
    expect(test.logs.filter((line) => line.level === "error").map((line) => line.message)).toEqual(["connect of UserSocket threw"]);
  });

  it("connects without running connect with socketFor", async () => {
    const socket = await test.socketFor({ user: "eve" }, "user_socket:eve");
    expect(socket.socket.assigns).toEqual({ user: "eve" });
    const room = await socket.join("room:1");
    expect(room.joinResponse).toEqual({ topic: "room:1", user: "eve" });
  });
});

describe("channelTest: joining", () => {
  it("joins and receives the join response and the push sent right after the join", async () => {
    const socket = await test.connect({ token: "ada-token" });
    const room = await socket.join("room:lobby");
    expect(room.joinResponse).toEqual({ topic: "room:lobby", user: "ada" });
    expect(room.state).toBe("joined");
    expect(room.channel.assigns).toEqual({ user: "ada" });
    expect(await room.assertPush("welcome", { user: "ada" })).toEqual({ user: "ada" });
  });

  it("rejects a refused join with a JoinRefusedError holding the response", async () => {
    const socket = await test.connect({ token: "ada-token" });
    const refused = (await socket.join("room:secret").catch((error: unknown) => error)) as JoinRefusedError;
    expect(refused).toBeInstanceOf(JoinRefusedError);
    expect(refused.code).toBe(TestingErrorCode.JOIN_REFUSED);
    expect(refused.response).toEqual({ reason: "unauthorized" });
    expect(refused.message).toContain('Expected to join "room:secret"');
  });

  it("returns the refusal from tryJoin without throwing: crashed joins and unmatched topics too", async () => {
    const socket = await test.connect({ token: "ada-token" });
    expect(await socket.tryJoin("room:secret")).toEqual({ status: "error", response: { reason: "unauthorized" } });
    expect(await socket.tryJoin("room:crash")).toEqual({ status: "error", response: { reason: "join crashed" } });
    expect(await socket.tryJoin("nowhere")).toEqual({ status: "error", response: { reason: "unmatched topic" } });
    const joined = await socket.tryJoin("room:ok");
    expect(joined.status).toBe("ok");
    expect(joined.channel?.topic).toBe("room:ok");
    expect(test.logs.some((line) => line.message === "join of room:crash crashed")).toBe(true);
  });

  it("closes the earlier incarnation when the same topic is joined again on the socket", async () => {
    const socket = await test.connect({ token: "ada-token" });
    const first = await socket.join("room:1");
    const second = await socket.join("room:1");
    expect(second.joinRef).not.toBe(first.joinRef);
    await first.assertClose();
    await second.push("ping", { at: 1 }).assertReply("ok", { pong: 1 });
    await second.refutePush("phx_close");
    expect(terminated).toEqual([{ topic: "room:1", reason: { shutdown: "duplicate_join" } }]);
  });

  it("refuses joins beyond maxChannels", async () => {
    const small = await channelTest(UserSocket, { maxChannels: 1 });
    try {
      const socket = await small.connect({ token: "ada-token" });
      await socket.join("room:1");
      expect(await socket.tryJoin("room:2")).toEqual({ status: "error", response: { reason: "too many channels joined" } });
    } finally {
      await small.stop();
    }
  });
});

describe("channelTest: pushes and replies", () => {
  it("awaits a push for its reply, and asserts on it", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    expect(await room.push("ping", { at: 7 })).toEqual({ status: "ok", response: { pong: 7 } });
    expect(await room.push("ping", { at: 8 }).assertReply("ok", { pong: 8 })).toEqual({ pong: 8 });
    await room.push("nope").assertReply("error", { reason: "unknown event nope" });
  });

  it("waits for a reply given later through a socket ref, moving the virtual clock", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const before = test.clock.now();
    await room.push("later").assertReply("ok", { answer: 42 });
    expect(test.clock.now() - before).toBe(500);
  });

  it("refutes a reply to a push answered with noReply", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const push = room.push("silent");
    await push.refuteReply();
    expect(await codeOf(push.reply({ timeoutMs: 50 }))).toBe(TestingErrorCode.NO_REPLY);
  });

  it("fails assertReply on another status with REPLY_MISMATCH, naming both", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const failure = (await room.push("ping", { at: 1 }).assertReply("ok", { pong: 2 }).catch((e: unknown) => e)) as TestingError;
    expect(failure.code).toBe(TestingErrorCode.REPLY_MISMATCH);
    expect(failure.message).toBe('Expected the reply to push "ping" (ref 2) to be "ok" matching {"pong":2}; it was "ok" {"pong":1} (at .pong: expected 2, got 1).');
  });

  it("is typed by an event map", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join<RoomEvents>("room:1");
    const response = await room.push("ping", { at: 3 }).assertReply("ok");
    const pong: number | null = response.pong;
    expect(pong).toBe(3);
    const welcome = await room.assertPush("welcome");
    const user: string = welcome.user;
    expect(user).toBe("ada");
    // @ts-expect-error -- "pong" is not an event the client pushes in RoomEvents
    void (() => room.push("pong"));
  });
});

describe("channelTest: binary payloads", () => {
  it("pushes bytes in a binary frame and receives bytes in binary pushes and replies", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    const reply = await room.push("bytes", Uint8Array.of(1, 2, 3));
    expect(reply.status).toBe("ok");
    expect(reply.response).toEqual(Uint8Array.of(3));
    expect(await room.assertPush("bytes", Uint8Array.of(3, 2, 1))).toEqual(Uint8Array.of(3, 2, 1));
    await room.push("bytes", Uint8Array.of(9).buffer).assertReply("ok", Uint8Array.of(1));
  });

  it("carries binary broadcasts to the client and to the topic's subscribers", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    test.broadcast("room:1", "blob", Uint8Array.of(7, 7));
    await room.assertBroadcast("blob", Uint8Array.of(7, 7));
    await room.assertPush("blob", Uint8Array.of(7, 7));
  });
});

describe("channelTest: broadcasts", () => {
  it("sees broadcasts on the topic, intercepted ones rewritten per client by handleOut", async () => {
    const ada = await (await test.connect({ token: "ada-token" })).join("room:1");
    const bob = await (await test.connect({ token: "bob-token" })).join("room:1");
    await ada.push("shout", { text: "hi" }).assertReply("ok");
    await ada.assertBroadcast("shout", { text: "hi", user: "ada" });
    await bob.assertBroadcast("shout", { text: "hi", user: "ada" });
    await ada.assertPush("shout", { text: "hi", mine: true });
    await bob.assertPush("shout", { text: "hi", mine: false });
    await ada.refuteBroadcast("shout");
  });

  it("skips the sender with broadcastFrom, from the channel or from the test", async () => {
    const ada = await (await test.connect({ token: "ada-token" })).join("room:1");
    const bob = await (await test.connect({ token: "bob-token" })).join("room:1");
    await ada.push("others", { n: 1 }).assertReply("ok");
    await bob.assertPush("others", { n: 1 });
    await ada.refutePush("others");
    bob.broadcastFrom("from_bob", { n: 2 });
    await ada.assertPush("from_bob", { n: 2 });
    await bob.refutePush("from_bob");
  });

  it("subscribes to a topic no test client joined", async () => {
    const news = test.subscribe("news");
    test.broadcast("news", "headline", { title: "t" });
    expect(await news.assertBroadcast("headline", (payload) => !(payload instanceof Uint8Array) && payload.title === "t")).toEqual({ title: "t" });
    await news.refuteBroadcast("headline");
  });
});

describe("channelTest: ending channels and sockets", () => {
  it("receives phx_close when the channel stops normally, after the stop's reply", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    await room.push("bye").assertReply("ok", { bye: "ada" });
    expect(await room.assertClose()).toEqual({});
    expect(room.state).toBe("closed");
  });

  it("receives phx_error when the channel crashes; the socket and its other channels carry on", async () => {
    const socket = await test.connect({ token: "ada-token" });
    const room = await socket.join("room:1");
    const other = await socket.join("room:2");
    await room.push("boom").refuteReply();
    expect(await room.assertCrash()).toEqual({ reason: "channel_crash" });
    expect(room.state).toBe("crashed");
    await other.push("ping", { at: 1 }).assertReply("ok");
    expect(test.logs.some((line) => line.level === "error" && line.message === "channel room:1 crashed")).toBe(true);
  });

  it("leaves a topic: the reply, then phx_close, and terminate gets {shutdown: left}", async () => {
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    expect(await room.leave()).toEqual({ status: "ok", response: {} });
    await room.assertClose();
    expect(terminated).toEqual([{ topic: "room:1", reason: { shutdown: "left" } }]);
  });

  it("ends the channels when the client goes away", async () => {
    const socket = await test.connect({ token: "ada-token" });
    const room = await socket.join("room:1");
    await socket.close();
    expect(socket.open).toBe(false);
    expect(room.state).toBe("disconnected");
    expect(terminated).toEqual([{ topic: "room:1", reason: { shutdown: "closed" } }]);
    expect(await codeOf(Promise.resolve().then(() => room.push("ping")))).toBe(TestingErrorCode.BAD_STATE);
  });

  it("closes the sockets of an id with 1001 on disconnect", async () => {
    const ada = await test.connect({ token: "ada-token" });
    const bob = await test.connect({ token: "bob-token" });
    test.disconnect("user_socket:ada");
    expect(await ada.assertClosed(1001)).toEqual({ code: 1001, reason: "disconnected" });
    expect(bob.closed).toBeNull();
    expect(await codeOf(bob.assertClosed(undefined, { timeoutMs: 10 }))).toBe(TestingErrorCode.SOCKET_NOT_CLOSED);
  });

  it("closes every socket with 1012 when the test stops, and stop is idempotent", async () => {
    const socket = await test.connect({ token: "ada-token" });
    await socket.join("room:1");
    await Promise.all([test.stop(), test.stop()]);
    expect(socket.closed?.code).toBe(1012);
    expect(terminated.map((t) => isShutdownReason(t.reason))).toEqual([true]);
    expect(await codeOf(test.connect({ token: "ada-token" }))).toBe(TestingErrorCode.BAD_STATE);
  });

  it("closes an idle socket when idleTimeoutMs is set", async () => {
    const idle = await channelTest(UserSocket, { idleTimeoutMs: 10_000 });
    try {
      const socket = await idle.connect({ token: "ada-token" });
      await idle.advance(9_000);
      expect(socket.closed).toBeNull();
      await idle.advance(4_000);
      expect((await socket.assertClosed(1001)).reason).toBe("FENIX_ERR_SERVER_IDLE_TIMEOUT");
      expect(idle.clientErrors.map((e) => e.error.code)).toEqual(["FENIX_ERR_SERVER_IDLE_TIMEOUT"]);
    } finally {
      await idle.stop();
    }
  });
});

describe("channelTest: options", () => {
  it("runs in real time on a clock option of realClock", async () => {
    const { realClock } = await import("../../../src/index.js");
    const real = await channelTest(UserSocket, { clock: realClock });
    try {
      expect(real.virtual).toBe(false);
      const room = await (await real.connect({ token: "ada-token" })).join("room:1");
      await room.push("ping", { at: 1 }).assertReply("ok", { pong: 1 });
    } finally {
      await real.stop();
    }
  });

  it("refuses conflicting options and bad windows", async () => {
    const { PubSub, Runtime, VirtualClock } = await import("../../../src/index.js");
    const pubsub = new PubSub({ runtime: new Runtime() });
    expect(await codeOf(channelTest(UserSocket, { pubsub, runtime: new Runtime() }))).toBe(TestingErrorCode.BAD_ARGUMENT);
    expect(await codeOf(channelTest(UserSocket, { pubsub, clock: new VirtualClock() }))).toBe(TestingErrorCode.BAD_ARGUMENT);
    expect(await codeOf(channelTest(UserSocket, { timeouts: { assertTimeoutMs: -1 } }))).toBe(TestingErrorCode.BAD_ARGUMENT);
    const room = await (await test.connect({ token: "ada-token" })).join("room:1");
    expect(await codeOf(room.assertPush("welcome", undefined, { timeoutMs: Number.NaN }))).toBe(TestingErrorCode.BAD_ARGUMENT);
  });
});

// fenix-client channels against a real Fenix endpoint: joins (ok, refused, timeout), pushes (ok, error
// reply, timeout, unknown event, buffered before the join), broadcasts, binary payloads both ways,
// crash → automatic rejoin, leave, and no unhandled rejections.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClientError, ClientErrorCode, type Channel, type ClientMessage, type Socket } from "../../../src/client/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { FAST, Recorder, advanceBackoff, channel, clock, closeAll, connectSocket, createSocket, nextJoin, nextTurn, until } from "./helpers.js";

let server: TestEndpoint;
let socket: Socket;

beforeEach(async () => {
  server = await startTestEndpoint();
  socket = await connectSocket(server.socketUrl, { params: { user: "ana" } });
});

afterEach(async () => {
  await closeAll();
  await server.stop();
});

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ClientError);
  return error as ClientError;
}

describe("join", () => {
  it("resolves with the join reply's response and moves to joined", async () => {
    const ch = channel(socket, "echo:a");
    expect(ch.state).toBe("closed");
    const joining = ch.join();
    expect(ch.state).toBe("joining");
    expect(await joining).toEqual({ joined: "echo:a", user: "ana" });
    expect(ch.state).toBe("joined");
    expect(ch.joinRef()).toMatch(/^\d+$/);
  });

  it("re-reads a params function on every join", async () => {
    let n = 0;
    const ch = channel(socket, "auth:x", () => ({ token: ++n === 1 ? "nope" : "secret" }));
    const refused = await rejection(ch.join());
    expect(refused.code).toBe(ClientErrorCode.JOIN_REFUSED);
    await expect(ch.join()).resolves.toEqual({});
  });

  it("rejects a refused join with JOIN_REFUSED carrying the server's response, and closes the channel", async () => {
    const ch = channel(socket, "auth:x", { token: "wrong" });
    const errors = new Recorder<ClientError>();
    const closes = new Recorder<void>();
    ch.onError(errors.record);
    ch.onClose(closes.record);
    const error = await rejection(ch.join());
    expect(error.code).toBe(ClientErrorCode.JOIN_REFUSED);
    expect(error.status).toBe("error");
    expect(error.response).toEqual({ reason: "unauthorized" });
    expect(error.topic).toBe("auth:x");
    expect(ch.state).toBe("closed");
    expect(errors.values.map((e) => e.code)).toEqual([ClientErrorCode.JOIN_REFUSED]);
    expect(closes.values).toHaveLength(1);
  });

  it("reports a join that crashes on the server and an unmatched topic as JOIN_REFUSED", async () => {
    expect((await rejection(channel(socket, "crashy:1").join())).response).toEqual({ reason: "join crashed" });
    expect((await rejection(channel(socket, "nowhere:1").join())).response).toEqual({ reason: "unmatched topic" });
  });

  it("rejects with JOIN_TIMEOUT, then rejoins by itself", async () => {
    // The first join takes 150 ms against a 100 ms timeout, which runs out at once on the client's clock;
    // the retry, after the rejoin backoff, gets a fast join.
    let attempt = 0;
    const ch = channel(socket, "slow:t", () => ({ ms: ++attempt === 1 ? 150 : 10 }));
    const rejoined = nextJoin(ch);
    const joining = ch.join(100);
    clock.advance(100);
    const error = await rejection(joining);
    expect(error.code).toBe(ClientErrorCode.JOIN_TIMEOUT);
    expect(["errored", "joining"]).toContain(ch.state);
    await advanceBackoff();
    expect(attempt).toBe(2);
    expect(await rejoined).toEqual({ slow: true });
    expect(ch.state).toBe("joined");
  });

  it("refuses a second join() while joining or joined with BAD_STATE", async () => {
    const ch = channel(socket, "echo:twice");
    const first = ch.join();
    expect((await rejection(ch.join())).code).toBe(ClientErrorCode.BAD_STATE);
    await first;
    expect((await rejection(ch.join())).code).toBe(ClientErrorCode.BAD_STATE);
  });
});

describe("push", () => {
  let ch: Channel;
  beforeEach(async () => {
    ch = channel(socket, "echo:p");
    await ch.join();
  });

  it("resolves with the ok reply's response", async () => {
    await expect(ch.push("ping", { n: 1 })).resolves.toEqual({ n: 1 });
  });

  it("rejects an error reply with PUSH_ERROR carrying status and response; custom statuses too", async () => {
    const error = await rejection(ch.push("status", { status: "error", response: { reason: "nope" } }));
    expect(error).toMatchObject({ code: ClientErrorCode.PUSH_ERROR, status: "error", response: { reason: "nope" }, event: "status", topic: "echo:p" });
    const custom = await rejection(ch.push("status", { status: "created", response: { id: 7 } }));
    expect(custom).toMatchObject({ code: ClientErrorCode.PUSH_ERROR, status: "created", response: { id: 7 } });
  });

  it("rejects an unknown event with the server's error reply", async () => {
    const error = await rejection(ch.push("what", {}));
    expect(error.code).toBe(ClientErrorCode.PUSH_ERROR);
    expect(error.response).toEqual({ reason: "unknown event what" });
  });

  it("rejects with PUSH_TIMEOUT when no reply comes, and ignores a late one", async () => {
    const replies = new Recorder<ClientMessage>();
    socket.onMessage((message) => {
      if (message.topic === "echo:p" && message.event === "phx_reply") replies.record(message);
    });
    const noReply = ch.push("noreply", {}, { timeout: 50 });
    clock.advance(50);
    const error = await rejection(noReply);
    expect(error.code).toBe(ClientErrorCode.PUSH_TIMEOUT);
    // The server answers after 150 ms; the client gives up after 50 ms of its clock, before that.
    const slow = ch.push("slow", { ms: 150 }, { timeout: 50 });
    clock.advance(50);
    const late = await rejection(slow);
    expect(late.code).toBe(ClientErrorCode.PUSH_TIMEOUT);
    // The late reply arrives and is ignored.
    expect((await replies.waitFor(1))[0]?.payload).toEqual({ status: "ok", response: { slept: 150 } });
    await expect(ch.push("ping", { after: true })).resolves.toEqual({ after: true });
  });

  it("rejects bad arguments and pushes on a channel never joined or left", async () => {
    expect((await rejection(ch.push("", {}))).code).toBe(ClientErrorCode.BAD_ARGUMENT);
    expect((await rejection(ch.push("ping", [] as never))).code).toBe(ClientErrorCode.BAD_ARGUMENT);
    expect((await rejection(ch.push("ping", {}, { timeout: -1 }))).code).toBe(ClientErrorCode.BAD_ARGUMENT);
    expect((await rejection(channel(socket, "echo:never").push("ping", {}))).code).toBe(ClientErrorCode.BAD_STATE);
    await ch.leave();
    expect(ch.state).toBe("closed");
    expect((await rejection(ch.push("ping", {}))).code).toBe(ClientErrorCode.CHANNEL_CLOSED);
  });

  it("buffers pushes made before the join completes and sends them after it, in order", async () => {
    const slow = channel(socket, "slow:buffer", { ms: 100 });
    const joining = slow.join();
    const replies = [slow.push("a", { n: 1 }), slow.push("b", { n: 2 })];
    await joining;
    await expect(Promise.all(replies)).resolves.toEqual([
      { event: "a", payload: { n: 1 } },
      { event: "b", payload: { n: 2 } },
    ]);
  });

  it("receives broadcasts and server pushes with on(), and stops after off()", async () => {
    const news = new Recorder<unknown>();
    const ref = ch.on("news", news.record);
    await ch.push("broadcast", { event: "news", payload: { n: 1 } });
    await ch.push("push", { event: "news", payload: { n: 2 } });
    expect(await news.waitFor(2)).toEqual([{ n: 1 }, { n: 2 }]);
    ch.off(ref);
    await ch.push("broadcast", { event: "news", payload: { n: 3 } });
    await ch.push("ping", {});
    expect(news.values).toHaveLength(2);
  });

  it("sends bytes as a binary frame and receives binary replies, pushes and broadcasts", async () => {
    const pushed = new Recorder<unknown>();
    const broadcast = new Recorder<unknown>();
    ch.on("binary_push", pushed.record);
    ch.on("binary_broadcast", broadcast.record);
    const reply = await ch.push("binary", new Uint8Array([1, 2, 3]));
    expect(reply).toBeInstanceOf(Uint8Array);
    expect([...(reply as Uint8Array)]).toEqual([3, 2, 1]);
    const fromBuffer = await ch.push("binary", new Uint8Array([9, 8]).buffer);
    expect([...(fromBuffer as Uint8Array)]).toEqual([8, 9]);
    await pushed.waitFor(2);
    await broadcast.waitFor(2);
    expect([...(pushed.values[0] as Uint8Array)]).toEqual([3, 2, 1]);
    expect([...(broadcast.values[1] as Uint8Array)]).toEqual([8, 9]);
  });
});

describe("crash and rejoin", () => {
  it("goes errored on phx_error, fails the pending push with CHANNEL_ERRORED, and rejoins with a new join ref", async () => {
    const ch = channel(socket, "echo:crash");
    await ch.join();
    const firstRef = ch.joinRef();
    const errors = new Recorder<ClientError>();
    ch.onError(errors.record);
    const rejoined = nextJoin(ch);
    const pending = ch.push("noreply", {});
    const crash = ch.push("crash", {});
    expect((await rejection(crash)).code).toBe(ClientErrorCode.CHANNEL_ERRORED);
    expect((await rejection(pending)).code).toBe(ClientErrorCode.CHANNEL_ERRORED);
    expect(errors.values[0]?.code).toBe(ClientErrorCode.CHANNEL_ERRORED);
    await advanceBackoff();
    await rejoined;
    expect(ch.state).toBe("joined");
    expect(ch.joinRef()).not.toBe(firstRef);
    await expect(ch.push("ping", { again: true })).resolves.toEqual({ again: true });
  });

  it("closes for good on phx_close (the server stopped the channel normally)", async () => {
    const ch = channel(socket, "echo:stop");
    await ch.join();
    const closes = new Recorder<void>();
    ch.onClose(closes.record);
    await expect(ch.push("stop_reply", {})).resolves.toEqual({ bye: true });
    await closes.waitFor(1);
    expect(ch.state).toBe("closed");
  });
});

describe("leave", () => {
  it("resolves once the server acknowledged; buffered pushes reject with CHANNEL_CLOSED", async () => {
    const ch = channel(socket, "slow:leave", { ms: 200 });
    const joining = ch.join();
    const buffered = ch.push("x", {});
    await ch.leave();
    expect(ch.state).toBe("closed");
    expect((await rejection(buffered)).code).toBe(ClientErrorCode.CHANNEL_CLOSED);
    expect((await rejection(joining)).code).toBe(ClientErrorCode.CHANNEL_CLOSED);
    const again = channel(socket, "echo:leave");
    await again.join();
    await again.leave();
    expect(again.state).toBe("closed");
    // Can join again after leaving.
    await expect(again.join()).resolves.toMatchObject({ joined: "echo:leave" });
  });

  it("a second channel object on the same topic makes the first one leave", async () => {
    const a = channel(socket, "echo:dup");
    await a.join();
    const b = channel(socket, "echo:dup");
    await b.join();
    expect(a.state).toBe("closed");
    await expect(b.push("ping", { b: true })).resolves.toEqual({ b: true });
  });
});

describe("failures nobody awaits", () => {
  it("never cause an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const ch = channel(socket, "echo:fire");
      void ch.join();
      void ch.push("noreply", {}, { timeout: 20 });
      void ch.push("status", { status: "error" });
      void ch.push("crash", {});
      void channel(socket, "auth:no").join();
      void channel(socket, "echo:none").push("x", {});
      const lonely = createSocket(server.socketUrl);
      void lonely.channel("echo:z").push("x", {});
      clock.advance(20); // the noreply push times out
      await advanceBackoff("the rejoin after the crash to be scheduled");
      await until(() => ch.state === "joined", "a rejoin after the crash");
      // Every timeout still pending runs out, and the replies in flight arrive, before looking.
      clock.advance(FAST.timeoutMs!);
      await ch.push("ping", {});
      await nextTurn();
      await ch.leave();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});

// Joining and leaving with the official phoenix client, over each transport: join replies (ok, refused,
// crashed, unmatched), the push that follows a join, client join timeouts and early leaves, duplicate
// joins of one topic, leave, and the per-connection channel limit.
import { describe, expect, it, onTestFinished } from "vitest";
import {
  useTestEndpoint,
  connectSocket,
  join,
  ping,
  push,
  Recorder,
  recordEvent,
  recordMessages,
  replyOf,
  type Reply,
} from "../../support/phoenix-client.js";
import { startTestEndpoint } from "../../support/test-endpoint.js";

const server = useTestEndpoint();

describe("join", () => {
  it("answers a successful join with ok and the channel's response", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:lobby");

    expect(await join(channel)).toEqual({ status: "ok", response: { joined: "echo:lobby", user: null } });
    expect(channel.state).toBe("joined");
  });

  it("answers a refused join with error and the channel's reason, and accepts the right params", async () => {
    const socket = await connectSocket(server.socketUrl);

    expect(await join(socket.channel("auth:vault"))).toEqual({ status: "error", response: { reason: "unauthorized" } });
    expect(await join(socket.channel("auth:vault", { token: "secret" }))).toEqual({ status: "ok", response: {} });
  });

  it('answers a join that throws with error {reason: "join crashed"}', async () => {
    const socket = await connectSocket(server.socketUrl);

    expect(await join(socket.channel("crashy:1"))).toEqual({ status: "error", response: { reason: "join crashed" } });
  });

  it('answers a join of a topic no route matches with error {reason: "unmatched topic"}', async () => {
    const socket = await connectSocket(server.socketUrl);

    expect(await join(socket.channel("nowhere:1"))).toEqual({ status: "error", response: { reason: "unmatched topic" } });
  });

  it("delivers a push made right after the join after the join's ok reply", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:welcome", { after_join: true });
    const order: string[] = [];
    channel.on("welcome", (payload) => {
      order.push(`welcome ${JSON.stringify(payload)}`);
    });
    const welcome = recordEvent(channel, "welcome");

    channel.join().receive("ok", () => order.push("join ok"));
    await welcome.waitFor(1);

    expect(order).toEqual(["join ok", 'welcome {"topic":"echo:welcome"}']);
  });

  it("keeps the other channels of the socket working when a join fails", async () => {
    const socket = await connectSocket(server.socketUrl);
    const good = socket.channel("echo:good");
    await join(good);

    await join(socket.channel("crashy:2"));

    expect(await push(good, "ping", { still: "here" })).toEqual({ status: "ok", response: { still: "here" } });
  });
});

describe("join timeouts and early leaves", () => {
  it("recovers from a join that times out on the client: the client leaves it, retries, and ends up joined", async () => {
    const socket = await connectSocket(server.socketUrl);
    let attempts = 0;
    // Only the first attempt is slower than the client's 100 ms join timeout.
    const channel = socket.channel("slow:retry", () => ({ ms: attempts++ === 0 ? 300 : 0 }));
    const outcomes = new Recorder<string>();
    channel
      .join(100)
      .receive("ok", () => outcomes.record("ok"))
      .receive("timeout", () => outcomes.record("timeout"));

    expect(await outcomes.waitForValue((o) => o === "ok")).toBe("ok");
    expect(outcomes.values[0]).toBe("timeout");
    expect(await push(channel, "hello", { n: 1 })).toEqual({ status: "ok", response: { event: "hello", payload: { n: 1 } } });

    // Every earlier incarnation was left on the server: a broadcast reaches this connection once.
    const copies = recordMessages(socket, (m) => m.topic === "slow:retry" && m.event === "check");
    server.endpoint.broadcast("slow:retry", "check", {});
    await ping(socket);
    expect(copies.count).toBe(1);
  });

  it("cleans up a channel the client leaves while its join is still running", async () => {
    const socket = await connectSocket(server.socketUrl);
    const early = socket.channel("slow:early", { ms: 150 });
    early.join();
    const leaveReply = await replyOf(early.leave());
    // Not joined yet, so the client closes the channel at once without waiting for the server.
    expect(leaveReply.status).toBe("ok");
    expect(early.state).toBe("closed");

    const later = socket.channel("slow:early", { ms: 0 });
    expect(await join(later)).toEqual({ status: "ok", response: { slow: true } });
    const copies = recordMessages(socket, (m) => m.topic === "slow:early" && m.event === "check");
    server.endpoint.broadcast("slow:early", "check", {});
    await ping(socket);
    expect(copies.count).toBe(1);
  });

  it("sends pushes made before the join completes once it has", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("slow:buffered", { ms: 100 });
    const joined = join(channel);

    const early = push(channel, "early", { n: 1 });

    expect(await joined).toMatchObject({ status: "ok" });
    expect(await early).toEqual({ status: "ok", response: { event: "early", payload: { n: 1 } } });
  });
});

describe("duplicate join", () => {
  it("leaves the first channel object when a second one joins the same topic; the server keeps only the second", async () => {
    const socket = await connectSocket(server.socketUrl);
    const first = socket.channel("echo:dup");
    await join(first);
    const firstCloses = new Recorder<unknown>();
    first.onClose(firstCloses.record);

    const second = socket.channel("echo:dup");
    expect(await join(second)).toMatchObject({ status: "ok" });
    await firstCloses.waitFor(1);
    expect(first.state).toBe("closed");
    expect(await push(second, "ping", { n: 2 })).toEqual({ status: "ok", response: { n: 2 } });

    // One live channel on the server means one copy of a broadcast on this connection; the fastlane
    // writes every copy before the broadcasting push's reply.
    const copies = recordMessages(socket, (m) => m.topic === "echo:dup" && m.event === "dup_check");
    expect(await push(second, "broadcast", { event: "dup_check", payload: {} })).toMatchObject({ status: "ok" });
    expect(copies.count).toBe(1);
  });
});

describe("leave", () => {
  it("replies ok, fires onClose, and stops the broadcasts of the topic", async () => {
    const leaver = await connectSocket(server.socketUrl);
    const stayer = await connectSocket(server.socketUrl);
    const left = leaver.channel("echo:room");
    const staying = stayer.channel("echo:room");
    await join(left);
    await join(staying);
    const closes = new Recorder<unknown>();
    left.onClose(closes.record);

    expect(await replyOf(left.leave())).toEqual({ status: "ok", response: {} });
    await closes.waitFor(1);
    expect(left.state).toBe("closed");

    const leaverFrames = recordMessages(leaver, (m) => m.topic === "echo:room" && m.event === "news");
    const news = recordEvent(staying, "news");
    expect(await push(staying, "broadcast", { event: "news", payload: { n: 1 } })).toMatchObject({ status: "ok" });
    expect(news.values).toEqual([{ n: 1 }]);
    // A copy for the leaver would have been written before the ping's reply on its connection.
    await ping(leaver);
    expect(leaverFrames.count).toBe(0);
  });

  it("can join the topic again after leaving it", async () => {
    const socket = await connectSocket(server.socketUrl);
    const first = socket.channel("echo:again");
    await join(first);
    await replyOf(first.leave());

    const again = socket.channel("echo:again");
    expect(await join(again)).toMatchObject({ status: "ok" });
    expect(await push(again, "ping", {})).toEqual({ status: "ok", response: {} });
  });
});

describe("channel limit", () => {
  it('refuses a join past maxChannels with "too many channels joined", and the retrying join succeeds once a slot frees', async () => {
    const limited = await startTestEndpoint({}, { maxChannels: 2 });
    onTestFinished(() => limited.stop());
    const socket = await connectSocket(limited.socketUrl);
    const one = socket.channel("echo:1");
    await join(one);
    await join(socket.channel("echo:2"));

    const third = socket.channel("echo:3");
    const outcomes = new Recorder<Reply>();
    third
      .join()
      .receive("ok", (response: unknown) => outcomes.record({ status: "ok", response }))
      .receive("error", (response: unknown) => outcomes.record({ status: "error", response }));
    const [refused] = await outcomes.waitFor(1);
    expect(refused).toEqual({ status: "error", response: { reason: "too many channels joined" } });

    // The client rejoins a refused channel on its backoff; after a leave, the next attempt fits.
    await replyOf(one.leave());
    expect(await outcomes.waitForValue((o) => o.status === "ok")).toEqual({
      status: "ok",
      response: { joined: "echo:3", user: null },
    });
    expect(await push(third, "ping", {})).toMatchObject({ status: "ok" });
  });
});

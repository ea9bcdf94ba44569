/**
 * The history store of the cluster IPC adapter, kept by the IpcHub, over in-process channels that copy
 * each message the way Node's "advanced" IPC serialization does (v8 serialize/deserialize, on a later
 * turn). Workers get hosts that record what they are given.
 */
import { channel, type FakePort } from "../../support/ipc-channel.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PubSubErrorCode } from "../../../src/pubsub/errors.js";
import { IpcAdapter, type IpcAdapterOptions } from "../../../src/pubsub/ipc/ipc-adapter.js";
import { IpcHub, type IpcHubOptions } from "../../../src/pubsub/ipc/ipc-hub.js";
import { recordingHost, type RecordingHost } from "../../support/recording-host.js";
import type { IpcMessage, IpcPort } from "../../../src/pubsub/ipc/ipc-messages.js";


interface Worker extends RecordingHost {
  readonly adapter: IpcAdapter;
}

function worker(nodeName: string, port: IpcPort, options: Omit<IpcAdapterOptions, "port"> = {}): Worker {
  return { adapter: new IpcAdapter({ ...options, port }), ...recordingHost(nodeName) };
}

/** A hub and started workers attached to it. */
async function cluster(names: string[], hubOptions: IpcHubOptions = {}): Promise<{ hub: IpcHub; workers: Worker[] }> {
  const hub = new IpcHub(hubOptions);
  const workers = names.map((name) => {
    const [w, p] = channel();
    hub.attach(p);
    return worker(name, w);
  });
  await Promise.all(workers.map((w) => w.adapter.start(w.host)));
  return { hub, workers };
}

const KEEP = { size: 100, ttlMs: 60_000 };

function frame(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("IPC history", () => {
  it("positions appends 1..n and delivers them in order to every worker, the appender included", async () => {
    const { workers } = await cluster(["a", "b", "c"]);
    const [a] = workers;
    for (let i = 1; i <= 5; i++) a!.adapter.history.append("room", frame(i), KEEP);
    for (const w of workers) {
      await expect.poll(() => w.positioned.length).toBe(5);
      expect(w.positioned.map((p) => p.position.offset)).toEqual([1, 2, 3, 4, 5]);
      expect(w.positioned.map((p) => p.frame[0])).toEqual([1, 2, 3, 4, 5]);
      expect(w.positioned.map((p) => p.position.epoch)).toEqual(Array(5).fill(a!.positioned[0]!.position.epoch));
    }
    await Promise.all(workers.map((w) => w.adapter.stop()));
  });

  it("makes one contiguous sequence of two workers' concurrent appends, seen in the same order everywhere", async () => {
    const { workers } = await cluster(["a", "b", "c"]);
    const [a, b, c] = workers;
    for (let i = 0; i < 30; i++) {
      a!.adapter.history.append("room", frame(1, i), KEEP);
      b!.adapter.history.append("room", frame(2, i), KEEP);
      if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const w of workers) await expect.poll(() => w.positioned.length).toBe(60);
    const seen = (w: Worker) => w.positioned.map((p) => `${p.position.epoch}:${p.position.offset}:${p.frame.join(",")}`);
    expect(a!.positioned.map((p) => p.position.offset)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(seen(b!)).toEqual(seen(a!));
    expect(seen(c!)).toEqual(seen(a!));
    for (const from of [1, 2]) {
      expect(a!.positioned.filter((p) => p.frame[0] === from).map((p) => p.frame[1])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    }
    await Promise.all(workers.map((w) => w.adapter.stop()));
  });

  it("carries frames of arbitrary bytes unchanged, live and in reads", async () => {
    const { workers } = await cluster(["a", "b"]);
    const [a, b] = workers;
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    for (const f of [every, new Uint8Array(0), big]) a!.adapter.history.append("t", f, KEEP);
    await expect.poll(() => b!.positioned.length).toBe(3);
    const same = (frames: Uint8Array[]) => {
      expect(frames.every((f) => f instanceof Uint8Array)).toBe(true);
      expect(frames.map((f, i) => Buffer.compare(f, [every, new Uint8Array(0), big][i]!))).toEqual([0, 0, 0]);
    };
    same(b!.positioned.map((p) => p.frame));
    same(a!.positioned.map((p) => p.frame));
    const read = await b!.adapter.history.read("t", { limit: 10 }, KEEP);
    same(read.entries.map((e) => e.data));
    await Promise.all(workers.map((w) => w.adapter.stop()));
  });

  it("reads with and without `after`, and nothing when `after` is too far behind or above the top", async () => {
    const { workers } = await cluster(["a", "b"]);
    const [a, b] = workers;
    for (let i = 1; i <= 10; i++) a!.adapter.history.append("t", frame(i), KEEP);
    const top = await a!.adapter.history.read("t", { limit: 0 }, KEEP); // sent after the appends: sees them
    expect(top.position.offset).toBe(10);
    const read = async (query: { after?: number; limit: number }) => (await b!.adapter.history.read("t", query, KEEP)).entries.map((e) => e.offset);
    expect(await read({ limit: 3 })).toEqual([8, 9, 10]);
    expect(await read({ after: 6, limit: 5 })).toEqual([7, 8, 9, 10]);
    expect(await read({ after: 5, limit: 5 })).toEqual([6, 7, 8, 9, 10]);
    expect(await read({ after: 4, limit: 5 })).toEqual([]);
    expect(await read({ after: 10, limit: 5 })).toEqual([]);
    expect(await b!.adapter.history.read("t", { after: 11, limit: 5 }, KEEP)).toEqual({ position: top.position, entries: [] });
    expect((await b!.adapter.history.read("t", { after: 9, limit: 5 }, KEEP)).entries).toEqual([{ offset: 10, data: frame(10) }]);
    await Promise.all(workers.map((w) => w.adapter.stop()));
  });

  it("answers a read after the positioned frames of the appends it sees", async () => {
    const { workers } = await cluster(["a", "b"]);
    const [a, b] = workers;
    for (let i = 1; i <= 4; i++) a!.adapter.history.append("t", frame(i), KEEP);
    const read = await a!.adapter.history.read("t", { limit: 10 }, KEEP);
    expect(read.position.offset).toBe(4);
    expect(a!.positioned.map((p) => p.position.offset)).toEqual([1, 2, 3, 4]);
    await expect.poll(() => b!.positioned.length).toBe(4);
    await Promise.all(workers.map((w) => w.adapter.stop()));
  });

  it("keeps only the newest `size` messages, and creates the epoch on a read", async () => {
    const { hub, workers } = await cluster(["a"]);
    const [a] = workers;
    const created = await a!.adapter.history.read("t", { limit: 10 }, { size: 3, ttlMs: 60_000 });
    expect(created.position.offset).toBe(0);
    expect(hub.streams.topics).toBe(1);
    for (let i = 1; i <= 8; i++) a!.adapter.history.append("t", frame(i), { size: 3, ttlMs: 60_000 });
    const read = await a!.adapter.history.read("t", { limit: 100 }, { size: 3, ttlMs: 60_000 });
    expect(read.position).toEqual({ epoch: created.position.epoch, offset: 8 });
    expect(read.entries.map((e) => e.offset)).toEqual([6, 7, 8]);
    expect(hub.streams.retained).toBe(3);
    await a!.adapter.stop();
  });

  it("leaves out messages older than the ttl (the hub's clock)", async () => {
    let now = 0;
    const { workers } = await cluster(["a"], { now: () => now });
    const [a] = workers;
    const retention = { size: 10, ttlMs: 100 };
    a!.adapter.history.append("t", frame(1), retention);
    await expect.poll(() => a!.positioned.length).toBe(1);
    now = 60;
    a!.adapter.history.append("t", frame(2), retention);
    await expect.poll(() => a!.positioned.length).toBe(2);
    now = 120;
    expect((await a!.adapter.history.read("t", { limit: 10 }, retention)).entries.map((e) => e.offset)).toEqual([2]);
    now = 200;
    const read = await a!.adapter.history.read("t", { limit: 10 }, retention);
    expect(read.entries).toEqual([]);
    expect(read.position.offset).toBe(2);
    await a!.adapter.stop();
  });

  it("keeps the streams when workers leave: the hub owns them", async () => {
    const hub = new IpcHub();
    const [w1, p1] = channel();
    hub.attach(p1);
    const a = worker("a", w1);
    await a.adapter.start(a.host);
    a.adapter.history.append("t", frame(1), KEEP);
    a.adapter.history.append("t", frame(2), KEEP);
    await a.adapter.stop(); // flushes the appends before saying bye
    await expect.poll(() => hub.nodes()).toEqual([]);
    p1.closed = true;
    hub.detach(p1);
    const [w2, p2] = channel();
    hub.attach(p2);
    const b = worker("b", w2);
    await b.adapter.start(b.host);
    const read = await b.adapter.history.read("t", { after: 0, limit: 10 }, KEEP);
    expect(read.entries).toEqual([
      { offset: 1, data: frame(1) },
      { offset: 2, data: frame(2) },
    ]);
    await b.adapter.stop();
  });

  it("sweeps with each topic's last ttl while a worker is joined, forgetting idle topics", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let now = 0;
    const { hub, workers } = await cluster(["a"], { now: () => now, historyMetaTtlMs: 1_000, historySweepIntervalMs: 500 });
    const [a] = workers;
    expect(vi.getTimerCount()).toBe(1);
    a!.adapter.history.append("short", frame(1), { size: 10, ttlMs: 100 });
    a!.adapter.history.append("long", frame(2), { size: 10, ttlMs: 10_000 });
    await expect.poll(() => a!.positioned.length).toBe(2);
    const epoch = a!.positioned[0]!.position.epoch;
    now = 400;
    vi.advanceTimersByTime(500);
    expect(hub.streams.retained).toBe(1);
    expect(hub.streams.topics).toBe(2);
    now = 1_000;
    hub.streams.sweep();
    expect(hub.streams.topics).toBe(1);
    a!.adapter.history.append("short", frame(3), { size: 10, ttlMs: 100 });
    await expect.poll(() => a!.positioned.length).toBe(3);
    expect(a!.positioned[2]!.position.offset).toBe(1);
    expect(a!.positioned[2]!.position.epoch).not.toBe(epoch);
    await a!.adapter.stop();
    await expect.poll(() => hub.nodes()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("IPC history when the primary cannot answer", () => {
  /** A primary that lets workers join but never answers their reads. */
  function deafPrimary(): [workerPort: FakePort, primaryPort: FakePort] {
    const [w, p] = channel();
    p.on("message", (m: IpcMessage) => {
      if (m.fenix === "pubsub/hello") p.send({ fenix: "pubsub/nodes", nodes: [m.node] }, () => {});
    });
    return [w, p];
  }

  it("rejects a read with HISTORY_UNAVAILABLE after historyReadTimeoutMs", async () => {
    const [port] = deafPrimary();
    const a = worker("a", port, { historyReadTimeoutMs: 50 });
    await a.adapter.start(a.host);
    const started = Date.now();
    await expect(a.adapter.history.read("t", { limit: 10 }, KEEP)).rejects.toMatchObject({
      code: PubSubErrorCode.HISTORY_UNAVAILABLE,
      message: expect.stringMatching(/within 50 ms/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    a.adapter.stop();
  });

  it("rejects pending reads when the adapter stops, and reads made before start or after stop", async () => {
    const [port] = deafPrimary();
    const a = worker("a", port);
    await expect(a.adapter.history.read("t", { limit: 10 }, KEEP)).rejects.toMatchObject({ code: PubSubErrorCode.HISTORY_UNAVAILABLE });
    await a.adapter.start(a.host);
    const pending = a.adapter.history.read("t", { limit: 10 }, KEEP);
    a.adapter.stop();
    await expect(pending).rejects.toMatchObject({ code: PubSubErrorCode.HISTORY_UNAVAILABLE, message: expect.stringMatching(/stopped/) });
    await expect(a.adapter.history.read("t", { limit: 10 }, KEEP)).rejects.toMatchObject({ code: PubSubErrorCode.HISTORY_UNAVAILABLE });
  });

  it("reports HISTORY_UNAVAILABLE and drops an append made while not linked to the primary", async () => {
    const hub = new IpcHub();
    const [w, p] = channel();
    hub.attach(p);
    const a = worker("a", w);
    const starting = a.adapter.start(a.host);
    a.adapter.history.append("t", frame(1), KEEP); // the primary has not answered the hello yet
    await starting;
    a.adapter.stop();
    a.adapter.history.append("t", frame(2), KEEP);
    expect(a.errors.map((e) => (e as { code?: string }).code)).toEqual([PubSubErrorCode.HISTORY_UNAVAILABLE, PubSubErrorCode.HISTORY_UNAVAILABLE]);
    expect(a.errors[0]!.message).toMatch(/"t" was dropped/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hub.streams.retained).toBe(0);
    expect(a.positioned).toEqual([]);
  });

  it("refuses, with an error answer, the read of a worker that has not joined", async () => {
    const hub = new IpcHub();
    const [w, p] = channel();
    hub.attach(p);
    const answers: IpcMessage[] = [];
    w.on("message", (m: IpcMessage) => answers.push(m));
    w.send({ fenix: "pubsub/read", id: 7, topic: "t", limit: 10, size: 10, ttlMs: 1_000 }, () => {});
    await expect.poll(() => answers).toEqual([{ fenix: "pubsub/read-result", id: 7, error: expect.stringMatching(/not joined/) }]);
    expect(hub.streams.topics).toBe(0);
  });

  it("rejects a read the primary answers with an error", async () => {
    const [w, p] = channel();
    p.on("message", (m: IpcMessage) => {
      if (m.fenix === "pubsub/hello") p.send({ fenix: "pubsub/nodes", nodes: [m.node] }, () => {});
      if (m.fenix === "pubsub/read") p.send({ fenix: "pubsub/read-result", id: m.id, error: "out of luck" }, () => {});
    });
    const a = worker("a", w);
    await a.adapter.start(a.host);
    await expect(a.adapter.history.read("t", { limit: 1 }, KEEP)).rejects.toMatchObject({
      code: PubSubErrorCode.HISTORY_UNAVAILABLE,
      message: expect.stringMatching(/out of luck/),
    });
    a.adapter.stop();
  });

  it("reports positioned frames that arrive as objects (a channel without advanced serialization)", async () => {
    const [w, p] = channel();
    p.on("message", (m: IpcMessage) => {
      if (m.fenix === "pubsub/hello") {
        p.send({ fenix: "pubsub/nodes", nodes: [m.node] }, () => {});
        const asJson = JSON.parse(JSON.stringify(new Uint8Array([1, 2]))) as Uint8Array;
        p.send({ fenix: "pubsub/positioned", frames: [{ frame: asJson, epoch: "e", offset: 1 }] }, () => {});
      }
    });
    const a = worker("a", w);
    await a.adapter.start(a.host);
    await expect.poll(() => a.errors.map((e) => (e as { code?: string }).code)).toEqual([PubSubErrorCode.BAD_FRAME]);
    expect(a.positioned).toEqual([]);
    a.adapter.stop();
  });
});

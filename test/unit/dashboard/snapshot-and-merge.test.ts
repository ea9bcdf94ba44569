// A node's snapshot built from what the sampler gathered (connections, interval counts), and the cluster
// view that merges the nodes' snapshots: sums, maxima, P(e) from summed counts, topics across nodes,
// the topology edges, silent nodes dropped after three periods, the chart history.
import { describe, expect, it } from "vitest";
import { Pid } from "../../../src/runtime/process/pid.js";
import type { ConnectionInfo } from "../../../src/server/endpoint/connection-info.js";
import { ClusterView, SILENT_PERIODS, mergeSnapshots } from "../../../src/dashboard/cluster-view.js";
import { buildNodeSnapshot, type NodeSnapshot, type SnapshotInput } from "../../../src/dashboard/node-snapshot.js";
import type { IntervalCounts } from "../../../src/dashboard/telemetry-counters.js";

let nextPid = 1;
const pid = (node = "a") => new Pid(nextPid++, node);

function connection(partial: Partial<ConnectionInfo> & { topics?: Array<[topic: string, mailbox: number]> } = {}): ConnectionInfo {
  const { topics = [], ...rest } = partial;
  return {
    pid: pid(),
    path: "/socket",
    transport: "websocket",
    address: "127.0.0.1",
    socketId: null,
    connectedAt: 1_000,
    mailbox: 0,
    bufferedBytes: 0,
    channels: topics.map(([topic, mailbox]) => ({ topic, route: "room:*", channel: "RoomChannel", pid: pid(), mailbox, joinedAt: 2_000 })),
    ...rest,
  };
}

const NO_COUNTS: IntervalCounts = {
  intervalMs: 1000,
  connectAttempts: 0,
  connects: 0,
  disconnects: 0,
  joins: 0,
  refusedJoins: 0,
  crashes: 0,
  handledIn: 0,
  handledInfo: 0,
  broadcasts: 0,
  broadcastBytes: 0,
  slowConsumers: 0,
  transportErrors: 0,
  topicMessages: new Map(),
};

function snapshotOf(partial: Partial<SnapshotInput> = {}): NodeSnapshot {
  return buildNodeSnapshot({
    node: "a",
    at: 10_000,
    sampleMs: 1000,
    status: "up",
    counts: NO_COUNTS,
    previousConnections: 0,
    connections: [],
    presence: () => null,
    tree: null,
    suspended: new Set(),
    maxRows: 500,
    ...partial,
  });
}

describe("buildNodeSnapshot", () => {
  it("measures Q(t) over every connection and channel mailbox, and the outbound bytes of every connection", () => {
    const s = snapshotOf({
      connections: [
        connection({ mailbox: 2, bufferedBytes: 100, topics: [["room:1", 5]] }),
        connection({ mailbox: 0, bufferedBytes: 0, topics: [["room:1", 0], ["room:2", 1]] }),
      ],
    });
    expect(s.connections).toBe(2);
    expect(s.channels).toBe(3);
    expect(s.mailbox).toEqual({ count: 5, total: 8, max: 5, p99: 5 });
    expect(s.buffered).toEqual({ count: 2, total: 100, max: 100, p99: 100 });
  });

  it("turns the interval's counts into rates per second", () => {
    const s = snapshotOf({ counts: { ...NO_COUNTS, intervalMs: 500, handledIn: 10, broadcasts: 4, broadcastBytes: 400, connects: 1 } });
    expect(s.rates).toMatchObject({ messagesIn: 20, broadcasts: 8, broadcastBytes: 800, connects: 2, disconnects: 0 });
    expect(snapshotOf({ counts: { ...NO_COUNTS, intervalMs: 0, handledIn: 3 } }).rates.messagesIn).toBe(0);
  });

  it("counts P(e)'s traffic: joins, client events and process messages handled; connections open or attempted", () => {
    const s = snapshotOf({
      previousConnections: 10,
      counts: { ...NO_COUNTS, joins: 5, refusedJoins: 1, handledIn: 90, handledInfo: 5, crashes: 2, connectAttempts: 3, slowConsumers: 1, transportErrors: 2 },
    });
    expect(s.errors).toEqual({ crashes: 2, handled: 100, refusedJoins: 1, joins: 5, slowConsumers: 1, transportErrors: 2, connections: 13 });
  });

  it("lists sockets most queued first, cut at maxRows, and marks suspended processes", () => {
    const quiet = connection({ mailbox: 0 });
    const busy = connection({ mailbox: 1, topics: [["room:x", 40]] });
    const slow = connection({ mailbox: 0, bufferedBytes: 5000 });
    const s = snapshotOf({ connections: [quiet, busy, slow], maxRows: 2, suspended: new Set([busy.channels[0]!.pid.toString()]) });
    expect(s.sockets.map((r) => r.pid)).toEqual([busy.pid.toString(), slow.pid.toString()]);
    expect(s.socketsTotal).toBe(3);
    expect(s.sockets[0]).toMatchObject({ node: "a", mailbox: 41, suspended: false, address: "127.0.0.1" });
    expect(s.sockets[0]!.channels[0]).toMatchObject({ topic: "room:x", mailbox: 40, suspended: true });
  });

  it("lists topics joined here or busy in the interval, with their presence counts", () => {
    const s = snapshotOf({
      connections: [connection({ topics: [["room:1", 0]] }), connection({ topics: [["room:1", 0]] })],
      counts: { ...NO_COUNTS, topicMessages: new Map([["room:1", 3], ["news", 7]]) },
      presence: (topic) => (topic === "room:1" ? 2 : null),
    });
    expect(s.topics).toEqual([
      { topic: "room:1", subscribers: 2, messagesPerSecond: 3, presence: 2 },
      { topic: "news", subscribers: 0, messagesPerSecond: 7, presence: null },
    ]);
  });

  it("is JSON: it survives the trip between nodes unchanged", () => {
    const s = snapshotOf({ connections: [connection({ address: undefined, topics: [["room:1", 1]] })] });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.sockets[0]!.address).toBeNull();
  });
});

describe("mergeSnapshots", () => {
  const a = snapshotOf({
    node: "a",
    connections: [connection({ mailbox: 3, topics: [["room:1", 0]] })],
    counts: { ...NO_COUNTS, handledIn: 1000, crashes: 1, joins: 1 },
    presence: () => 4,
  });
  const b = snapshotOf({
    node: "b",
    connections: [connection({ mailbox: 9, bufferedBytes: 10, topics: [["room:1", 0], ["room:2", 0]] }), connection({ topics: [["room:2", 0]] })],
    counts: { ...NO_COUNTS, handledIn: 9, crashes: 1, joins: 0 },
    presence: (topic) => (topic === "room:1" ? 5 : null),
  });
  const view = mergeSnapshots("a", 20_000, [a, b]);

  it("adds connections and rates, and takes the largest queues", () => {
    expect(view.totals).toMatchObject({ t: 20, connections: 3, channels: 4, messagesIn: 1009, mailboxTotal: 12, mailboxMax: 9, bufferedTotal: 10, bufferedMax: 10 });
  });

  it("computes P(e) from the summed counts", () => {
    expect(view.errors.crashes).toBe(2);
    expect(view.errors.handled).toBe(1010);
    expect(view.totals.crashPerMessage).toBeCloseTo(2 / 1010, 12);
    expect(view.nodes.map((n) => [n.node, n.errors.crashPerMessage])).toEqual([
      ["a", 1 / 1001],
      ["b", 1 / 9],
    ]);
  });

  it("sums a topic's subscribers and rates over the nodes, and keeps the largest presence count", () => {
    expect(view.topics.find((t) => t.topic === "room:1")).toEqual({ topic: "room:1", subscribers: 2, messagesPerSecond: 0, presence: 5 });
    expect(view.topics.find((t) => t.topic === "room:2")).toEqual({ topic: "room:2", subscribers: 2, messagesPerSecond: 0, presence: null });
  });

  it("draws an edge from each node to each topic its connections joined", () => {
    expect(view.edges).toEqual([
      { node: "a", topic: "room:1", connections: 1 },
      { node: "b", topic: "room:2", connections: 2 },
      { node: "b", topic: "room:1", connections: 1 },
    ]);
  });

  it("lists every node's sockets, each with its node", () => {
    expect(view.sockets.map((s) => s.node)).toEqual(["a", "b", "b"]);
  });
});

describe("ClusterView", () => {
  const at = (node: string, time: number, sampleMs = 1000) => snapshotOf({ node, at: time, sampleMs });

  it("is empty before the first snapshot", () => {
    expect(new ClusterView("a", 10).view(0)).toBeNull();
  });

  it("keeps each node's latest snapshot and ignores an older one arriving late", () => {
    const cluster = new ClusterView("a", 10);
    cluster.apply(snapshotOf({ node: "b", at: 2_000, connections: [connection()] }), 0);
    cluster.apply(snapshotOf({ node: "b", at: 1_000 }), 1);
    expect(cluster.view(0)!.totals.connections).toBe(1);
  });

  it(`drops a node silent for more than ${SILENT_PERIODS} of its periods, never the local one`, () => {
    const cluster = new ClusterView("a", 10);
    cluster.apply(at("a", 0), 0);
    cluster.apply(at("b", 0, 500), 0);
    cluster.apply(at("c", 0, 1000), 0);
    expect(cluster.expire(1500)).toEqual([]);
    expect(cluster.expire(1501)).toEqual(["b"]);
    expect(cluster.expire(3001)).toEqual(["c"]);
    expect(cluster.expire(1e9)).toEqual([]);
    expect(cluster.nodes()).toEqual(["a"]);
  });

  it("keeps the last historyPoints totals for the charts", () => {
    const cluster = new ClusterView("a", 3);
    for (let i = 1; i <= 5; i++) {
      cluster.apply(at("a", i * 1000), i * 1000);
      cluster.record(cluster.view(i * 1000)!);
    }
    expect(cluster.history().map((p) => p.t)).toEqual([3, 4, 5]);
  });
});

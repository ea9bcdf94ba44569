/**
 * MQTT across nodes (two endpoints on a memory bus, each with its own broker): a PUBLISH on one node
 * reaches subscribers on the other at their QoS; a shared subscription group with members on both nodes
 * gets each message exactly once, in turn across the nodes, once they have announced their groups; a
 * node that starts later receives the retained messages the others keep; a client id connecting on one
 * node closes its connection on the other (MQTT 5 DISCONNECT 0x8E); a will crosses nodes.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { Endpoint, PubSub, Runtime, silentLogger } from "../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../src/pubsub/index.js";
import { enableMqtt, type MqttServer } from "../../src/mqtt/index.js";
import { Recorder } from "../support/phoenix-client.js";

interface Node {
  readonly endpoint: Endpoint;
  readonly mqtt: MqttServer;
  readonly url: string;
  stop(): Promise<void>;
}

const nodes: Node[] = [];
const clients: MqttClient[] = [];

async function startNode(bus: MemoryBus, name: string): Promise<Node> {
  const runtime = new Runtime({ node: name });
  const pubsub = new PubSub({ runtime, adapter: new MemoryAdapter(bus) });
  const endpoint = new Endpoint({ pubsub, port: 0, host: "127.0.0.1", logger: silentLogger, children: [pubsub.childSpec()] });
  const server = enableMqtt(endpoint, { port: 0, host: "127.0.0.1" });
  await endpoint.start();
  void (endpoint.server.address() as AddressInfo);
  const node: Node = {
    endpoint,
    mqtt: server,
    url: `mqtt://127.0.0.1:${server.port}`,
    stop: async () => {
      await endpoint.stop();
      await pubsub.stop();
    },
  };
  nodes.push(node);
  return node;
}

async function client(node: Node, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(node.url, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

function record(c: MqttClient): Recorder<{ topic: string; payload: string; qos: number; retain: boolean }> {
  const r = new Recorder<{ topic: string; payload: string; qos: number; retain: boolean }>();
  c.on("message", (topic, payload, packet) => r.record({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  return r;
}

/** Waits until `check` holds (the nodes announce every second). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

describe("MQTT across nodes", () => {
  it("a PUBLISH on one node reaches subscribers on the other, at their QoS", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const onB = await client(b, { protocolVersion: 5 });
    const got = record(onB);
    await onB.subscribeAsync("plant/+/temp", { qos: 1 });
    const onA = await client(a);
    await onA.publishAsync("plant/3/temp", "20", { qos: 2 });
    await onA.publishAsync("plant/3/temp", "21", { qos: 0 });
    expect(await got.waitFor(2)).toEqual([
      { topic: "plant/3/temp", payload: "20", qos: 1, retain: false },
      { topic: "plant/3/temp", payload: "21", qos: 0, retain: false },
    ]);
  });

  it("delivers each message of a shared group with members on both nodes exactly once", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const memberA = await client(a, { protocolVersion: 5 });
    const memberB = await client(b, { protocolVersion: 5 });
    const gotA = record(memberA);
    const gotB = record(memberB);
    await memberA.subscribeAsync("$share/workers/jobs/#", { qos: 1 });
    await memberB.subscribeAsync("$share/workers/jobs/#", { qos: 1 });
    const publisher = await client(a);
    // Until both nodes know of each other's group a message may reach one member per node: wait for the
    // announcements (one period), seen as a message delivered once.
    await new Promise((r) => setTimeout(r, 2_200));
    for (let i = 0; i < 20; i++) await publisher.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    await eventually(() => gotA.count + gotB.count >= 20);
    await new Promise((r) => setTimeout(r, 200));
    const all = [...gotA.values, ...gotB.values].map((m) => Number(m.payload)).sort((x, y) => x - y);
    expect(all).toEqual([...Array(20).keys()]);
    expect(gotA.count).toBeGreaterThan(0);
    expect(gotB.count).toBeGreaterThan(0);
  });

  it("a node that starts later receives the retained messages the others keep", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const publisher = await client(a);
    await publisher.publishAsync("config/mode", "eco", { qos: 1, retain: true });
    await publisher.publishAsync("config/level", "3", { qos: 0, retain: true });
    await eventually(() => a.mqtt.stats().retained === 2);
    const b = await startNode(bus, "b");
    await eventually(() => b.mqtt.stats().retained === 2);
    const late = await client(b);
    const got = record(late);
    await late.subscribeAsync("config/#", { qos: 1 });
    const messages = await got.waitFor(2);
    expect(messages.map((m) => [m.topic, m.payload, m.retain]).sort()).toEqual([
      ["config/level", "3", true],
      ["config/mode", "eco", true],
    ]);
  });

  it("a client id connecting on one node closes its connection on the other (0x8E), and wills cross nodes", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const watcher = await client(b);
    const wills = record(watcher);
    await watcher.subscribeAsync("status/+", { qos: 1 });
    const first = await client(a, { clientId: "device-7", protocolVersion: 5, will: { topic: "status/device-7", payload: Buffer.from("gone"), qos: 1, retain: false } });
    const disconnected = new Recorder<number | undefined>();
    first.on("disconnect", (packet) => disconnected.record(packet.reasonCode));
    await client(b, { clientId: "device-7", protocolVersion: 5 });
    expect(await disconnected.waitFor(1)).toEqual([0x8e]);
    // The taken-over connection's will (no delay) is published, and reaches the watcher on the other node.
    expect((await wills.waitFor(1))[0]).toMatchObject({ topic: "status/device-7", payload: "gone" });
  });
});

describe("persistent sessions across nodes", () => {
  it("a client resuming its session on another node gets its subscriptions and the messages queued meanwhile", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const options = { clientId: "roamer", clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 60 } };
    const first = await client(a, options);
    await first.subscribeAsync("inbox/roamer", { qos: 1 });
    await first.endAsync();
    const publisher = await client(b);
    // Queued on node a while the client is away.
    await publisher.publishAsync("inbox/roamer", "while away 1", { qos: 1 });
    await publisher.publishAsync("inbox/roamer", "while away 2", { qos: 1 });
    await eventually(() => a.mqtt.stats().sessions === 1);
    const connack = new Recorder<boolean>();
    const second = mqtt.connect(b.url, { ...options, reconnectPeriod: 0 });
    clients.push(second);
    const got = record(second);
    second.on("connect", (packet) => connack.record(packet.sessionPresent));
    expect(await connack.waitFor(1)).toEqual([true]);
    expect((await got.waitFor(2)).map((m) => m.payload)).toEqual(["while away 1", "while away 2"]);
    // The session moved: node a keeps nothing, and new messages reach the client on node b.
    expect(a.mqtt.stats().sessions).toBe(0);
    await publisher.publishAsync("inbox/roamer", "after", { qos: 1 });
    expect((await got.waitFor(3))[2]!.payload).toBe("after");
  });

  it("a client connecting clean on another node ends its session on the first", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const first = await client(a, { clientId: "fresh", clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } });
    await first.subscribeAsync("x/y", { qos: 1 });
    await first.endAsync();
    await eventually(() => a.mqtt.stats().sessions === 1);
    const connack = new Recorder<boolean>();
    const second = mqtt.connect(b.url, { clientId: "fresh", clean: true, protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(second);
    second.on("connect", (packet) => connack.record(packet.sessionPresent));
    expect(await connack.waitFor(1)).toEqual([false]);
    await eventually(() => a.mqtt.stats().sessions === 0);
  });

  it("a client still connected on one node that reconnects on another takes its session along (the first gets 0x8E)", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const b = await startNode(bus, "b");
    const options = { clientId: "mover", clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 60 } };
    const first = await client(a, options);
    await first.subscribeAsync("moves/#", { qos: 1 });
    const kicked = new Recorder<number | undefined>();
    first.on("disconnect", (packet) => kicked.record(packet.reasonCode));
    const connack = new Recorder<boolean>();
    const second = mqtt.connect(b.url, { ...options, reconnectPeriod: 0 });
    clients.push(second);
    const got = record(second);
    second.on("connect", (packet) => connack.record(packet.sessionPresent));
    expect(await kicked.waitFor(1)).toEqual([0x8e]);
    expect(await connack.waitFor(1)).toEqual([true]);
    const publisher = await client(a);
    await publisher.publishAsync("moves/1", "here", { qos: 1 });
    expect((await got.waitFor(1))[0]).toMatchObject({ topic: "moves/1", payload: "here", qos: 1 });
  });
});

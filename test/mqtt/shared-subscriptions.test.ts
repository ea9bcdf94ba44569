/**
 * Shared subscriptions (`$share/group/filter`, MQTT 5; the broker accepts them from 3.1.1 clients too): each
 * message goes to exactly one member of a group, round-robin across members; two groups each get a copy; a
 * plain subscription to the same filter gets its own copy; members that unsubscribe or leave stop taking
 * turns; connected members are preferred, and an absent member's session queues when no member is
 * connected; a shared SUBSCRIBE gets no retained messages; No Local on a shared subscription is a protocol
 * error (DISCONNECT 0x82); CONNACK announces Shared Subscription Available.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientId, label, persistent, rawClosed, startHarness, until, VERSIONS, type Harness, type Opened } from "../support/mqtt-conformance.js";

describe("MQTT shared subscriptions", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function members(count: number, filter: string, protocolVersion: 4 | 5 = 5): Promise<Opened[]> {
    const opened = await Promise.all(Array.from({ length: count }, () => h.connect({ protocolVersion })));
    for (const member of opened) await member.client.subscribeAsync(filter, { qos: 1 });
    return opened;
  }

  for (const protocolVersion of VERSIONS) {
    it(`gives each message to exactly one member, round-robin (${label(protocolVersion)})`, async () => {
      const group = await members(3, "$share/workers/jobs/+", protocolVersion);
      const publisher = await h.connect({ protocolVersion });
      for (let i = 0; i < 9; i++) await publisher.client.publishAsync(`jobs/${i % 2 === 0 ? "a" : "b"}`, `job-${i}`, { qos: 1 });
      const received = await Promise.all(group.map(({ inbox }) => inbox.take(3)));
      const all = received.flat().map((m) => m.payload);
      expect(all.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `job-${i}`).sort());
      // Round-robin: member k gets jobs k, k + 3, k + 6 in some rotation of the members.
      const sets = received.map((list) => list.map((m) => Number(m.payload.slice(4)) % 3));
      for (const set of sets) expect(new Set(set).size).toBe(1);
      expect(new Set(sets.map((s) => s[0])).size).toBe(3);
      for (const member of group) expect(await member.inbox.quiet(50)).toEqual([]);
      // The topic is the publish topic, not the shared filter.
      expect(received.flat().every((m) => m.topic === "jobs/a" || m.topic === "jobs/b")).toBe(true);
    });
  }

  it("gives each group a copy, and plain subscribers their own", async () => {
    const groupA = await members(2, "$share/a/metrics/#");
    const groupB = await members(2, "$share/b/metrics/#");
    const plain = await h.connect({ protocolVersion: 5 });
    await plain.client.subscribeAsync("metrics/#", { qos: 1 });
    const publisher = await h.connect({ protocolVersion: 5 });
    for (let i = 0; i < 4; i++) await publisher.client.publishAsync("metrics/cpu", `${i}`, { qos: 1 });
    expect((await plain.inbox.take(4)).map((m) => m.payload)).toEqual(["0", "1", "2", "3"]);
    for (const group of [groupA, groupB]) {
      await until(() => group[0]!.inbox.all.length + group[1]!.inbox.all.length === 4, "four messages for the group");
      expect(group.map((m) => m.inbox.all.length)).toEqual([2, 2]);
      expect(
        group
          .flatMap((m) => m.inbox.all)
          .map((m) => m.payload)
          .sort(),
      ).toEqual(["0", "1", "2", "3"]);
    }
  });

  it("stops giving turns to a member that unsubscribes or leaves", async () => {
    const [first, second, third] = await members(3, "$share/g/work");
    await first!.client.unsubscribeAsync("$share/g/work");
    await third!.client.endAsync(false);
    await until(() => h.broker.mqtt.stats().connections === 2, "the third member to leave");
    const publisher = await h.connect({ protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await publisher.client.publishAsync("work", `w${i}`, { qos: 1 });
    expect((await second!.inbox.take(3)).map((m) => m.payload)).toEqual(["w0", "w1", "w2"]);
    expect(await first!.inbox.quiet(50)).toEqual([]);
  });

  it("prefers connected members, and queues for a member whose client is away when none is connected", async () => {
    const id = clientId("away-member");
    const away = await h.connect(persistent(5, id));
    await away.client.subscribeAsync("$share/g/tasks", { qos: 1 });
    const present = await h.connect({ protocolVersion: 5 });
    await present.client.subscribeAsync("$share/g/tasks", { qos: 1 });
    await away.client.endAsync(false);
    await until(() => h.broker.mqtt.stats().connections === 1, "the persistent member to leave");
    const publisher = await h.connect({ protocolVersion: 5 });
    for (let i = 0; i < 4; i++) await publisher.client.publishAsync("tasks", `t${i}`, { qos: 1 });
    expect((await present.inbox.take(4)).map((m) => m.payload)).toEqual(["t0", "t1", "t2", "t3"]);
    // The connected member leaves for good (its session ends): the absent one is the only member left.
    await present.client.endAsync(false);
    await until(() => h.broker.mqtt.stats().sessions === 2, "the connected member's session to end");
    await publisher.client.publishAsync("tasks", "t4", { qos: 1 });
    const back = await h.connect(persistent(5, id));
    expect(back.connack.sessionPresent).toBe(true);
    expect(await back.inbox.one()).toMatchObject({ payload: "t4" });
  });

  it("sends no retained messages on a shared SUBSCRIBE", async () => {
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("state/x", "retained", { qos: 1, retain: true });
    const member = await h.connect({ protocolVersion: 5 });
    await member.client.subscribeAsync("$share/g/state/#", { qos: 1 });
    expect(await member.inbox.quiet()).toEqual([]);
    await publisher.client.publishAsync("state/x", "live", { qos: 1 });
    expect(await member.inbox.one()).toMatchObject({ payload: "live", retain: false });
  });

  it("grants the subscription's QoS and delivers at min(published, granted)", async () => {
    const member = await h.connect({ protocolVersion: 5 });
    expect((await member.client.subscribeAsync("$share/g/qos/#", { qos: 1 }))[0]!.qos).toBe(1);
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("qos/x", "x", { qos: 2 });
    expect(await member.inbox.one()).toMatchObject({ qos: 1 });
  });

  it("treats No Local on a shared subscription as a protocol error", async () => {
    const { raw, connack } = await h.rawConnected(5);
    expect(connack.properties?.sharedSubscriptionAvailable).toBe(true);
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$share/g/t", qos: 1, nl: true, rap: false, rh: 0 }] });
    expect(await rawClosed(raw)).toMatchObject({ cmd: "disconnect", reasonCode: 0x82 });
    expect(raw.packets.filter((p) => p.cmd === "suback")).toEqual([]);
  });
});

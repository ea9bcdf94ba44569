/**
 * Topic filters end to end with MQTT.js at 3.1.1 and 5.0: `+` matches exactly one level, `#` the parent
 * level and every level below, and filters whose first level is a wildcard never match `$` topics
 * (`#` does not receive `$SYS/x`, `$SYS/#` does) — for live and for retained messages.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { label, startHarness, VERSIONS, type Harness, type Inbox } from "../support/mqtt-conformance.js";

/** Topics an inbox received up to (excluding) the `end` marker. */
async function topicsUntilEnd(inbox: Inbox): Promise<string[]> {
  const topics: string[] = [];
  for (;;) {
    const m = await inbox.one();
    if (m.topic === "end") return topics;
    topics.push(m.topic);
  }
}

describe("MQTT topic filters", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    it(`matches + and # by their levels (${label(protocolVersion)})`, async () => {
      const filters = ["sport/+/player", "sport/#", "+/+", "sport/+", "+", "#", "/+"];
      const subscribers = await Promise.all(filters.map(() => h.connect({ protocolVersion })));
      await Promise.all(subscribers.map(({ client }, i) => client.subscribeAsync([filters[i]!, "end"], { qos: 0 })));
      const publisher = await h.connect({ protocolVersion });
      const topics = ["sport", "sport/tennis", "sport/tennis/player", "sport/tennis/player/ranking", "other/x", "/x", "x"];
      for (const topic of topics) await publisher.client.publishAsync(topic, topic, { qos: 0 });
      await publisher.client.publishAsync("end", "", { qos: 0 });
      const received = await Promise.all(subscribers.map(({ inbox }) => topicsUntilEnd(inbox)));
      expect(Object.fromEntries(filters.map((f, i) => [f, received[i]]))).toEqual({
        "sport/+/player": ["sport/tennis/player"],
        // `sport/#` matches its parent level `sport` too.
        "sport/#": ["sport", "sport/tennis", "sport/tennis/player", "sport/tennis/player/ranking"],
        "+/+": ["sport/tennis", "other/x", "/x"],
        "sport/+": ["sport/tennis"],
        "+": ["sport", "x"],
        "#": topics,
        "/+": ["/x"],
      });
    });

    it(`keeps $ topics away from wildcard-first filters (${label(protocolVersion)})`, async () => {
      const filters = ["#", "+/x", "$SYS/#", "$SYS/+", "+/monitor/#"];
      const subscribers = await Promise.all(filters.map(() => h.connect({ protocolVersion })));
      await Promise.all(subscribers.map(({ client }, i) => client.subscribeAsync([filters[i]!, "end"], { qos: 1 })));
      const publisher = await h.connect({ protocolVersion });
      for (const topic of ["$SYS/x", "$SYS/monitor/clients", "a/x", "$other/x"]) await publisher.client.publishAsync(topic, "v", { qos: 1 });
      await publisher.client.publishAsync("end", "", { qos: 1 });
      const received = await Promise.all(subscribers.map(({ inbox }) => topicsUntilEnd(inbox)));
      expect(Object.fromEntries(filters.map((f, i) => [f, received[i]]))).toEqual({
        "#": ["a/x"],
        "+/x": ["a/x"],
        "$SYS/#": ["$SYS/x", "$SYS/monitor/clients"],
        "$SYS/+": ["$SYS/x"],
        "+/monitor/#": [],
      });
    });

    it(`applies the $ rule to retained messages on SUBSCRIBE (${label(protocolVersion)})`, async () => {
      const publisher = await h.connect({ protocolVersion });
      await publisher.client.publishAsync("$SYS/uptime", "42", { qos: 1, retain: true });
      await publisher.client.publishAsync("status/up", "yes", { qos: 1, retain: true });
      const all = await h.connect({ protocolVersion });
      await all.client.subscribeAsync("#", { qos: 1 });
      expect((await all.inbox.one()).topic).toBe("status/up");
      expect(await all.inbox.quiet()).toEqual([]);
      const sys = await h.connect({ protocolVersion });
      await sys.client.subscribeAsync("$SYS/#", { qos: 1 });
      expect(await sys.inbox.one()).toMatchObject({ topic: "$SYS/uptime", payload: "42", retain: true });
      expect(await sys.inbox.quiet()).toEqual([]);
    });
  }
});

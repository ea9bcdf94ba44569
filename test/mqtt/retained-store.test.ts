/** Retained messages: one per topic, clearing, limits, expiry, and matching a filter through the topic trie. */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { RetainedStore } from "../../src/mqtt/retained-store.js";
import type { RetainedMessage } from "../../src/mqtt/retained-store.js";
import { topicMatches } from "../../src/mqtt/topic.js";

const encoder = new TextEncoder();

function message(topic: string, payload: string | number, extra: Partial<RetainedMessage> = {}): RetainedMessage {
  const bytes = typeof payload === "number" ? new Uint8Array(payload) : encoder.encode(payload);
  return { topic, payload: bytes, qos: 0, storedAt: 0, ...extra };
}

function topics(messages: Iterable<RetainedMessage>): string[] {
  return [...messages].map((m) => m.topic).sort();
}

/** A store on a clock the test moves. */
function clocked(options: { maxMessages?: number; maxBytes?: number } = {}): { store: RetainedStore; clock: { now: number } } {
  const clock = { now: 1_000 };
  return { store: new RetainedStore({ ...options, now: () => clock.now }), clock };
}

describe("RetainedStore: set, get, delete", () => {
  it("stores one message per topic, the last one set", () => {
    const store = new RetainedStore();
    const first = message("a/b", "one");
    const second = message("a/b", "second", { qos: 1, properties: { contentType: "text/plain" } });
    expect(store.set(first)).toBe("stored");
    expect(store.get("a/b")).toBe(first);
    expect(store.set(second)).toBe("stored");
    expect(store.get("a/b")).toBe(second);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(6);
    expect(store.get("a")).toBeUndefined();
    expect(store.get("a/b/c")).toBeUndefined();
  });

  it("clears a topic with an empty payload", () => {
    const store = new RetainedStore();
    store.set(message("a/b", "x"));
    store.set(message("a/c", "yy"));
    expect(store.set(message("a/b", ""))).toBe("cleared");
    expect(store.get("a/b")).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(2);
    // Clearing a topic with nothing retained is fine too.
    expect(store.set(message("nothing/here", ""))).toBe("cleared");
    expect(store.size).toBe(1);
  });

  it("deletes a topic", () => {
    const store = new RetainedStore();
    store.set(message("a/b", "xyz"));
    expect(store.delete("a/b")).toBe(true);
    expect(store.delete("a/b")).toBe(false);
    expect(store.delete("never")).toBe(false);
    expect(store.get("a/b")).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    expect(store.nodeCount).toBe(0);
  });

  it("keeps topics apart that differ only in empty levels, and $ topics", () => {
    const store = new RetainedStore();
    const names = ["a", "a/", "/a", "a//b", "a/b", "/", "$SYS/x", "$SYS"];
    for (const topic of names) store.set(message(topic, topic));
    expect(store.size).toBe(names.length);
    for (const topic of names) expect(store.get(topic)?.topic).toBe(topic);
  });

  it("refuses an invalid topic name", () => {
    const store = new RetainedStore();
    for (const topic of ["", "a/+", "a/#", "a\u0000"]) expect(() => store.set(message(topic, "x"))).toThrow(RangeError);
    expect(store.size).toBe(0);
  });

  it("lists every message", () => {
    const store = new RetainedStore();
    for (const topic of ["a", "a/b", "c"]) store.set(message(topic, "x"));
    expect(topics(store.all())).toEqual(["a", "a/b", "c"]);
  });

  it("prunes the trie as topics go, back to empty", () => {
    const store = new RetainedStore();
    store.set(message("a/b/c/d", "x"));
    store.set(message("a/b", "x"));
    store.set(message("a/x", "x"));
    expect(store.nodeCount).toBe(5);
    store.delete("a/b/c/d");
    expect(store.nodeCount).toBe(3);
    store.set(message("a/x", ""));
    expect(store.nodeCount).toBe(2);
    store.delete("a/b");
    expect(store.nodeCount).toBe(0);
  });
});

describe("RetainedStore: limits", () => {
  it("uses the documented defaults", () => {
    const store = new RetainedStore();
    expect(store.set(message("big", 256 * 1024 * 1024))).toBe("stored");
    expect(store.set(message("more", 1))).toBe("full");
    expect(store.set(message("big", ""))).toBe("cleared");
    for (let i = 0; i < 100_000; i++) store.set(message(`t/${i}`, 1));
    expect(store.size).toBe(100_000);
    expect(store.set(message("one/more", 1))).toBe("full");
  });

  it("refuses a new topic past maxMessages but still replaces existing ones", () => {
    const store = new RetainedStore({ maxMessages: 2 });
    expect(store.set(message("a", "1"))).toBe("stored");
    expect(store.set(message("b", "2"))).toBe("stored");
    expect(store.set(message("c", "3"))).toBe("full");
    expect(store.get("c")).toBeUndefined();
    expect(store.set(message("a", "replaced"))).toBe("stored");
    expect(store.get("a")?.payload).toEqual(encoder.encode("replaced"));
    expect(store.set(message("b", ""))).toBe("cleared");
    expect(store.set(message("c", "3"))).toBe("stored");
    expect(store.size).toBe(2);
  });

  it("refuses a new topic past maxBytes", () => {
    const store = new RetainedStore({ maxBytes: 10 });
    expect(store.set(message("a", 6))).toBe("stored");
    expect(store.set(message("b", 5))).toBe("full");
    expect(store.set(message("b", 4))).toBe("stored");
    expect(store.bytes).toBe(10);
    expect(store.set(message("c", 1))).toBe("full");
    expect(store.size).toBe(2);
  });

  it("replaces a topic only if the total stays within maxBytes, leaving the old message otherwise", () => {
    const store = new RetainedStore({ maxBytes: 10 });
    const old = message("a", 6);
    store.set(old);
    store.set(message("b", 4));
    expect(store.set(message("a", 7))).toBe("full");
    expect(store.get("a")).toBe(old);
    expect(store.bytes).toBe(10);
    expect(store.set(message("a", 2))).toBe("stored");
    expect(store.bytes).toBe(6);
    expect(store.set(message("a", 6))).toBe("stored");
    expect(store.bytes).toBe(10);
  });

  it("makes room for a new topic with expired messages when full", () => {
    const { store, clock } = clocked({ maxMessages: 2 });
    store.set(message("a", "x", { expiresAt: 2_000 }));
    store.set(message("b", "x"));
    expect(store.set(message("c", "x"))).toBe("full");
    clock.now = 2_000;
    expect(store.set(message("c", "x"))).toBe("stored");
    expect(topics(store.all())).toEqual(["b", "c"]);
  });

  it("replaces an expired message of the same topic like a new one", () => {
    const { store, clock } = clocked({ maxBytes: 10 });
    store.set(message("a", 8, { expiresAt: 1_500 }));
    clock.now = 1_500;
    const fresh = message("a", 9);
    expect(store.set(fresh)).toBe("stored");
    expect(store.get("a")).toBe(fresh);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(9);
  });
});

describe("RetainedStore: expiry", () => {
  it("drops a message from its expiry instant on", () => {
    const { store, clock } = clocked();
    const m = message("a/b", "xy", { expiresAt: 1_500 });
    store.set(m);
    store.set(message("a/c", "z"));
    clock.now = 1_499;
    expect(store.get("a/b")).toBe(m);
    clock.now = 1_500;
    expect(store.size).toBe(2); // not dropped until met
    expect(store.get("a/b")).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(1);
  });

  it("never expires a message without expiresAt", () => {
    const { store, clock } = clocked();
    store.set(message("a", "x"));
    clock.now = Number.MAX_SAFE_INTEGER;
    expect(store.get("a")?.topic).toBe("a");
  });

  it("leaves expired messages out of match and all, and drops them", () => {
    const { store, clock } = clocked();
    store.set(message("a/1", "x", { expiresAt: 1_100 }));
    store.set(message("a/2", "x", { expiresAt: 1_200 }));
    store.set(message("a/3", "x"));
    clock.now = 1_100;
    expect(topics(store.match("a/+"))).toEqual(["a/2", "a/3"]);
    expect(store.size).toBe(2);
    clock.now = 1_200;
    expect(topics(store.all())).toEqual(["a/3"]);
    expect(store.size).toBe(1);
    expect(store.nodeCount).toBe(2);
  });

  it("purges every expired message on demand", () => {
    const { store, clock } = clocked();
    store.set(message("a", "x", { expiresAt: 1_100 }));
    store.set(message("b/c", "x", { expiresAt: 1_300 }));
    store.set(message("d", "x"));
    clock.now = 1_200;
    expect(store.purgeExpired()).toBe(1);
    expect(topics(store.all())).toEqual(["b/c", "d"]);
    clock.now = 1_300;
    expect(store.purgeExpired()).toBe(1);
    expect(store.purgeExpired()).toBe(0);
    expect(store.nodeCount).toBe(1);
  });

  it("uses Date.now by default", () => {
    vi.useFakeTimers({ now: 10_000 });
    try {
      const store = new RetainedStore();
      store.set(message("a", "x", { expiresAt: 10_500 }));
      expect(store.get("a")).toBeDefined();
      vi.setSystemTime(10_500);
      expect(store.get("a")).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("RetainedStore: match", () => {
  const names = [
    "sport/tennis/player1",
    "sport/tennis/player1/ranking",
    "sport/tennis/player1/score/wimbledon",
    "sport/tennis/player2",
    "sport",
    "sport/",
    "/finance",
    "finance",
    "$SYS/broker/uptime",
    "$SYS",
    "a/$b",
  ];
  const store = new RetainedStore();
  for (const topic of names) store.set(message(topic, topic));

  it.each([
    ["sport/tennis/player1/#", ["sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon"]],
    ["sport/#", ["sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"]],
    ["sport/tennis/+", ["sport/tennis/player1", "sport/tennis/player2"]],
    ["sport/+", ["sport/"]],
    ["+/+", ["/finance", "sport/", "a/$b"]],
    ["/+", ["/finance"]],
    ["+", ["finance", "sport"]],
    ["+/tennis/#", ["sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"]],
    ["#", names.filter((t) => !t.startsWith("$")).sort()],
    ["$SYS/#", ["$SYS", "$SYS/broker/uptime"]],
    ["$SYS/+/uptime", ["$SYS/broker/uptime"]],
    ["+/broker/uptime", []],
    ["a/+", ["a/$b"]],
    ["finance", ["finance"]],
    ["nothing/+", []],
    ["sport/tennis/player1/score/wimbledon/#", ["sport/tennis/player1/score/wimbledon"]],
  ])("%j matches %j", (filter, expected) => {
    expect(topics(store.match(filter))).toEqual([...expected].sort());
  });

  it("refuses an invalid filter", () => {
    expect(() => store.match("a/#/b")).toThrow(RangeError);
    expect(() => store.match("")).toThrow(RangeError);
  });

  it("walks only the branches a filter can reach, not every topic", () => {
    const big = new RetainedStore();
    for (let i = 0; i < 10_000; i++) big.set(message(`device/${i}/state`, "x"));
    for (let i = 0; i < 3; i++) big.set(message(`room/1/${i}`, "x"));
    const get = vi.spyOn(Map.prototype, "get");
    let found: RetainedMessage[];
    try {
      found = big.match("room/1/+");
      expect(get.mock.calls.length).toBeLessThan(10);
    } finally {
      get.mockRestore();
    }
    expect(topics(found)).toEqual(["room/1/0", "room/1/1", "room/1/2"]);
  });
});

describe("RetainedStore: properties", () => {
  const nameLevel = fc.constantFrom("a", "b", "", "$x");
  const topicArb = fc
    .array(nameLevel, { minLength: 1, maxLength: 4 })
    .map((levels) => levels.join("/"))
    .filter((topic) => topic.length > 0);
  const filterArb = fc
    .array(fc.constantFrom("a", "b", "", "$x", "+", "#"), { minLength: 1, maxLength: 4 })
    .map((levels) => levels.map((l, i) => (l === "#" && i < levels.length - 1 ? "+" : l)).join("/"))
    .filter((filter) => filter.length > 0);
  const setArb = fc.record({ topic: topicArb, size: fc.nat(3), expiresAt: fc.option(fc.integer({ min: 1_000, max: 1_010 }), { nil: undefined }) });

  it("match returns exactly the live messages whose topic matches, and all empties cleanly", () => {
    fc.assert(
      fc.property(fc.array(setArb, { maxLength: 30 }), fc.array(filterArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1_000, max: 1_011 }), (sets, filters, at) => {
        const { store, clock } = clocked();
        const model = new Map<string, RetainedMessage>();
        for (const { topic, size, expiresAt } of sets) {
          const m = message(topic, size, expiresAt === undefined ? {} : { expiresAt });
          store.set(m);
          if (size === 0) model.delete(topic);
          else model.set(topic, m);
        }
        expect(store.size).toBe(model.size);
        expect(store.bytes).toBe([...model.values()].reduce((sum, m) => sum + m.payload.byteLength, 0));
        clock.now = at;
        const live = [...model.values()].filter((m) => m.expiresAt === undefined || m.expiresAt > at);
        for (const filter of filters) {
          const expected = live.filter((m) => topicMatches(filter, m.topic));
          expect(topics(store.match(filter))).toEqual(topics(expected));
          for (const m of store.match(filter)) expect(model.get(m.topic)).toBe(m);
        }
        expect(topics(store.all())).toEqual(topics(live));
        expect(store.size).toBe(live.length);
        for (const m of live) expect(store.delete(m.topic)).toBe(true);
        expect(store.size).toBe(0);
        expect(store.bytes).toBe(0);
        expect(store.nodeCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("never exceeds its limits", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ topic: topicArb, size: fc.nat(6) }), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), (sets, maxMessages, maxBytes) => {
        const store = new RetainedStore({ maxMessages, maxBytes });
        for (const { topic, size } of sets) {
          const before = store.get(topic);
          const result = store.set(message(topic, size));
          if (size === 0) expect(result).toBe("cleared");
          if (result === "full") expect(store.get(topic)).toBe(before);
          expect(store.size).toBeLessThanOrEqual(maxMessages);
          expect(store.bytes).toBeLessThanOrEqual(maxBytes);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The subscription trie: set/get/delete by (filter, key), routing a topic to matching entries, pruning. */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { SubscriptionTree } from "../../src/mqtt/subscription-tree.js";
import { topicMatches } from "../../src/mqtt/topic.js";

/** The (filter, key, value) triples `match` visits for `topic`, sorted for comparison. */
function matches<K, V>(tree: SubscriptionTree<K, V>, topic: string): Array<[string, K, V]> {
  const found: Array<[string, K, V]> = [];
  tree.match(topic, (key, value, filter) => found.push([filter, key, value]));
  return found.sort(compareTriples);
}

function compareTriples(a: readonly [string, unknown, unknown], b: readonly [string, unknown, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : String(a[1]) < String(b[1]) ? -1 : String(a[1]) > String(b[1]) ? 1 : 0;
}

/** The filters `match` visits for `topic` (key "k" under each), sorted. */
function matchingFilters(filters: readonly string[], topic: string): string[] {
  const tree = new SubscriptionTree<string, number>();
  for (const filter of filters) tree.set(filter, "k", 1);
  return matches(tree, topic).map(([filter]) => filter);
}

describe("SubscriptionTree: entries", () => {
  it("adds, replaces, reads and deletes an entry", () => {
    const tree = new SubscriptionTree<string, number>();
    expect(tree.set("a/b", "s1", 1)).toBe(true);
    expect(tree.get("a/b", "s1")).toBe(1);
    expect(tree.has("a/b", "s1")).toBe(true);
    expect(tree.set("a/b", "s1", 2)).toBe(false);
    expect(tree.get("a/b", "s1")).toBe(2);
    expect(tree.size).toBe(1);
    expect(tree.filterCount).toBe(1);
    expect(tree.delete("a/b", "s1")).toBe(true);
    expect(tree.get("a/b", "s1")).toBeUndefined();
    expect(tree.has("a/b", "s1")).toBe(false);
    expect(tree.delete("a/b", "s1")).toBe(false);
    expect(tree.size).toBe(0);
    expect(tree.filterCount).toBe(0);
    expect(tree.nodeCount).toBe(0);
  });

  it("counts entries and distinct filters", () => {
    const tree = new SubscriptionTree<string, string>();
    tree.set("a/+", "s1", "x");
    tree.set("a/+", "s2", "x");
    tree.set("a/#", "s1", "x");
    tree.set("#", "s3", "x");
    expect(tree.size).toBe(4);
    expect(tree.filterCount).toBe(3);
    tree.delete("a/+", "s1");
    expect(tree.size).toBe(3);
    expect(tree.filterCount).toBe(3);
    tree.delete("a/+", "s2");
    expect(tree.filterCount).toBe(2);
  });

  it("compares keys by identity", () => {
    const tree = new SubscriptionTree<object, string>();
    const one = { id: 1 };
    const same = { id: 1 };
    expect(tree.set("t", one, "first")).toBe(true);
    expect(tree.set("t", same, "second")).toBe(true);
    expect(tree.get("t", one)).toBe("first");
    expect(tree.get("t", same)).toBe("second");
    expect(tree.get("t", { id: 1 })).toBeUndefined();
    expect(tree.size).toBe(2);
  });

  it("keeps filters apart that differ only in empty levels or slashes", () => {
    const tree = new SubscriptionTree<string, string>();
    for (const filter of ["a", "a/", "/a", "a//b", "a/b", "/", "//"]) tree.set(filter, "k", filter);
    expect(tree.filterCount).toBe(7);
    for (const filter of ["a", "a/", "/a", "a//b", "a/b", "/", "//"]) expect(tree.get(filter, "k")).toBe(filter);
    expect(tree.get("b", "k")).toBeUndefined();
    expect(tree.get("a/b/c", "k")).toBeUndefined();
  });

  it("treats get and delete of filters it does not hold as misses, without creating nodes", () => {
    const tree = new SubscriptionTree<string, number>();
    tree.set("a/b", "k", 1);
    const nodes = tree.nodeCount;
    expect(tree.get("a", "k")).toBeUndefined(); // a node with no entries
    expect(tree.get("a/b/c", "k")).toBeUndefined();
    expect(tree.get("a/b", "other")).toBeUndefined();
    expect(tree.delete("a", "k")).toBe(false);
    expect(tree.delete("a/b/c", "k")).toBe(false);
    expect(tree.delete("a/b", "other")).toBe(false);
    expect(tree.delete("x/#/y", "k")).toBe(false);
    expect(tree.nodeCount).toBe(nodes);
    expect(tree.size).toBe(1);
  });

  it("refuses an invalid filter", () => {
    const tree = new SubscriptionTree<string, number>();
    for (const filter of ["", "a/#/b", "a+", "a/b#", "a\u0000"]) expect(() => tree.set(filter, "k", 1)).toThrow(RangeError);
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(0);
  });

  it("lists every entry", () => {
    const tree = new SubscriptionTree<string, number>();
    tree.set("a/b", "s1", 1);
    tree.set("a/b", "s2", 2);
    tree.set("a", "s1", 3);
    tree.set("#", "s3", 4);
    tree.set("+/b/#", "s1", 5);
    expect([...tree.entries()].sort(compareTriples)).toEqual([
      ["#", "s3", 4],
      ["+/b/#", "s1", 5],
      ["a", "s1", 3],
      ["a/b", "s1", 1],
      ["a/b", "s2", 2],
    ]);
  });

  it("prunes nodes as entries go, back to an empty trie", () => {
    const tree = new SubscriptionTree<string, number>();
    tree.set("a/b/c/d", "k", 1);
    expect(tree.nodeCount).toBe(4);
    tree.set("a/b", "k", 2);
    expect(tree.nodeCount).toBe(4);
    tree.set("a/x/#", "k", 3);
    expect(tree.nodeCount).toBe(6);
    tree.delete("a/b/c/d", "k");
    expect(tree.nodeCount).toBe(4); // a, a/b, a/x, a/x/#
    tree.delete("a/x/#", "k");
    expect(tree.nodeCount).toBe(2);
    tree.delete("a/b", "k");
    expect(tree.nodeCount).toBe(0);
    expect([...tree.entries()]).toEqual([]);
  });

  it("keeps an inner node that still has entries when its children go", () => {
    const tree = new SubscriptionTree<string, number>();
    tree.set("a", "k", 1);
    tree.set("a/b", "k", 2);
    tree.delete("a/b", "k");
    expect(tree.nodeCount).toBe(1);
    expect(matches(tree, "a")).toEqual([["a", "k", 1]]);
  });

  it("clear empties it", () => {
    const tree = new SubscriptionTree<string, number>();
    tree.set("a/b", "k", 1);
    tree.set("#", "k", 1);
    tree.clear();
    expect(tree.size).toBe(0);
    expect(tree.filterCount).toBe(0);
    expect(tree.nodeCount).toBe(0);
    expect(matches(tree, "a/b")).toEqual([]);
  });
});

describe("SubscriptionTree: match", () => {
  it("routes the multi-level wildcard examples of the spec", () => {
    const filters = ["sport/tennis/player1/#"];
    expect(matchingFilters(filters, "sport/tennis/player1")).toEqual(filters);
    expect(matchingFilters(filters, "sport/tennis/player1/ranking")).toEqual(filters);
    expect(matchingFilters(filters, "sport/tennis/player1/score/wimbledon")).toEqual(filters);
    expect(matchingFilters(filters, "sport/tennis/player2")).toEqual([]);
    expect(matchingFilters(["sport/#"], "sport")).toEqual(["sport/#"]);
    expect(matchingFilters(["a/#"], "a/")).toEqual(["a/#"]);
    expect(matchingFilters(["a/#"], "a/b/c")).toEqual(["a/#"]);
    expect(matchingFilters(["#"], "sport/tennis")).toEqual(["#"]);
  });

  it("routes the single-level wildcard examples of the spec", () => {
    expect(matchingFilters(["sport/tennis/+"], "sport/tennis/player1")).toEqual(["sport/tennis/+"]);
    expect(matchingFilters(["sport/tennis/+"], "sport/tennis/player1/ranking")).toEqual([]);
    expect(matchingFilters(["sport/+"], "sport")).toEqual([]);
    expect(matchingFilters(["sport/+"], "sport/")).toEqual(["sport/+"]);
    expect(matchingFilters(["sport/+"], "sport/tennis/player1")).toEqual([]);
    expect(matchingFilters(["+/+", "/+", "+"], "/finance")).toEqual(["+/+", "/+"]);
    expect(matchingFilters(["+"], "finance")).toEqual(["+"]);
  });

  it("visits every matching filter once, among many that overlap", () => {
    const filters = ["a/b/c", "a/b/+", "a/+/c", "+/b/c", "+/+/+", "a/#", "a/b/#", "a/b/c/#", "#", "+/#", "a/b", "a/b/c/d", "b/#", "+/+"];
    expect(matchingFilters(filters, "a/b/c")).toEqual(["#", "+/#", "+/+/+", "+/b/c", "a/#", "a/+/c", "a/b/#", "a/b/+", "a/b/c", "a/b/c/#"]);
    expect(matchingFilters(filters, "a/b")).toEqual(["#", "+/#", "+/+", "a/#", "a/b", "a/b/#"]);
    expect(matchingFilters(filters, "a")).toEqual(["#", "+/#", "a/#"]);
  });

  it("visits each key of a matching filter, with its value and filter", () => {
    const tree = new SubscriptionTree<string, string>();
    tree.set("a/+", "s1", "one");
    tree.set("a/+", "s2", "two");
    tree.set("a/b", "s1", "three");
    tree.set("a/c", "s3", "four");
    expect(matches(tree, "a/b")).toEqual([
      ["a/+", "s1", "one"],
      ["a/+", "s2", "two"],
      ["a/b", "s1", "three"],
    ]);
  });

  it("does not route $ topics to filters that start with a wildcard", () => {
    const filters = ["#", "+/x", "+/#", "+", "$SYS/#", "$SYS/+", "$a/x", "+/+"];
    expect(matchingFilters(filters, "$SYS/x")).toEqual(["$SYS/#", "$SYS/+"]);
    expect(matchingFilters(filters, "$SYS")).toEqual(["$SYS/#"]);
    expect(matchingFilters(filters, "$a/x")).toEqual(["$a/x"]);
    expect(matchingFilters(filters, "$")).toEqual([]);
    expect(matchingFilters(filters, "b/x")).toEqual(["#", "+/#", "+/+", "+/x"]);
    // `$` below the first level is ordinary.
    expect(matchingFilters(filters, "b/$x")).toEqual(["#", "+/#", "+/+"]);
  });

  it("matches nothing on an empty tree or with no match", () => {
    const tree = new SubscriptionTree<string, number>();
    expect(matches(tree, "a")).toEqual([]);
    tree.set("b", "k", 1);
    expect(matches(tree, "a")).toEqual([]);
  });

  it("reaches wildcard nodes once even for a topic with a literal + or #", () => {
    // Not valid topic names; `match` must still not visit an entry twice.
    expect(matchingFilters(["a/+", "a/#"], "a/+")).toEqual(["a/#", "a/+"]);
    expect(matchingFilters(["a/+", "a/#"], "a/#")).toEqual(["a/#", "a/+"]);
  });

  it("walks only the branches a topic can reach, not every subscription", () => {
    const tree = new SubscriptionTree<number, number>();
    for (let i = 0; i < 10_000; i++) tree.set(`device/${i}/state`, i, i);
    tree.set("device/+/state", -1, -1);
    tree.set("device/#", -2, -2);
    // Count the trie lookups of one match: a few per level, however many subscriptions there are.
    const get = vi.spyOn(Map.prototype, "get");
    const visited: number[] = [];
    try {
      tree.match("device/42/state", (key) => visited.push(key));
      expect(get.mock.calls.length).toBeLessThan(20);
    } finally {
      get.mockRestore();
    }
    expect(visited.sort((a, b) => a - b)).toEqual([-2, -1, 42]);
  });
});

describe("SubscriptionTree: properties", () => {
  const level = fc.constantFrom("a", "b", "", "$x", "+", "#");
  const nameLevel = fc.constantFrom("a", "b", "", "$x");
  /** Filters from the alphabet, with `#` only as the last level. */
  const filterArb = fc
    .array(level, { minLength: 1, maxLength: 4 })
    .map((levels) => levels.map((l, i) => (l === "#" && i < levels.length - 1 ? "a" : l)).join("/"))
    .filter((filter) => filter.length > 0);
  const topicArb = fc
    .array(nameLevel, { minLength: 1, maxLength: 5 })
    .map((levels) => levels.join("/"))
    .filter((topic) => topic.length > 0);
  const keyArb = fc.constantFrom("k1", "k2", "k3");

  it("match visits exactly the (filter, key) pairs whose filter matches the topic", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filterArb, keyArb), { maxLength: 30 }), fc.array(topicArb, { minLength: 1, maxLength: 10 }), (subscriptions, topics) => {
        const tree = new SubscriptionTree<string, string>();
        const model = new Map<string, [string, string, string]>();
        subscriptions.forEach(([filter, key], i) => {
          tree.set(filter, key, `v${i}`);
          model.set(`${filter}\u0000${key}`, [filter, key, `v${i}`]);
        });
        expect(tree.size).toBe(model.size);
        expect(tree.filterCount).toBe(new Set(subscriptions.map(([filter]) => filter)).size);
        for (const topic of topics) {
          const expected = [...model.values()].filter(([filter]) => topicMatches(filter, topic)).sort(compareTriples);
          expect(matches(tree, topic)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with a model through adds and deletes, and ends empty once everything is deleted", () => {
    const op = fc.oneof(
      fc.record({ add: fc.constant(true), filter: filterArb, key: keyArb, value: fc.nat(9) }),
      fc.record({ add: fc.constant(false), filter: filterArb, key: keyArb, value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), topicArb, (ops, topic) => {
        const tree = new SubscriptionTree<string, number>();
        const model = new Map<string, [string, string, number]>();
        for (const { add, filter, key, value } of ops) {
          const id = `${filter}\u0000${key}`;
          if (add) {
            expect(tree.set(filter, key, value)).toBe(!model.has(id));
            model.set(id, [filter, key, value]);
          } else {
            expect(tree.delete(filter, key)).toBe(model.delete(id));
          }
          expect(tree.size).toBe(model.size);
        }
        expect([...tree.entries()].sort(compareTriples)).toEqual([...model.values()].sort(compareTriples));
        expect(tree.filterCount).toBe(new Set([...model.values()].map(([filter]) => filter)).size);
        for (const [filter, key, value] of model.values()) expect(tree.get(filter, key)).toBe(value);
        const expected = [...model.values()].filter(([filter]) => topicMatches(filter, topic)).sort(compareTriples);
        expect(matches(tree, topic)).toEqual(expected);
        for (const [filter, key] of model.values()) expect(tree.delete(filter, key)).toBe(true);
        expect(tree.size).toBe(0);
        expect(tree.filterCount).toBe(0);
        expect(tree.nodeCount).toBe(0);
        expect([...tree.entries()]).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

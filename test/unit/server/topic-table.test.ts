/** TopicTable: a connection's channels by topic, through its one-entry, array and Map forms. */
import { describe, expect, it } from "vitest";
import { TopicTable } from "../../../src/server/socket/topic-table.js";

interface Entry {
  readonly topic: string;
  readonly n: number;
}

const entry = (topic: string, n = 0): Entry => ({ topic, n });

describe("TopicTable", () => {
  it("behaves as a map from topic to entry at every size, keeping first-set order", () => {
    for (const count of [0, 1, 2, 3, 8, 9, 20]) {
      const table = new TopicTable<Entry>();
      const topics = Array.from({ length: count }, (_, i) => `room:${i}`);
      for (const topic of topics) table.set(entry(topic));
      expect(table.size).toBe(count);
      expect(table.values().map((e) => e.topic)).toEqual(topics);
      for (const topic of topics) expect(table.get(topic)?.topic).toBe(topic);
      expect(table.get("room:none")).toBeUndefined();
      // Replacing keeps the place.
      if (count > 0) {
        table.set(entry(topics[0]!, 1));
        expect(table.get(topics[0]!)?.n).toBe(1);
        expect(table.values().map((e) => e.topic)).toEqual(topics);
        expect(table.size).toBe(count);
      }
      // Deleting from the middle, then everything.
      if (count > 2) {
        expect(table.delete(topics[1]!)).toBe(true);
        expect(table.get(topics[1]!)).toBeUndefined();
        expect(table.values().map((e) => e.topic)).toEqual(topics.filter((_, i) => i !== 1));
      }
      expect(table.delete("room:none")).toBe(false);
      for (const topic of topics) table.delete(topic);
      expect(table.size).toBe(0);
      expect(table.values()).toEqual([]);
    }
  });

  it("lets entries be deleted while iterating its values", () => {
    const table = new TopicTable<Entry>();
    for (let i = 0; i < 5; i++) table.set(entry(`t:${i}`));
    for (const e of table.values()) table.delete(e.topic);
    expect(table.size).toBe(0);
  });

  it("goes back to one entry after deletes, and grows again", () => {
    const table = new TopicTable<Entry>();
    table.set(entry("a"));
    table.set(entry("b"));
    table.delete("a");
    expect(table.values()).toEqual([entry("b")]);
    table.set(entry("c"));
    expect(table.values().map((e) => e.topic)).toEqual(["b", "c"]);
    table.delete("c");
    table.delete("b");
    expect(table.get("b")).toBeUndefined();
    table.set(entry("d"));
    expect(table.get("d")).toEqual(entry("d"));
  });
});

// The pure parts of fenix/metrics, table-driven: the label cap, the loopback test, the queue statistics
// and the presence tally.
import { describe, expect, it } from "vitest";
import { percentile } from "../../../src/metrics/connection-summary.js";
import { LabelCap, OTHER_LABEL } from "../../../src/metrics/label-cap.js";
import { isLoopback } from "../../../src/metrics/loopback.js";
import { PresenceTally } from "../../../src/metrics/presence-tally.js";

describe("LabelCap", () => {
  it("keeps the first values, folds later ones into (other), and counts each fold", () => {
    let folds = 0;
    const cap = new LabelCap(2, () => folds++);
    expect(["a", "b", "c", "a", "d", "b"].map((v) => cap.of(v))).toEqual(["a", "b", OTHER_LABEL, "a", OTHER_LABEL, "b"]);
    expect(folds).toBe(2);
    expect(cap.size).toBe(2);
  });
});

describe("isLoopback", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.3.4", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["::FFFF:127.1.2.3", true],
    ["10.0.0.1", false],
    ["128.0.0.1", false],
    ["1127.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::2", false],
    ["fe80::1", false],
    ["localhost", false],
    ["", false],
    [undefined, false],
  ])("%s → %s", (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe("percentile", () => {
  it.each([
    [[], 0],
    [[5], 5],
    [[3, 1, 2], 3],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99],
    [Array.from({ length: 1000 }, (_, i) => 1000 - i), 990],
  ])("p99 of %j is %d", (values, expected) => {
    expect(percentile(Float64Array.from(values), 0.99)).toBe(expected);
  });
});

describe("PresenceTally", () => {
  it("sums the last size of every topic per tracker, and forgets topics that empty", () => {
    const tally = new PresenceTally();
    const [a, b] = [{}, {}];
    const steps: Array<[object, string, number, number, number]> = [
      // tracker, topic, size after the diff → presences, topics
      [a, "room:1", 2, 2, 1],
      [a, "room:2", 3, 5, 2],
      [b, "room:1", 1, 6, 3],
      [a, "room:1", 1, 5, 3],
      [a, "room:2", 0, 2, 2],
      [a, "room:2", 0, 2, 2],
      [b, "room:1", 0, 1, 1],
    ];
    for (const [tracker, topic, size, presences, topics] of steps) {
      tally.update(tracker, topic, size);
      expect([tally.presences, tally.topics]).toEqual([presences, topics]);
    }
  });
});

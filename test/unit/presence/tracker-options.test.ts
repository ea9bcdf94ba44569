// Tracker options: defaults derived from the heartbeat period, and the checks that keep the timers sane;
// topics spread over shards the same way on every node.
import { describe, expect, it } from "vitest";
import { PresenceErrorCode } from "../../../src/presence/index.js";
import { resolveTrackerOptions, shardOf, shardTopic } from "../../../src/presence/tracker-options.js";

describe("tracker options", () => {
  it("derives downPeriodMs from the heartbeat period and the silent periods", () => {
    expect(resolveTrackerOptions()).toMatchObject({
      name: "presence",
      poolSize: 1,
      broadcastPeriodMs: 1500,
      maxSilentPeriods: 10,
      downPeriodMs: 30_000,
      permdownPeriodMs: 1_200_000,
      clockSamplePeriods: 2,
      maxDeltaSizes: [100, 1000, 10_000],
      permdownOnShutdown: false,
    });
    expect(resolveTrackerOptions({ broadcastPeriodMs: 100, maxSilentPeriods: 5 }).downPeriodMs).toBe(1_000);
  });

  it.each([
    [{ poolSize: 0 }, "poolSize"],
    [{ broadcastPeriodMs: 1.5 }, "broadcastPeriodMs"],
    [{ broadcastPeriodMs: 1000, downPeriodMs: 1500 }, "at least twice"],
    [{ downPeriodMs: 10_000, permdownPeriodMs: 10_000 }, "longer than downPeriodMs"],
    [{ maxDeltaSizes: [100, -1] }, "maxDeltaSizes"],
    [{ name: "" }, "name"],
  ])("refuses %j", (options, message) => {
    expect(() => resolveTrackerOptions(options)).toThrow(expect.objectContaining({ code: PresenceErrorCode.BAD_ARGUMENT }) as Error);
    expect(() => resolveTrackerOptions(options)).toThrow(message);
  });

  it("puts a topic in the same shard every time, and spreads topics over every shard", () => {
    const topics = Array.from({ length: 1000 }, (_, i) => `room:${i}`);
    const shards = topics.map((topic) => shardOf(topic, 4));
    expect(topics.map((topic) => shardOf(topic, 4))).toEqual(shards);
    for (let n = 0; n < 4; n++) expect(shards.filter((s) => s === n).length).toBeGreaterThan(150);
    expect(shardOf("anything", 1)).toBe(0);
    expect(shardTopic("presence", 2)).toBe("phx_presence:presence_shard2");
  });
});

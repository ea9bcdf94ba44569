/** The Redis adapter passes the adapter conformance suite against the machine's Redis, on a channel prefix of its own per case. */
import { randomBytes } from "node:crypto";
import { describe, it } from "vitest";
import { RedisAdapter } from "../../../src/pubsub/redis/index.js";
import { adapterConformance } from "../../../src/testing/adapter.js";
import { REDIS_URL, requireRedis } from "../../support/redis.js";

const redis = await requireRedis();

describe.skipIf(!redis)(`PubSub adapter conformance: Redis${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  const newCluster = () => {
    const prefix = `fenix-test:${randomBytes(6).toString("hex")}`;
    return { adapter: () => new RedisAdapter({ url: REDIS_URL, prefix, heartbeatMs: 100 }) };
  };
  for (const c of adapterConformance({ newCluster, history: true })) it(c.name, c.run);
});

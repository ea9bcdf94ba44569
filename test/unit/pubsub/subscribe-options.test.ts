// PubSub.subscribe's watch option: by default a subscriber's subscriptions end when it exits; with
// `watch: false` they stay until the subscriber unsubscribes itself.
import { describe, expect, it } from "vitest";
import { Process, PubSub, Runtime } from "../../../src/index.js";
import { settle } from "../../support/collector.js";

class Idle extends Process {
  protected handleMessage(): void {}
  end(): void {
    this.stop();
  }
}

async function setup() {
  const runtime = new Runtime({ node: "subscribe-options" });
  const pubsub = new PubSub({ runtime });
  await pubsub.start();
  return { runtime, pubsub };
}

describe("PubSub.subscribe options", () => {
  it("drops the subscriptions of a watched subscriber when it exits", async () => {
    const { runtime, pubsub } = await setup();
    const subscriber = new Idle(runtime);
    pubsub.subscribe("t:watched", subscriber.pid);
    subscriber.end();
    await settle();
    expect(pubsub.subscriberCount("t:watched")).toBe(0);
    await pubsub.stop();
  });

  it("keeps an unwatched subscription until the subscriber unsubscribes itself", async () => {
    const { runtime, pubsub } = await setup();
    const subscriber = new Idle(runtime);
    pubsub.subscribe("t:self", subscriber.pid, undefined, { watch: false });
    expect(pubsub.subscriberCount("t:self")).toBe(1);
    subscriber.end();
    await settle();
    // Nobody watched it: the subscription is the subscriber's to remove (channel processes do it in onExit).
    expect(pubsub.subscriberCount("t:self")).toBe(1);
    pubsub.unsubscribe("t:self", subscriber.pid);
    expect(pubsub.subscriberCount("t:self")).toBe(0);
    await pubsub.stop();
  });

  it("mixes both kinds on one subscriber: only the watched topics are dropped on exit", async () => {
    const { runtime, pubsub } = await setup();
    const subscriber = new Idle(runtime);
    pubsub.subscribe("t:a", subscriber.pid);
    pubsub.subscribe("t:b", subscriber.pid, undefined, { watch: false });
    subscriber.end();
    await settle();
    expect(pubsub.subscriberCount("t:a")).toBe(0);
    expect(pubsub.subscriberCount("t:b")).toBe(1);
    await pubsub.stop();
  });
});

/**
 * The fastlane dispatcher: one encoding per serializer per broadcast, the same bytes to every transport,
 * intercepted events to the subscriber's process, the sender skipped, and encode failures contained.
 */
import { describe, expect, it } from "vitest";
import { PubSub, Runtime, ServerErrorCode } from "../../../src/index.js";
import { FASTLANE_DISPATCHER, FastlaneSubscription, subscribeFastlane, InterceptedBroadcast, fastlaneDispatcher, type FastlaneTarget } from "../../../src/server/channel/fastlane.js";
import { V1JsonSerializer, V2JsonSerializer, type Serializer } from "../../../src/protocol/index.js";
import { Collector } from "../../support/collector.js";

class RecordingTarget implements FastlaneTarget {
  readonly frames: Array<{ data: Uint8Array; binary: boolean }> = [];
  constructor(readonly serializer: Serializer) {}
  sendEncoded(data: Uint8Array, binary: boolean): void {
    this.frames.push({ data, binary });
  }
  text(i = 0): string {
    return new TextDecoder().decode(this.frames[i]!.data);
  }
}

/** Counts encodeBroadcast calls of a serializer. */
function counting(serializer: Serializer): Serializer & { calls: number } {
  const wrapped: Serializer & { calls: number } = {
    calls: 0,
    vsn: serializer.vsn,
    supportsBinary: serializer.supportsBinary,
    encodePush: (m) => serializer.encodePush(m),
    encodeReply: (r) => serializer.encodeReply(r),
    decode: (data, binary) => serializer.decode(data, binary),
    encodeBroadcast: (b) => {
      wrapped.calls++;
      return serializer.encodeBroadcast(b);
    },
  };
  return wrapped;
}

async function setup(onError?: (e: Error) => void) {
  const runtime = new Runtime({ node: "fastlane-test" });
  const pubsub = new PubSub({ runtime, ...(onError ? { onError } : {}) });
  pubsub.registerDispatcher(FASTLANE_DISPATCHER, fastlaneDispatcher);
  await pubsub.start();
  return { runtime, pubsub };
}

const broadcast = (topic: string, event: string, payload: unknown) => ({ topic, event, payload });

describe("fastlane dispatcher", () => {
  it("encodes once per serializer and hands the same bytes to every transport", async () => {
    const { runtime, pubsub } = await setup();
    const v2 = counting(V2JsonSerializer);
    const v1 = counting(V1JsonSerializer);
    const targets = [v2, v2, v2, v1, v1].map((s) => new RecordingTarget(s));
    for (const t of targets) subscribeFastlane(pubsub, "room:1", new FastlaneSubscription(new Collector(runtime).pid, t, new Set()));
    pubsub.broadcast("room:1", broadcast("room:1", "new_msg", { body: "hi" }), { dispatcher: "fastlane" });
    expect(v2.calls).toBe(1);
    expect(v1.calls).toBe(1);
    expect(targets[0]!.frames[0]!.data).toBe(targets[1]!.frames[0]!.data);
    expect(targets[0]!.text()).toBe('[null,null,"room:1","new_msg",{"body":"hi"}]');
    expect(targets[3]!.text()).toBe('{"topic":"room:1","event":"new_msg","payload":{"body":"hi"},"ref":null}');
    expect(targets.every((t) => t.frames.length === 1 && t.frames[0]!.binary === false)).toBe(true);
    await pubsub.stop();
  });

  it("keeps a fastlane subscriber as its own record, beside plain subscribers, until it unsubscribes", async () => {
    const { runtime, pubsub } = await setup();
    const target = new RecordingTarget(V2JsonSerializer);
    const plain = new Collector(runtime);
    const subscriber = new FastlaneSubscription(new Collector(runtime).pid, target);
    subscribeFastlane(pubsub, "t", subscriber);
    pubsub.subscribe("t", plain.pid, { some: "meta" });
    const records = pubsub.subscribers("t");
    expect(records).toHaveLength(2);
    expect(records[0]).toBe(subscriber);
    expect(records[0]!.meta).toBe(subscriber);
    expect(records[1]).toMatchObject({ pid: plain.pid, meta: { some: "meta" } });
    pubsub.broadcast("t", broadcast("t", "e", { n: 1 }), { dispatcher: "fastlane" });
    expect(target.frames).toHaveLength(1);
    await plain.waitFor(1);
    expect(plain.messages[0]).toMatchObject({ topic: "t", event: "e" });
    pubsub.unsubscribe("t", subscriber.pid);
    pubsub.broadcast("t", broadcast("t", "e", { n: 2 }), { dispatcher: "fastlane" });
    expect(target.frames).toHaveLength(1);
    await pubsub.stop();
  });

  it("sends binary payloads as binary frames", async () => {
    const { runtime, pubsub } = await setup();
    const target = new RecordingTarget(V2JsonSerializer);
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(new Collector(runtime).pid, target, new Set()));
    pubsub.broadcast("t", broadcast("t", "b", new Uint8Array([1, 2])), { dispatcher: "fastlane" });
    expect(target.frames[0]!.binary).toBe(true);
    expect([...target.frames[0]!.data]).toEqual([2, 1, 1, 0x74, 0x62, 1, 2]);
    await pubsub.stop();
  });

  it("routes intercepted events to the subscriber's process instead of its transport", async () => {
    const { runtime, pubsub } = await setup();
    const target = new RecordingTarget(V2JsonSerializer);
    const channel = new Collector(runtime);
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(channel.pid, target, new Set(["shout"])));
    pubsub.broadcast("t", broadcast("t", "shout", { a: 1 }), { dispatcher: "fastlane" });
    pubsub.broadcast("t", broadcast("t", "talk", { a: 2 }), { dispatcher: "fastlane" });
    const [message] = await channel.waitFor(1);
    expect(message).toBeInstanceOf(InterceptedBroadcast);
    expect((message as InterceptedBroadcast).broadcast).toEqual(broadcast("t", "shout", { a: 1 }));
    expect(target.frames).toHaveLength(1);
    expect(target.text()).toContain('"talk"');
    await pubsub.stop();
  });

  it("skips the sender on broadcastFrom and gives plain subscribers the broadcast itself", async () => {
    const { runtime, pubsub } = await setup();
    const senderTarget = new RecordingTarget(V2JsonSerializer);
    const otherTarget = new RecordingTarget(V2JsonSerializer);
    const sender = new Collector(runtime);
    const plain = new Collector(runtime);
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(sender.pid, senderTarget, new Set()));
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(new Collector(runtime).pid, otherTarget, new Set()));
    pubsub.subscribe("t", plain.pid);
    const b = broadcast("t", "e", {});
    pubsub.broadcastFrom(sender.pid, "t", b, { dispatcher: "fastlane" });
    expect(senderTarget.frames).toHaveLength(0);
    expect(otherTarget.frames).toHaveLength(1);
    expect(await plain.waitFor(1)).toEqual([b]);
    await pubsub.stop();
  });

  it("reports a payload one serializer cannot encode and still serves the others", async () => {
    const errors: Error[] = [];
    const { runtime, pubsub } = await setup((e) => errors.push(e));
    const v1 = new RecordingTarget(V1JsonSerializer);
    const v2 = new RecordingTarget(V2JsonSerializer);
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(new Collector(runtime).pid, v1, new Set()));
    subscribeFastlane(pubsub, "t", new FastlaneSubscription(new Collector(runtime).pid, v2, new Set()));
    pubsub.broadcast("t", broadcast("t", "b", new Uint8Array([9])), { dispatcher: "fastlane" });
    expect(v1.frames).toHaveLength(0);
    expect(v2.frames).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: ServerErrorCode.BROADCAST_ENCODE_FAILED });
    await pubsub.stop();
  });
});

/**
 * Microbenchmark of the fastlane: the cost of one broadcast to N local subscribers, encoded once per
 * serializer, compared with encoding for every subscriber. In-process, no sockets: it measures the
 * dispatch itself. The end-to-end benchmarks against other servers come with `bench/` scenarios later.
 */
import { performance } from "node:perf_hooks";
import { Process, TelemetryEvent, onTelemetry, PubSub, Runtime } from "../src/index.js";
import { FastlaneSubscription, subscribeFastlane, fastlaneDispatcher, type FastlaneTarget } from "../src/server/channel/fastlane.js";
import { V2JsonSerializer, type Serializer } from "../src/protocol/index.js";

class Idle extends Process {
  protected handleMessage(): void {}
}

class CountingTarget implements FastlaneTarget {
  frames = 0;
  bytes = 0;
  constructor(readonly serializer: Serializer) {}
  sendEncoded(data: Uint8Array): void {
    this.frames++;
    this.bytes += data.byteLength;
  }
}

const payload = { name: "alice", body: "The quick brown fox jumps over the lazy dog. ".repeat(3), at: 1_795_000_000_000 };

async function run(subscribers: number, broadcasts: number): Promise<void> {
  const runtime = new Runtime({ node: "bench" });
  const pubsub = new PubSub({ runtime });
  // What every endpoint does: channel broadcasts go through the fastlane.
  pubsub.registerDispatcher("fastlane", fastlaneDispatcher);
  await pubsub.start();
  const targets: CountingTarget[] = [];
  for (let i = 0; i < subscribers; i++) {
    const target = new CountingTarget(V2JsonSerializer);
    targets.push(target);
    subscribeFastlane(pubsub, "room:bench", new FastlaneSubscription(new Idle(runtime).pid, target, new Set()));
  }
  const message = { topic: "room:bench", event: "new_msg", payload };
  for (let i = 0; i < 50; i++) pubsub.broadcast("room:bench", message, { dispatcher: "fastlane" });

  const start = performance.now();
  for (let i = 0; i < broadcasts; i++) pubsub.broadcast("room:bench", message, { dispatcher: "fastlane" });
  const fastlaneMs = performance.now() - start;

  // The same with a telemetry listener on the broadcast event (it counts subscribers and bytes).
  let events = 0;
  const stop = onTelemetry(TelemetryEvent.BROADCAST, () => events++);
  const tracedStart = performance.now();
  for (let i = 0; i < broadcasts; i++) pubsub.broadcast("room:bench", message, { dispatcher: "fastlane" });
  const tracedMs = performance.now() - tracedStart;
  stop();
  if (events !== broadcasts) throw new Error(`saw ${events} broadcast events, expected ${broadcasts}`);

  const encoder = new TextEncoder();
  const naiveStart = performance.now();
  let sink = 0;
  for (let i = 0; i < broadcasts; i++) {
    for (const target of targets) sink += encoder.encode(V2JsonSerializer.encodeBroadcast(message) as string).byteLength + target.frames * 0;
  }
  const naiveMs = performance.now() - naiveStart;

  const deliveries = subscribers * broadcasts;
  const delivered = targets.reduce((n, t) => n + t.frames, 0) - subscribers * (50 + broadcasts);
  if (delivered !== deliveries || sink === 0) throw new Error(`delivered ${delivered}, expected ${deliveries}`);
  console.log(
    `| ${subscribers.toLocaleString("en")} | ${broadcasts} | ${((fastlaneMs * 1e6) / deliveries).toFixed(0)} ns | ` +
      `${((deliveries / fastlaneMs) * 1000 / 1e6).toFixed(2)} M/s | ${((tracedMs * 1e6) / deliveries).toFixed(0)} ns | ` +
      `${((naiveMs * 1e6) / deliveries).toFixed(0)} ns | ${(naiveMs / fastlaneMs).toFixed(1)}× |`,
  );
  await pubsub.stop();
}

console.log(`Fastlane dispatch, Node ${process.version}, payload ${JSON.stringify(payload).length} bytes of JSON`);
console.log("| subscribers | broadcasts | per delivery | deliveries/s | per delivery, telemetry listener | per delivery, encoding each | saving |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
await run(1_000, 500);
await run(10_000, 100);
await run(50_000, 20);

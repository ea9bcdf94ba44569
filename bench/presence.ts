/**
 * `npm run bench:presence`: the cost of presence at scale, in one process. Time per track (with the
 * `presence_diff` built and broadcast locally) as one topic grows to 10,000 presences and as 1,000
 * topics of 10 fill up; time per merged entry when a remote replica's deltas of 100 arrive (the diff
 * computed), and the time to build the `presence_state` of a 10,000-presence topic. Each figure is
 * measured over the last tenth of the fill, so a cost that grows with the size shows.
 */
import { performance } from "node:perf_hooks";
import { Presence, Process, PubSub, Runtime, Supervisor } from "../src/index.js";
import { replicaId } from "../src/presence/index.js";
import { PresenceCrdt } from "../src/presence/index.js";

class Owner extends Process {
  protected handleMessage(): void {}
}

function micros(ms: number, count: number): string {
  return ((ms * 1000) / count).toFixed(2);
}

async function trackCost(label: string, total: number, topicOf: (i: number) => string): Promise<void> {
  const runtime = new Runtime({ node: "bench" });
  const pubsub = new PubSub({ runtime });
  await pubsub.start();
  const presence = new Presence(pubsub, { broadcastPeriodMs: 10_000 });
  const supervisor = await Supervisor.start({ runtime, children: [presence.childSpec()] });
  const windows: string[] = [];
  const step = total / 10;
  for (let start = 0; start < total; start += step) {
    const owners = Array.from({ length: step }, () => new Owner(runtime));
    const t0 = performance.now();
    for (let i = 0; i < step; i++) presence.track({ pid: owners[i]!.pid, topic: topicOf(start + i) }, `user${start + i}`, { online_at: start + i });
    windows.push(micros(performance.now() - t0, step));
  }
  const t0 = performance.now();
  const state = presence.list(topicOf(0));
  const listMs = performance.now() - t0;
  console.log(`${label}: µs per track by tenth of the fill: ${windows.join(" ")}; presence_state of ${topicOf(0)} (${Object.keys(state).length} keys): ${listMs.toFixed(2)} ms`);
  await Supervisor.stop(supervisor);
  await pubsub.stop();
}

function mergeCost(total: number, batch: number): void {
  const a = new PresenceCrdt({ replica: replicaId("a", 1) });
  const b = new PresenceCrdt({ replica: replicaId("b", 1) });
  a.replicaUp(b.replica);
  b.replicaUp(a.replica);
  const windows: string[] = [];
  const step = total / 10;
  for (let start = 0; start < total; start += step) {
    let ms = 0;
    for (let done = 0; done < step; done += batch) {
      for (let i = 0; i < batch; i++) a.join(`pid${start + done + i}`, "room:big", `user${start + done + i}`, { online_at: 1 });
      const delta = JSON.parse(JSON.stringify(a.extractDelta())) as Parameters<PresenceCrdt["merge"]>[0];
      const t0 = performance.now();
      const changes = b.merge(delta);
      ms += performance.now() - t0;
      if (changes.joins.length !== batch) throw new Error("merge lost entries");
    }
    windows.push(micros(ms, step));
  }
  console.log(`merge of deltas of ${batch} into a topic growing to ${total}: µs per merged entry by tenth: ${windows.join(" ")}`);
}

await trackCost("one topic of 10,000", 10_000, () => "room:big");
await trackCost("1,000 topics of 10", 10_000, (i) => `room:${Math.floor(i / 10)}`);
mergeCost(10_000, 100);
process.exit(0);

/**
 * rtt: C clients, each joined to a topic of its own, in a closed push/reply loop (`ping` answered with
 * its payload): replies per second, round-trip p50/p99, server CPU per reply. One reply in fifty is
 * decoded and checked.
 */
import { closeAll, openMany } from "../lib/connection.js";
import type { ServerProcess } from "../lib/server-process.js";
import { percentile } from "../lib/stats.js";
import { CpuWindow, now, sleep, targetOf, type Figure } from "./common.js";

export async function rtt(server: ServerProcess, clients: number, seconds: number): Promise<Figure[]> {
  let running = true;
  let measuring = false;
  let replies = 0;
  let inFlight = 0;
  const latencies: number[] = [];
  const connections = await openMany(targetOf(server), clients, 50, async (connection, index) => {
    const topic = `bench:rtt:${index}`;
    const joinRef = await connection.join(topic);
    let sentAt = 0;
    let checked = 0;
    const sendNext = () => {
      if (!running) return;
      sentAt = now();
      inFlight++;
      connection.send(connection.dialect.ping(topic, joinRef, connection.ref(), `{"n":${index}}`));
    };
    connection.handle((text) => {
      inFlight--;
      if (text !== null) {
        const response = connection.dialect.replyPayload(text) as { n?: number };
        if (response.n !== index) throw new Error(`${server.name}: reply ${text} does not echo {"n":${index}}`);
      }
      if (measuring) {
        replies++;
        latencies.push(now() - sentAt);
      }
      connection.wantsText = ++checked % 50 === 0;
      sendNext();
    }, false);
    (connection as unknown as { start: () => void }).start = sendNext;
  });
  try {
    for (const connection of connections) (connection as unknown as { start: () => void }).start();
    await sleep(1_000);
    measuring = true;
    const cpu = new CpuWindow(server);
    const started = now();
    await sleep(seconds * 1000);
    measuring = false;
    const elapsed = (now() - started) / 1000;
    const { serverMicros, loadgenBusy } = cpu.close();
    const counted = replies;
    running = false;
    const deadline = now() + 2_000;
    while (inFlight > 0 && now() < deadline) await sleep(10);
    return [
      { metric: "replies/s", unit: "msg/s", value: counted / elapsed, better: "higher" },
      { metric: "round trip p50", unit: "ms", value: percentile(latencies, 50), better: "lower" },
      { metric: "round trip p99", unit: "ms", value: percentile(latencies, 99), better: "lower" },
      { metric: "server CPU per reply", unit: "µs", value: serverMicros / counted, better: "lower" },
      { metric: "load generator busy", unit: "%", value: loadgenBusy * 100, better: "lower" },
    ];
  } finally {
    closeAll(connections);
  }
}

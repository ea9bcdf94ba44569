/**
 * join storm: C connected clients each send J joins to distinct topics at once. Joins per second from the
 * first send to the last answer, p99 join latency, server CPU per join.
 */
import { closeAll, openMany } from "../lib/connection.js";
import type { ServerProcess } from "../lib/server-process.js";
import { percentile } from "../lib/stats.js";
import { CpuWindow, now, settle, targetOf, type Figure } from "./common.js";

/** The ref a join answer carries: the second element of a Phoenix reply, the ack id of a Socket.IO one. */
function answeredRef(text: string): number {
  if (text.startsWith("43")) return Number.parseInt(text.slice(2), 10);
  return Number((JSON.parse(text) as unknown[])[1]);
}

export async function joinStorm(server: ServerProcess, clients: number, joinsEach: number): Promise<Figure[]> {
  const connections = await openMany(targetOf(server), clients, 100, async () => {});
  try {
    let answered = 0;
    const latencies: number[] = [];
    const started = now();
    const cpu = new CpuWindow(server);
    connections.forEach((connection, c) => {
      const sentAt = new Map<number, number>();
      connection.handle((text) => {
        const at = sentAt.get(answeredRef(text!));
        if (at === undefined || !connection.dialect.isJoinOk(text!)) throw new Error(`${server.name}: unexpected answer ${text}`);
        latencies.push(now() - at);
        answered++;
      }, true);
      for (let j = 0; j < joinsEach; j++) {
        const ref = connection.ref();
        sentAt.set(ref, now());
        connection.send(connection.dialect.join(`bench:storm:${c}:${j}`, ref));
      }
    });
    const total = clients * joinsEach;
    const last = await settle(() => answered, total, 2_000, 30_000);
    const { serverMicros } = cpu.close();
    if (answered < total) throw new Error(`${server.name}: ${answered} of ${total} joins answered`);
    return [
      { metric: "joins/s", unit: "1/s", value: total / ((last - started) / 1000), better: "higher" },
      { metric: "join latency p99", unit: "ms", value: percentile(latencies, 99), better: "lower" },
      { metric: "server CPU per join", unit: "µs", value: serverMicros / total, better: "lower" },
    ];
  } finally {
    closeAll(connections);
  }
}

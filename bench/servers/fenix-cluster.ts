/**
 * The Fenix benchmark server run as a cluster: `WORKERS` node:cluster workers (startCluster) sharing one
 * port, each serving what fenix.ts serves, linked through the primary by the IPC adapter. The primary
 * prints `PIDS <worker pids>` and `READY <port>` once every worker serves, and stops them on SIGTERM.
 */
import cluster from "node:cluster";
import { consoleLogger, PubSub, Runtime, startCluster } from "../../src/index.js";
import { startBenchEndpoint } from "./fenix-app.js";
import { collectGarbageOnSignal, serveUntilSignalled } from "./lifecycle.js";

const port = Number(process.env.PORT ?? 0);
// Workers that listen on port 0 share one port, which the primary learns as they listen.
const listening = cluster.isPrimary ? new Promise<number>((resolve) => cluster.once("listening", (_worker, address) => resolve(address.port))) : null;

const primary = await startCluster({
  workers: Number(process.env.WORKERS ?? 1),
  name: "bench",
  logger: consoleLogger("warn"),
  handleSignals: false,
  worker: ({ slot, nodeName, adapter }) => {
    collectGarbageOnSignal();
    // SIGHUP (the scale scenarios): each worker broadcasts its share of the topics, through the IPC link.
    return startBenchEndpoint(port, new PubSub({ runtime: new Runtime({ node: nodeName }), adapter }), { slot, of: Number(process.env.WORKERS ?? 1) });
  },
});

if (primary !== null) {
  const workers = primary.workers();
  // Garbage is collected where the connections live: in the workers.
  process.on("SIGUSR2", () => workers.forEach((worker) => process.kill(worker.pid, "SIGUSR2")));
  // The scale scenarios' broadcast trigger goes to every worker too (each sends its share).
  process.on("SIGHUP", () => workers.forEach((worker) => process.kill(worker.pid, "SIGHUP")));
  process.stdout.write(`PIDS ${workers.map((worker) => worker.pid).join(" ")}\n`);
  serveUntilSignalled(await listening!, () => primary.stop());
}

/**
 * `npm run bench` (compiled with tsconfig.bench.json, run from dist/bench-run): the same scenarios against Fenix, a raw `ws` server and Socket.IO 4.8, each server in a
 * fresh process pinned to CPU 1 per scenario run, this load generator pinned to CPU 0; then Fenix and
 * Socket.IO as three nodes linked through Redis, and Fenix as a cluster of 1 and 2 workers. Medians of
 * the repeats go to `bench/results/` as Markdown and JSON.
 *
 * Options: `--repeats=N` (default 3), `--only=fanout-1k,rtt,telemetry,history,cross-node,…`, `--servers=fenix,ws,socketio`,
 * `--quick` (one repeat, shorter windows). The MQTT brokers of `mqtt-fanout` (Fenix's fenix/mqtt, aedes and a
 * private Mosquitto) compare among themselves: `--mqtt-servers=fenix,aedes,mosquitto`, `--mqtt-subscribers=N`
 * (default 1,000).
 *
 * `soak` runs only when named (`--only=soak`), once, against Fenix: `--soak-minutes=N` (default 30),
 * `--soak-connections=N` (default 10,000), `--soak-churn=P` (% of the connections replaced per second,
 * default 1), `--soak-broadcasts=N` (per second, default 20). Its memory samples go to the JSON results.
 *
 * `scale` (idle connections, each joined to its own topic, then one broadcast per topic; part of the full
 * run) holds `--scale=N` connections (default 19,000: this machine allows 20,000 open files per process)
 * on each server. `scale-cluster` runs only when named: `--scale-cluster=N` connections (default 100,000)
 * on Fenix's cluster workers, `--scale-workers=W` of them (default one per 15,000 connections).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerName } from "./lib/dialects.js";
import { aedesVersion, MQTT_BROKERS, mosquittoVersion, mqttColumn, type MqttBrokerName } from "./lib/mqtt-brokers.js";
import { pin } from "./lib/proc.js";
import { renderMarkdown, serverColumn, toJson, type Column, type Results, type ScenarioResults } from "./lib/report.js";
import { startServer, type ServerProcess } from "./lib/server-process.js";
import { clusterFanout } from "./scenarios/cluster.js";
import { LOADGEN_CPU, SERVER_CPU, type Figure } from "./scenarios/common.js";
import { CROSS_NODE_SERVERS, crossNode } from "./scenarios/cross-node.js";
import { fanoutFixed, fanoutRamp } from "./scenarios/fanout.js";
import { HISTORY_SIZE, HISTORY_TTL_MS, historyBench, type HistoryColumn } from "./scenarios/history.js";
import { joinStorm } from "./scenarios/join-storm.js";
import { memory } from "./scenarios/memory.js";
import { mqttFanout } from "./scenarios/mqtt-fanout.js";
import { rtt } from "./scenarios/rtt.js";
import { scale } from "./scenarios/scale.js";
import { soak, type SoakReport } from "./scenarios/soak.js";


const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = "true"] = arg.replace(/^--/, "").split("=");
    return [key!, value];
  }),
);
const quick = args.get("quick") === "true";
const repeats = Number(args.get("repeats") ?? (quick ? 1 : 3));
const window = quick ? 3 : 5;
const servers = (args.get("servers") ?? "fenix,ws,socketio").split(",") as ServerName[];
const mqttBrokers = (args.get("mqtt-servers") ?? MQTT_BROKERS.join(",")).split(",") as MqttBrokerName[];
for (const broker of mqttBrokers) {
  if (!MQTT_BROKERS.includes(broker)) throw new Error(`--mqtt-servers: unknown broker ${broker} (known: ${MQTT_BROKERS.join(", ")})`);
}
const mqttSubscribers = Number(args.get("mqtt-subscribers") ?? 1_000);
/** Publishes of the mqtt-fanout fixed-rate phase per second, and publishes' deliveries outstanding in its max phase. */
const MQTT_RATE = 50;
const MQTT_WINDOW = 16;
const soakMinutes = Number(args.get("soak-minutes") ?? 30);
const soakConnections = Number(args.get("soak-connections") ?? 10_000);
const soakChurn = Number(args.get("soak-churn") ?? 1);
const soakBroadcasts = Number(args.get("soak-broadcasts") ?? 20);
for (const [name, value] of [["soak-minutes", soakMinutes], ["soak-connections", soakConnections], ["soak-churn", soakChurn], ["soak-broadcasts", soakBroadcasts]] as const) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a number ≥ 0`);
}
const soakReports: SoakReport[] = [];
const scaleConnections = Number(args.get("scale") ?? 19_000);
const scaleClusterConnections = Number(args.get("scale-cluster") ?? 100_000);
const scaleWorkers = Number(args.get("scale-workers") ?? Math.ceil(scaleClusterConnections / 15_000));
for (const [name, value] of [["scale", scaleConnections], ["scale-cluster", scaleClusterConnections], ["scale-workers", scaleWorkers]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a whole number ≥ 1`);
}
/** Load generators of the scale scenarios: at most 5,000 connections each alone, 12,500 for the cluster (at least 6). */
const scaleGenerators = Math.max(4, Math.ceil(scaleConnections / 5_000));
const scaleClusterGenerators = Math.max(6, Math.ceil(scaleClusterConnections / 12_500));
/** Topics the history scenario fills to the retention's size. */
const HISTORY_TOPICS = quick ? 20 : 100;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The commit measured, marked when src/ or bench/ differ from it. */
function revision(): string {
  try {
    const root = repoRoot();
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "bench"], { cwd: root }).toString().trim() !== "";
    return dirty ? `${commit} with uncommitted changes` : commit;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** The repository's root: the nearest folder above this module with a package.json (it runs compiled, from dist/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no package.json above the benchmark");
    dir = parent;
  }
  return dir;
}

interface Scenario {
  readonly id: string;
  readonly title: string;
  /** How the servers run, when not each alone on CPU 1. */
  readonly note?: string;
  /** What it compares: one column per server, or per set-up of one. */
  readonly columns: readonly Column[];
  /** The column the ratios divide by. */
  readonly baseline?: string;
  /** Tables of their own for metrics named `<group>: …` (see report.ts). */
  readonly groups?: readonly string[];
  /** Runs only when named in `--only` (too long for the default run). */
  readonly optIn?: boolean;
  /** Repeats of its own, whatever `--repeats` says. */
  readonly repeats?: number;
  /** Lines printed under its table once every run is done (a verdict). */
  summary?(): string[];
  /** What goes into the JSON results beside the metrics (samples). */
  details?(): unknown;
  /** One run of one column, in fresh processes. */
  run(column: string): Promise<Figure[]>;
}

/** Each selected server alone on CPU 1, in a fresh process per run; ratios to raw `ws`. */
function alone(run: (server: ServerProcess) => Promise<Figure[]>): Pick<Scenario, "columns" | "baseline" | "run"> {
  return {
    columns: servers.map(serverColumn),
    baseline: "ws",
    async run(column) {
      const server = await startServer(column as ServerName, { cpus: String(SERVER_CPU) });
      try {
        return await run(server);
      } finally {
        await server.stop();
      }
    },
  };
}

const crossNodeServers = CROSS_NODE_SERVERS.filter((s) => servers.includes(s));
const clusterColumns: Column[] = servers.includes("fenix")
  ? [
      { key: "1-worker", label: "Fenix, 1 worker (CPU 1)", short: "1 worker" },
      { key: "2-workers", label: "Fenix, 2 workers (CPUs 0–1)", short: "2 workers" },
    ]
  : [];

const scenarios: Scenario[] = [
  {
    id: "fanout-1k",
    title: "fanout: 1,000 subscribers + the publisher, 50 broadcasts/s offered",
    ...alone((server) => fanoutFixed(server, 1_000, 50, window)),
  },
  {
    id: "fanout-5k",
    title: "fanout: 5,000 subscribers + the publisher, 10 broadcasts/s offered",
    ...alone((server) => fanoutFixed(server, 5_000, 10, window)),
  },
  {
    id: "fanout-ramp",
    title: "fanout ramp: 1,000 subscribers, from 50 broadcasts/s, ×1.25 per 2 s step until delivery < 99 % or p99 ≥ 250 ms",
    ...alone((server) => fanoutRamp(server, 1_000, 50, 1.25, 2, log)),
  },
  { id: "rtt", title: "rtt: 50 clients in a closed push/reply loop", ...alone((server) => rtt(server, 50, window)) },
  {
    id: "memory",
    title: "memory: idle connections, each joined to its own topic (RSS after GC, above the idle baseline; connect rate and CPU from a second fresh server, without forced GC)",
    columns: servers.map(serverColumn),
    baseline: "ws",
    run: (column) => memory(() => startServer(column as ServerName, { cpus: String(SERVER_CPU) }), quick ? [1_000, 5_000] : [1_000, 5_000, 10_000]),
  },
  { id: "join-storm", title: "join storm: 200 clients × 50 joins sent at once", ...alone((server) => joinStorm(server, 200, 50)) },
  {
    id: "telemetry",
    title: "telemetry cost: fanout to 1,000 subscribers + the publisher, 50 broadcasts/s offered, Fenix with nobody listening to its telemetry against Fenix with fenix/metrics subscribed to every event",
    note:
      "The same Fenix server on CPU 1; in the second column `enableMetrics(endpoint)` listens to every telemetry event (joins, handled events, broadcasts with their subscribers and bytes…). " +
      "The first column is what every Fenix figure above pays for telemetry: one `hasSubscribers` check per event site.",
    columns: servers.includes("fenix")
      ? [
          { key: "off", label: "Fenix, no telemetry listener", short: "no listener" },
          { key: "metrics", label: "Fenix with fenix/metrics", short: "fenix/metrics" },
        ]
      : [],
    baseline: "off",
    async run(column) {
      const server = await startServer("fenix", { cpus: String(SERVER_CPU), ...(column === "metrics" ? { env: { FENIX_TELEMETRY: "metrics" } } : {}) });
      try {
        return await fanoutFixed(server, 1_000, 50, window);
      } finally {
        await server.stop();
      }
    },
  },
  {
    id: "history",
    title:
      `history cost: fanout to 1,000 subscribers + the publisher, 50 broadcasts/s offered, Fenix without history and with every topic's history kept (${HISTORY_SIZE.toLocaleString("en-US")} messages, ${HISTORY_TTL_MS / 60_000} min) ` +
      `in memory, and on one node linked through the \`RedisAdapter\` without and with the history in Redis; then ${HISTORY_TOPICS} topics filled to ${HISTORY_SIZE.toLocaleString("en-US")} messages each`,
    note:
      "The same Fenix server alone on CPU 1, fresh for each column; the two Redis columns link it through the `RedisAdapter` (prefix of its own, deleted afterwards) to a private `redis-server` also on CPU 1, " +
      "whose CPU is given apart. Redis calls per broadcast: `INFO commandstats` before and after the measured step, divided by the broadcasts sent in it (all: every command but `INFO`, the heartbeats and the commands run inside scripts included; the log gives them one by one). " +
      `Fill: one publisher joined to ${HISTORY_TOPICS} fresh topics sends ${HISTORY_SIZE.toLocaleString("en-US")} \`shout\`s to each with a fixed \`{"body": <100 characters>}\` payload (batches of 500 waiting for their echoes); ` +
      "server heap used and RSS after `gc()` against before the fill, and for Redis `MEMORY USAGE … SAMPLES 0` of the streams (`XLEN` counts the retained messages) and `used_memory`, per retained message. Ratios divide by the no-history column.",
    columns: servers.includes("fenix")
      ? [
          { key: "off", label: "Fenix, no history", short: "no history" },
          { key: "memory", label: "Fenix, history in memory", short: "in memory" },
          { key: "redis-off", label: "Fenix + RedisAdapter, no history", short: "Redis, no history" },
          { key: "redis", label: "Fenix + RedisAdapter, history in Redis", short: "in Redis" },
        ]
      : [],
    baseline: "off",
    run: (column) => historyBench(column as HistoryColumn, { cpu: SERVER_CPU, subscribers: 1_000, rate: 50, seconds: window, topics: HISTORY_TOPICS, log }),
  },
  {
    id: "cross-node",
    title: `cross-node fanout through Redis: publisher on node A, 500 subscribers on B and 500 on C; 50 broadcasts/s for ${window} s, then the ramp (×1.25 per 2 s step)`,
    note:
      "Three server processes A, B, C of one kind and a private `redis-server` (no persistence) all on CPU 1; the load generator on CPU 0. " +
      "Fenix links through its `RedisAdapter`, Socket.IO 4.8 through `@socket.io/redis-adapter` 8 (clients from `@redis/client`). " +
      "Server CPU is A+B+C summed; Redis's CPU is given apart. Latency samplers are spread over B and C. Raw `ws` has no cross-node mode.",
    columns: crossNodeServers.map(serverColumn),
    baseline: "socketio",
    run: (column) => crossNode(column as ServerName, { cpu: SERVER_CPU, subscribers: 1_000, rate: 50, seconds: window, log }),
  },
  {
    id: "cluster",
    title: "cluster: fanout to 1,000 subscribers + the publisher, 50 broadcasts/s then the ramp, against Fenix in node:cluster workers linked through the primary",
    note:
      "`startCluster` with the IPC adapter. 1 worker: the primary and the worker on CPU 1. 2 workers: the primary and both workers allowed on CPUs 0–1, " +
      `so they share CPU 0 with the load generator (pinned there). Server CPU sums the primary and every worker. A fixed-rate run (50 broadcasts/s for ${window} s), then the ramp, on the same connections.`,
    columns: clusterColumns,
    baseline: "1-worker",
    run: (column) =>
      clusterFanout({
        ...(column === "1-worker" ? { workers: 1, cpus: String(SERVER_CPU) } : { workers: 2, cpus: `${LOADGEN_CPU},${SERVER_CPU}` }),
        subscribers: 1_000,
        rate: 50,
        seconds: window,
        log,
      }),
  },
  {
    id: "mqtt-fanout",
    title:
      `MQTT fanout: ${mqttSubscribers.toLocaleString("en-US")} subscribers on one topic and a publisher, MQTT 3.1.1, QoS 0 and QoS 1; ` +
      `as fast as a window of ${MQTT_WINDOW} publishes allows for ${window} s, then ${MQTT_RATE} publishes/s offered for ${window} s`,
    note:
      `Each broker alone on CPU 1, fresh for each QoS: Fenix's \`enableMqtt\` with its default limits, aedes ${aedesVersion()} with its defaults (in-memory persistence), ` +
      `and a private Mosquitto ${mosquittoVersion() ?? "(not found)"} on its own port (\`persistence false\`, \`max_queued_messages 100000\`, the rest default). ` +
      "The subscribers subscribe at the QoS of the table and the publisher publishes at it (QoS 1: every delivery PUBACKed, and the publisher keeps at most 64 publishes unacknowledged); " +
      `100-byte payloads on \`bench/fanout\`. Max: the publisher keeps at most ${MQTT_WINDOW} publishes' deliveries outstanding. ` +
      "The load generator (CPU 0) speaks MQTT over raw sockets with mqtt-packet and counts PUBLISH frames without decoding them. Ratios divide by Mosquitto's median.",
    columns: mqttBrokers.map(mqttColumn),
    baseline: "mosquitto",
    groups: ["QoS 0", "QoS 1"],
    run: (column) =>
      mqttFanout(column as MqttBrokerName, { cpu: SERVER_CPU, subscribers: mqttSubscribers, rate: MQTT_RATE, window: MQTT_WINDOW, seconds: window, log }),
  },
  {
    id: "scale",
    title:
      `scale: ${scaleConnections.toLocaleString("en-US")} idle connections (as many as one process may hold here: 20,000 open files per process), each joined to its own topic; ` +
      "then one broadcast per topic, sent by the server",
    note:
      `Each server alone on CPU 1, fresh per run. The connections come from ${scaleGenerators} load-generator processes (on CPU 0), 50 connect+joins at a time each, ` +
      "from loopback addresses of their own (127.x.y.z, at most 2,000 connections per address). Memory: after a forced GC with every connection joined, " +
      "against the idle server after one (RSS from `/proc`, heap used from the server's `process.memoryUsage()`), per connection. Broadcast: SIGHUP makes the server " +
      "send one `shout` (100-character body) to each topic; the time runs from the signal until the last connection got its message. Once per run (its own repeats: 1).",
    columns: servers.map(serverColumn),
    baseline: "ws",
    run: (column) => scale(column as ServerName, { connections: scaleConnections, generators: scaleGenerators, concurrency: 50, cpus: String(SERVER_CPU), workers: 0, log }),
  },
  {
    id: "scale-cluster",
    optIn: true,
    repeats: 1,
    title:
      `scale, cluster: ${scaleClusterConnections.toLocaleString("en-US")} idle connections on Fenix's cluster workers (${scaleWorkers}, each under the 20,000 open files per process), ` +
      "each joined to its own topic; then one broadcast per topic",
    note:
      `\`startCluster\` with the IPC adapter, ${scaleWorkers} workers and the primary on CPUs 0–1, sharing CPU 0 with ${scaleClusterGenerators} load-generator processes ` +
      "(50 connect+joins at a time each, from loopback addresses of their own). Memory sums the primary and every worker. Broadcast: SIGHUP to the primary, which " +
      "passes it to every worker; each worker broadcasts to its share of the topics (every W-th), through the IPC link, so most messages cross to another worker. Runs only when named.",
    columns: servers.includes("fenix") ? [{ key: "cluster", label: `Fenix, ${scaleWorkers} workers (CPUs 0–1)`, short: `${scaleWorkers} workers` }] : [],
    run: () =>
      scale("fenix", {
        connections: scaleClusterConnections,
        generators: scaleClusterGenerators,
        concurrency: 50,
        cpus: `${LOADGEN_CPU},${SERVER_CPU}`,
        workers: scaleWorkers,
        log,
      }),
  },
  {
    id: "soak",
    optIn: true,
    repeats: 1,
    title:
      `soak: ${soakConnections.toLocaleString("en-US")} connections over 100 rooms for ${soakMinutes} min, ${soakChurn} % of them replaced and 1 % leaving and rejoining per second, ` +
      `${soakBroadcasts} broadcasts/s and 50 pings/s; server memory after a forced GC every 10 s`,
    note:
      "Fenix alone on CPU 1, one fresh process for the whole soak. Start: the first sample after the ramp. Slopes: least squares over the samples after the warm-up " +
      "(20 % of the run, at most 5 min), in MB per 10 minutes. Flat: both slopes under 1 % of the start RSS per 10 minutes. Every sample is in latest.json.",
    columns: servers.includes("fenix") ? [serverColumn("fenix")] : [],
    summary: () =>
      soakReports.map(
        (r) =>
          `**Verdict: ${r.verdict}.** RSS ${r.rssSlopeMBPer10Min.toFixed(2)} ± ${r.rssSlopeStderr.toFixed(2)} MB and heap ${r.heapSlopeMBPer10Min.toFixed(2)} ± ${r.heapSlopeStderr.toFixed(2)} MB per 10 min after a ${r.warmupSeconds.toFixed(0)} s warm-up ` +
          `(bar ${r.thresholdMBPer10Min.toFixed(2)} MB per 10 min; as bytes per churned connection: RSS ${r.rssBytesPerChurnedConnection.toFixed(1)}, heap ${r.heapBytesPerChurnedConnection.toFixed(1)}); ` +
          `${r.samples.length} samples, errors ${JSON.stringify(r.errors)}.`,
      ),
    details: () => soakReports,
    async run() {
      const { figures, report } = await soak({
        cpu: SERVER_CPU,
        minutes: soakMinutes,
        connections: soakConnections,
        rooms: 100,
        churnPercent: soakChurn,
        rejoinPercent: 1,
        broadcastsPerSecond: soakBroadcasts,
        pingsPerSecond: 50,
        rampPerSecond: 500,
        sampleSeconds: 10,
        log,
      });
      soakReports.push(report);
      return figures;
    },
  },
];

const only = args.get("only")?.split(",");
const selected = (only === undefined ? scenarios.filter((s) => s.optIn !== true) : scenarios.filter((s) => only.includes(s.id))).filter((s) => s.columns.length > 0);
const repeatsOf = (scenario: Scenario): number => scenario.repeats ?? repeats;

pin(process.pid, LOADGEN_CPU);
const results: Results = new Map();
const started = Date.now();
log(`benchmarks (× repeats): ${selected.map((s) => `${s.id} (${s.columns.map((c) => c.label).join(", ")}) × ${repeatsOf(s)}`).join("; ")}`);

for (const scenario of selected) {
  const { title, note, columns, baseline, groups } = scenario;
  const entry: ScenarioResults = { title, note, columns, baseline, groups, metrics: new Map() };
  results.set(scenario.id, entry);
  for (let repeat = 0; repeat < repeatsOf(scenario); repeat++) {
    // Rotate the order so that no column always runs first (or last) in a repeat.
    const order = columns.map((_, i) => columns[(i + repeat) % columns.length]!);
    for (const column of order) {
      log(`  ${scenario.id} #${repeat + 1} ${column.label}`);
      for (const figure of await scenario.run(column.key)) {
        let metric = entry.metrics.get(figure.metric);
        if (metric === undefined) entry.metrics.set(figure.metric, (metric = { unit: figure.unit, better: figure.better, values: new Map() }));
        const values = metric.values.get(column.key) ?? [];
        values.push(figure.value);
        metric.values.set(column.key, values);
        log(`    ${figure.metric}: ${figure.value.toFixed(2)} ${figure.unit}`);
      }
    }
  }
  if (scenario.summary !== undefined) entry.summary = scenario.summary();
  if (scenario.details !== undefined) entry.details = scenario.details();
}
const ranRepeats = Math.max(0, ...selected.map(repeatsOf));

const seconds = (Date.now() - started) / 1000;
const date = new Date().toISOString().slice(0, 10);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const markdown = renderMarkdown(results, { date, command, repeats: ranRepeats, seconds, revision: revision() });
const dir = join(repoRoot(), "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "latest.md"), markdown);
writeFileSync(join(dir, "latest.json"), `${JSON.stringify({ date, revision: revision(), command, repeats: ranRepeats, seconds, results: toJson(results) }, null, 2)}\n`);
log(`\n${markdown}`);
log(`written to bench/results/latest.md and latest.json (${Math.round(seconds)} s)`);
process.exit(0);

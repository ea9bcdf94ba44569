/**
 * `npm run bench:layout`: the Redis channel layout experiment behind the Redis adapter's design. Three
 * nodes (separate processes) and a private Redis share CPU 1; node A publishes 4,000 broadcasts/s
 * round-robin over 200 topics; B and C subscribe either to disjoint halves of the topics ("sparse") or to
 * all of them ("dense"). Layouts: one bus channel every node reads, a channel per topic read only where
 * there are subscribers, and the real adapter (the bus, with heartbeats, sequence numbers, batches). Reports CPU
 * per published broadcast for each process, and what a SUBSCRIBE costs (the per-topic layout's price at a
 * topic's first join on a node).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { cpuMicros } from "./lib/proc.js";
import { startRedis } from "./lib/redis-server.js";

const CPU = 1;
const RATE = 4_000;
const SECONDS = 4;
const TOPICS = Array.from({ length: 200 }, (_, i) => `bench:layout:${i}`);
const NODES = ["a", "b", "c"];

type Layout = "bus" | "topic" | "real";
type Workload = "sparse" | "dense";

interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  ask(command: string, answer: RegExp): Promise<string>;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn("taskset", ["-c", String(CPU), command, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  lines.on("line", (line) => {
    const i = waiting.findIndex((w) => w.pattern.test(line));
    if (i !== -1) waiting.splice(i, 1)[0]!.resolve(line);
  });
  /** Sends a command line (none when empty) and resolves with the first group of the answer. */
  const ask = (commandLine: string, answer: RegExp) =>
    new Promise<string>((resolve) => {
      waiting.push({ pattern: answer, resolve: (line) => resolve(answer.exec(line)?.[1] ?? line) });
      if (commandLine !== "") child.stdin!.write(`${commandLine}\n`);
    });
  return { process: child, pid: child.pid!, ask };
}

function subscribedBy(node: string, workload: Workload): string[] {
  if (node === "a") return [];
  if (workload === "dense") return TOPICS;
  const half = TOPICS.length / 2;
  return node === "b" ? TOPICS.slice(0, half) : TOPICS.slice(half);
}

interface Result {
  readonly layout: Layout;
  readonly workload: Workload;
  readonly delivered: number;
  readonly expected: number;
  /** CPU µs per published broadcast, per process. */
  readonly cpu: Record<"a" | "b" | "c" | "redis", number>;
  readonly probeUs: number | null;
}

async function measure(layout: Layout, workload: Workload): Promise<Result> {
  const redis = await startRedis(String(CPU));
  const prefix = `layout:${randomBytes(4).toString("hex")}`;
  const children: Child[] = [];
  try {
    for (const node of NODES) {
      const config = { node, adapter: layout, url: redis.url, prefix, nodes: NODES, subscribed: subscribedBy(node, workload), topics: TOPICS };
      children.push(run(process.execPath, ["--import", "tsx", new URL("./layout/layout-node.ts", import.meta.url).pathname], { LAYOUT_NODE: JSON.stringify(config) }));
    }
    await Promise.all(children.map((c) => c.ask("", /^READY$/)));
    const [a, b, c] = children as [Child, Child, Child];
    // Warm up, then measure one window.
    await a.ask(`publish ${RATE} 1`, /^SENT (\d+)/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = Number(await b.ask("count", /^COUNT (\d+)/)) + Number(await c.ask("count", /^COUNT (\d+)/));
    const pids = { a: a.pid, b: b.pid, c: c.pid, redis: redis.pid };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)])) as Record<keyof typeof pids, number>;
    const sent = Number(await a.ask(`publish ${RATE} ${SECONDS}`, /^SENT (\d+)/));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuMicros(pid) - cpuBefore[k as keyof typeof pids]) / sent])) as Result["cpu"];
    const after = Number(await b.ask("count", /^COUNT (\d+)/)) + Number(await c.ask("count", /^COUNT (\d+)/));
    const probeUs = layout === "topic" ? Number(await b.ask("probe 200", /^PROBE ([\d.]+)/)) : null;
    return { layout, workload, delivered: after - before, expected: sent * (workload === "dense" ? 2 : 1), cpu, probeUs };
  } finally {
    for (const child of children) child.process.kill("SIGKILL");
    await redis.stop();
  }
}

const repeats = Number(process.argv.find((a) => a.startsWith("--repeats="))?.split("=")[1] ?? 3);
const rows: Result[][] = [];
for (const workload of ["sparse", "dense"] as const) {
  for (const layout of ["bus", "topic", "real"] as const) {
    const runs: Result[] = [];
    for (let i = 0; i < repeats; i++) {
      runs.push(await measure(layout, workload));
      process.stdout.write(`  ${workload} ${layout} #${i + 1}: ${JSON.stringify(runs.at(-1)!.cpu)}\n`);
    }
    rows.push(runs);
  }
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const fmt = (n: number) => n.toFixed(2);
const label: Record<Layout, string> = { bus: "one bus channel", topic: "a channel per topic", real: "RedisAdapter (bus + heartbeats, sequence numbers)" };
console.log(`\nRedis channel layouts, Node ${process.version}: 3 nodes + Redis on one CPU, ${RATE} broadcasts/s over ${TOPICS.length} topics for ${SECONDS} s, median of ${repeats}`);
console.log("CPU µs per published broadcast (publisher node a, subscriber nodes b + c, Redis), and deliveries.\n");
console.log("| topics on b and c | layout | a | b + c | Redis | all | delivered |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const runs of rows) {
  const first = runs[0]!;
  const m = (pick: (r: Result) => number) => median(runs.map(pick));
  const bc = m((r) => r.cpu.b + r.cpu.c);
  const all = m((r) => r.cpu.a + r.cpu.b + r.cpu.c + r.cpu.redis);
  console.log(
    `| ${first.workload === "sparse" ? "disjoint halves" : "all, on both"} | ${label[first.layout]} | ${fmt(m((r) => r.cpu.a))} | ${fmt(bc)} | ${fmt(m((r) => r.cpu.redis))} | ${fmt(all)} | ${(m((r) => r.delivered / r.expected) * 100).toFixed(1)} % |`,
  );
}
const probes = rows.flat().filter((r) => r.probeUs !== null).map((r) => r.probeUs!);
if (probes.length > 0) console.log(`\nA SUBSCRIBE to a new channel (the per-topic layout, at a topic's first join on a node): median ${median(probes).toFixed(0)} µs.`);
process.exit(0);

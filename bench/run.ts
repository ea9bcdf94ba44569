/**
 * `npm run bench` (compiled with tsconfig.bench.json, run from dist/bench-run): the same scenarios against Fenix, a raw `ws` server and Socket.IO 4.8, each server in a
 * fresh process pinned to CPU 1 per scenario run, this load generator pinned to CPU 0. Medians of the
 * repeats go to `bench/results/` as Markdown and JSON.
 *
 * Options: `--repeats=N` (default 3), `--only=fanout-1k,rtt,…`, `--servers=fenix,ws,socketio`, `--quick`
 * (one repeat, shorter windows).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerName } from "./lib/dialects.js";
import { pin } from "./lib/proc.js";
import { renderMarkdown, SERVER_LABELS, toJson, type Results } from "./lib/report.js";
import { startServer, type ServerProcess } from "./lib/server-process.js";
import type { Figure } from "./scenarios/common.js";
import { fanoutFixed, fanoutRamp } from "./scenarios/fanout.js";
import { joinStorm } from "./scenarios/join-storm.js";
import { memory } from "./scenarios/memory.js";
import { rtt } from "./scenarios/rtt.js";

const LOADGEN_CPU = 0;
const SERVER_CPU = 1;

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
  run(server: ServerProcess): Promise<Figure[]>;
}

const scenarios: Scenario[] = [
  {
    id: "fanout-1k",
    title: "fanout: 1,000 subscribers + the publisher, 50 broadcasts/s offered",
    run: (server) => fanoutFixed(server, 1_000, 50, window),
  },
  {
    id: "fanout-5k",
    title: "fanout: 5,000 subscribers + the publisher, 10 broadcasts/s offered",
    run: (server) => fanoutFixed(server, 5_000, 10, window),
  },
  {
    id: "fanout-ramp",
    title: "fanout ramp: 1,000 subscribers, from 50 broadcasts/s, ×1.25 per 2 s step until delivery < 99 % or p99 ≥ 250 ms",
    run: (server) => fanoutRamp(server, 1_000, 50, 1.25, 2, log),
  },
  { id: "rtt", title: "rtt: 50 clients in a closed push/reply loop", run: (server) => rtt(server, 50, window) },
  {
    id: "memory",
    title: "memory: idle connections, each joined to its own topic (RSS after GC, above the idle baseline)",
    run: (server) => memory(server, quick ? [1_000, 5_000] : [1_000, 5_000, 10_000]),
  },
  { id: "join-storm", title: "join storm: 200 clients × 50 joins sent at once", run: (server) => joinStorm(server, 200, 50) },
];

const only = args.get("only")?.split(",");
const selected = only === undefined ? scenarios : scenarios.filter((s) => only.includes(s.id));

pin(process.pid, LOADGEN_CPU);
const results: Results = new Map();
const started = Date.now();
log(`benchmarks: ${selected.map((s) => s.id).join(", ")} × ${servers.map((s) => SERVER_LABELS[s]).join(", ")} × ${repeats} repeats`);

for (const scenario of selected) {
  const entry = { title: scenario.title, metrics: new Map() } as Results extends Map<string, infer V> ? V : never;
  results.set(scenario.id, entry);
  for (let repeat = 0; repeat < repeats; repeat++) {
    // Rotate the order so that no server always runs first (or last) in a repeat.
    const order = servers.map((_, i) => servers[(i + repeat) % servers.length]!);
    for (const name of order) {
      log(`  ${scenario.id} #${repeat + 1} ${SERVER_LABELS[name]}`);
      const server = await startServer(name, SERVER_CPU);
      try {
        for (const figure of await scenario.run(server)) {
          let metric = entry.metrics.get(figure.metric);
          if (metric === undefined) entry.metrics.set(figure.metric, (metric = { unit: figure.unit, better: figure.better, values: new Map() }));
          const values = metric.values.get(name) ?? [];
          values.push(figure.value);
          metric.values.set(name, values);
          log(`    ${figure.metric}: ${figure.value.toFixed(2)} ${figure.unit}`);
        }
      } finally {
        await server.stop();
      }
    }
  }
}

const seconds = (Date.now() - started) / 1000;
const date = new Date().toISOString().slice(0, 10);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const markdown = renderMarkdown(results, servers, { date, command, repeats, seconds, revision: revision() });
const dir = join(repoRoot(), "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "latest.md"), markdown);
writeFileSync(join(dir, "latest.json"), `${JSON.stringify({ date, revision: revision(), command, repeats, seconds, results: toJson(results) }, null, 2)}\n`);
log(`\n${markdown}`);
log(`written to bench/results/latest.md and latest.json (${Math.round(seconds)} s)`);
process.exit(0);

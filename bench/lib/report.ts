/**
 * The benchmark report: per scenario, one row per metric with each server's median of the repeats, its
 * min–max, and its ratio to raw `ws`. Written as Markdown (and the raw numbers as JSON) to `bench/results/`.
 */
import { cpus, release } from "node:os";
import type { ServerName } from "./dialects.js";
import { median, range } from "./stats.js";

/** Every value of every metric: scenario → metric → server → one value per repeat. */
export type Results = Map<string, { title: string; metrics: Map<string, { unit: string; better: "higher" | "lower"; values: Map<ServerName, number[]> }> }>;

export const SERVER_LABELS: Record<ServerName, string> = { fenix: "Fenix", ws: "raw ws", socketio: "Socket.IO 4.8" };

function format(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The machine line of the report. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpu}, ${cpus().length} cores, Linux ${release()}, Node ${process.version}`;
}

/** Renders the results as Markdown. */
export function renderMarkdown(results: Results, servers: readonly ServerName[], meta: { date: string; command: string; repeats: number; seconds: number; revision: string }): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results, ${meta.date}`, "");
  lines.push(`- Machine: ${machine()}`);
  lines.push(`- Revision: ${meta.revision}`);
  lines.push(`- Command: \`${meta.command}\` (${meta.repeats} repeat${meta.repeats === 1 ? "" : "s"}, ${Math.round(meta.seconds)} s in all)`);
  lines.push("- Each server ran alone on CPU 1 (`taskset -c 1`), restarted for every scenario; the load generator ran on CPU 0.");
  lines.push("- Cells: median of the repeats (min–max). Ratios: the median divided by raw `ws`'s median.", "");
  const others = servers.filter((s) => s !== "ws");
  for (const [, scenario] of results) {
    lines.push(`## ${scenario.title}`, "");
    const header = ["metric", ...servers.map((s) => SERVER_LABELS[s]), ...(servers.includes("ws") ? others.map((s) => `${SERVER_LABELS[s]} / ws`) : [])];
    lines.push(`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
    for (const [metric, data] of scenario.metrics) {
      const cells = servers.map((s) => {
        const values = data.values.get(s) ?? [];
        if (values.length === 0) return "—";
        const [lo, hi] = range(values);
        return values.length === 1 ? format(values[0]!) : `${format(median(values))} (${format(lo)}–${format(hi)})`;
      });
      const ws = median(data.values.get("ws") ?? []);
      const ratios = servers.includes("ws") ? others.map((s) => `${(median(data.values.get(s) ?? []) / ws).toFixed(2)}×`) : [];
      lines.push(`| ${metric} (${data.unit}, ${data.better} is better) | ${[...cells, ...ratios].join(" | ")} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The results as plain JSON. */
export function toJson(results: Results): unknown {
  return Object.fromEntries(
    [...results].map(([id, scenario]) => [
      id,
      {
        title: scenario.title,
        metrics: Object.fromEntries(
          [...scenario.metrics].map(([metric, data]) => [metric, { unit: data.unit, better: data.better, values: Object.fromEntries(data.values) }]),
        ),
      },
    ]),
  );
}

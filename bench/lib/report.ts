/**
 * The benchmark report: per scenario, one row per metric with each column's median of the repeats, its
 * min–max, and its ratio to the scenario's baseline column (raw `ws` for the single-server scenarios,
 * Mosquitto for mqtt-fanout). A scenario may split its metrics into several tables (mqtt-fanout: one per QoS).
 * Written as Markdown (and the raw numbers as JSON) to `bench/results/`.
 */
import { cpus, release } from "node:os";
import type { ServerName } from "./dialects.js";
import { median, range } from "./stats.js";

/** One column of a scenario's table: a server, or one set-up of it (a cluster of 2 workers). */
export interface Column {
  readonly key: string;
  readonly label: string;
  /** Its name in ratio headers ("Fenix / ws"). @defaultValue the label */
  readonly short?: string;
}

/** Every value of one scenario: metric → column key → one value per repeat. */
export interface ScenarioResults {
  readonly title: string;
  /** How the servers ran, when not each alone on CPU 1. */
  readonly note?: string;
  readonly columns: readonly Column[];
  /** The column the others are divided by (no ratio columns without it). */
  readonly baseline?: string;
  /**
   * Tables of their own within the scenario (such as "QoS 0" and "QoS 1"): a metric named
   * `<group>: <name>` goes in the group's table, as `<name>`. Without groups, one table.
   */
  readonly groups?: readonly string[];
  readonly metrics: Map<string, MetricResults>;
  /** Lines printed under the tables (the soak's verdict). */
  summary?: string[];
  /** Written to the JSON beside the metrics (the soak's samples). */
  details?: unknown;
}

/** One metric of a scenario: column key → one value per repeat. */
export interface MetricResults {
  readonly unit: string;
  readonly better: "higher" | "lower";
  readonly values: Map<string, number[]>;
}

/** Every scenario's results, by scenario id. */
export type Results = Map<string, ScenarioResults>;

export const SERVER_LABELS: Record<ServerName, string> = { fenix: "Fenix", ws: "raw ws", socketio: "Socket.IO 4.8" };

/** The column of a server run alone. */
export const serverColumn = (server: ServerName): Column => ({ key: server, label: SERVER_LABELS[server], short: { fenix: "Fenix", ws: "ws", socketio: "Socket.IO" }[server] });

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
export function renderMarkdown(results: Results, meta: { date: string; command: string; repeats: number; seconds: number; revision: string }): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results, ${meta.date}`, "");
  lines.push(`- Machine: ${machine()}`);
  lines.push(`- Revision: ${meta.revision}`);
  lines.push(`- Command: \`${meta.command}\` (${meta.repeats} repeat${meta.repeats === 1 ? "" : "s"}, ${Math.round(meta.seconds)} s in all)`);
  lines.push("- Unless a scenario says otherwise, each server ran alone on CPU 1 (`taskset -c 1`), restarted for every scenario; the load generator ran on CPU 0.");
  lines.push("- Cells: median of the repeats (min–max). Ratios: the median divided by the median of the column named after the slash (raw `ws` unless a scenario says otherwise).", "");
  for (const [, scenario] of results) {
    lines.push(`## ${scenario.title}`, "");
    if (scenario.note !== undefined) lines.push(scenario.note, "");
    const baseline = scenario.columns.find((c) => c.key === scenario.baseline);
    const others = baseline === undefined ? [] : scenario.columns.filter((c) => c !== baseline);
    const header = ["metric", ...scenario.columns.map((c) => c.label), ...others.map((c) => `${c.short ?? c.label} / ${baseline!.short ?? baseline!.label}`)];
    const tables = scenario.groups === undefined ? [{ group: null, metrics: [...scenario.metrics] }] : scenario.groups.map((group) => ({ group, metrics: inGroup(scenario, group) }));
    for (const { group, metrics } of tables) {
      if (group !== null) lines.push(`### ${group}`, "");
      lines.push(`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
      for (const [metric, data] of metrics) lines.push(row(scenario, metric, data, baseline, others));
      lines.push("");
    }
    if (scenario.summary !== undefined) lines.push(...scenario.summary, "");
  }
  return lines.join("\n");
}

/** The metrics of `group` (named `<group>: …`), with the group's prefix taken off their names. */
function inGroup(scenario: ScenarioResults, group: string): [string, MetricResults][] {
  const prefix = `${group}: `;
  return [...scenario.metrics].filter(([metric]) => metric.startsWith(prefix)).map(([metric, data]) => [metric.slice(prefix.length), data]);
}

/** One metric's row: each column's median (min–max), then the ratios to the baseline's median. */
function row(scenario: ScenarioResults, metric: string, data: MetricResults, baseline: Column | undefined, others: readonly Column[]): string {
  const cells = scenario.columns.map((c) => {
    const values = data.values.get(c.key) ?? [];
    if (values.length === 0) return "—";
    const [lo, hi] = range(values);
    return values.length === 1 ? format(values[0]!) : `${format(median(values))} (${format(lo)}–${format(hi)})`;
  });
  const base = median(data.values.get(baseline?.key ?? "") ?? []);
  const ratios = others.map((c) => {
    const ratio = median(data.values.get(c.key) ?? []) / base;
    return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—";
  });
  return `| ${metric} (${data.unit}, ${data.better} is better) | ${[...cells, ...ratios].join(" | ")} |`;
}

/** The results as plain JSON. */
export function toJson(results: Results): unknown {
  return Object.fromEntries(
    [...results].map(([id, scenario]) => [
      id,
      {
        title: scenario.title,
        ...(scenario.note !== undefined ? { note: scenario.note } : {}),
        columns: scenario.columns,
        ...(scenario.baseline !== undefined ? { baseline: scenario.baseline } : {}),
        ...(scenario.groups !== undefined ? { groups: scenario.groups } : {}),
        metrics: Object.fromEntries(
          [...scenario.metrics].map(([metric, data]) => [metric, { unit: data.unit, better: data.better, values: Object.fromEntries(data.values) }]),
        ),
        ...(scenario.details !== undefined ? { details: scenario.details } : {}),
      },
    ]),
  );
}

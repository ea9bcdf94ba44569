// Keeps docs/metrics.md and the Grafana dashboard in step with the code: every metric a scrape declares is
// documented, and every metric name the page or the dashboard uses exists.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { enableMetrics } from "../../../src/metrics/index.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { silentLogger } from "../../../src/server/endpoint/logger.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const page = readFileSync(join(root, "docs", "metrics.md"), "utf8");
const dashboard = readFileSync(join(root, "docs", "grafana", "fenix.json"), "utf8");

const metrics = enableMetrics({
  node: "docs",
  runtime: new Runtime({ node: "docs" }),
  logger: silentLogger,
  pubsub: { nodes: () => ["docs"], status: "local" },
  connections: () => [],
  routes: () => [],
  route: () => undefined,
});
const text = await metrics.scrape();
metrics.stop();
const declared = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name: name!, type: type! }));
const families = new Set(declared.map((d) => d.name));

/** The metric names a text uses, histogram series folded into their family. */
function namesIn(source: string): string[] {
  const names = new Set<string>();
  for (const [name] of source.matchAll(/\bfenix_[a-z0-9_]+/g)) {
    const family = name.replace(/_(bucket|sum|count)$/, "");
    names.add(families.has(family) ? family : name);
  }
  return [...names].sort();
}

describe("docs/metrics.md", () => {
  it.each(declared.map((d) => [d.name, d.type] as const))("documents %s as a %s", (name, type) => {
    const row = page.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `${name} has no row in docs/metrics.md`).toBeDefined();
    expect(row).toContain(`| ${type}`);
  });

  it("names only metrics that exist", () => {
    expect(namesIn(page).filter((name) => !families.has(name))).toEqual([]);
  });
});

describe("docs/grafana/fenix.json", () => {
  it("is a dashboard whose queries use only metrics that exist", () => {
    const parsed = JSON.parse(dashboard) as { panels: unknown[] };
    expect(parsed.panels.length).toBeGreaterThan(0);
    expect(namesIn(dashboard).filter((name) => !families.has(name))).toEqual([]);
  });
});

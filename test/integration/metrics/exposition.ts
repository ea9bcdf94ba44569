/**
 * Reads the Prometheus text format in tests: parses a scrape into samples and finds the value of one
 * series by name and labels, so a test states "fenix_channel_crashes_total{during="handleIn"} is 3".
 */
import { expect } from "vitest";

/** One line of a scrape: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of a scrape, in order; `# HELP` and `# TYPE` lines are checked to precede their samples. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# TYPE ")) {
      typed.add(line.split(" ")[2]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name, rawLabels = "", rawValue] = match as unknown as [string, string, string | undefined, string];
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(name) && !typed.has(family)) throw new Error(`sample ${name} before its # TYPE line`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of rawLabels.matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    samples.push({ name, labels, value: rawValue === "+Inf" ? Infinity : Number(rawValue) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function series(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * The value of the one series `name{labels…}` (labels not given may have any value, but only one series
 * may match), 0 when no series matches: a counter never incremented is absent from a scrape.
 */
export function valueOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = series(samples, name, labels);
  expect(found.length, `${name}${JSON.stringify(labels)} should match at most one series: ${JSON.stringify(found)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

/** The sum of every series `name{labels…}` (0 when none). */
export function sumOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  return series(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}

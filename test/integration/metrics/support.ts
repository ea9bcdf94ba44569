/**
 * What the metrics tests share: a scrape over HTTP parsed into samples, a poll that waits for a series to
 * reach a value (telemetry events are published as the server works, a little after the client sees the
 * answer), and a logger that records its lines.
 */
import { expect } from "vitest";
import type { Logger } from "../../../src/server/endpoint/logger.js";
import { parseExposition, valueOf, type Sample } from "./exposition.js";

/** GETs `url` and parses the body; fails unless the answer is 200. */
export async function scrapeUrl(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return parseExposition(body);
}

/** Waits until the series `name{labels}` read by `scrape` equals `expected`. */
export async function expectSeries(
  scrape: () => Promise<Sample[]>,
  name: string,
  labels: Readonly<Record<string, string>>,
  expected: number,
): Promise<void> {
  await expect.poll(async () => valueOf(await scrape(), name, labels), { timeout: 3_000, interval: 20, message: `${name}${JSON.stringify(labels)}` }).toBe(expected);
}

/** One line written to a {@link RecordingLogger}. */
export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly meta: Record<string, unknown> | undefined;
}

/** A logger that keeps every line. */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug = (message: string, meta?: Record<string, unknown>): void => void this.lines.push({ level: "debug", message, meta });
  info = (message: string, meta?: Record<string, unknown>): void => void this.lines.push({ level: "info", message, meta });
  warn = (message: string, meta?: Record<string, unknown>): void => void this.lines.push({ level: "warn", message, meta });
  error = (message: string, meta?: Record<string, unknown>): void => void this.lines.push({ level: "error", message, meta });

  /** The lines whose meta carries `code`. */
  withCode(code: string): LogLine[] {
    return this.lines.filter((line) => line.meta?.code === code);
  }
}

/**
 * Log lines are rate-limited per cause: a client sending 10,000 joins to topics no channel matches gets
 * 10,000 error replies but the log only a few lines and one summary of the rest, while lines of other
 * causes (a crashed join, another warning) are still written.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelemetryEvent, VirtualClock, logTelemetry, onTelemetry, type Clock, type Logger, type TimerHandle } from "../../../src/index.js";
import { endpointCore } from "../../../src/server/endpoint/endpoint-core.js";
import { closeRawResources, RawClient, serveRaw } from "../../support/raw-client.js";
import type { TestEndpoint } from "../../support/test-endpoint.js";

interface Line {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown> | undefined;
}

/** A logger that keeps every line it is given. */
function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

const FLOOD = 10_000;
const UNMATCHED = /^no channel route matches topic/;
const stops: Array<() => void> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await closeRawResources();
});

/** Subscribes `logger` to `server`'s events with `clock`, as the endpoint subscribes its own logger. */
function subscribe(server: TestEndpoint, logger: Logger, clock: Clock): () => void {
  const { endpoint } = server;
  const stop = logTelemetry(logger, (source) => source === endpoint || source === endpoint.pubsub || source === endpoint.runtime, { clock });
  stops.push(stop);
  return stop;
}

/** Sends `count` joins to unmatched topics and waits until the endpoint has published a log record for each. */
async function flood(server: TestEndpoint, count: number): Promise<void> {
  let records = 0;
  stops.push(
    onTelemetry(TelemetryEvent.LOG, (e) => {
      if (e.source === server.endpoint && e.cause === "unmatched_topic") records++;
    }),
  );
  const client = await RawClient.connect(server.websocketUrl);
  for (let i = 0; i < count; i++) client.send([String(i), String(i), `nowhere:${i}`, "phx_join", {}]);
  await expect.poll(() => records, { timeout: 20_000, interval: 20 }).toBe(count);
}

describe("the logger's rate limit per cause", () => {
  let own: ReturnType<typeof recordingLogger>;
  let server: TestEndpoint;

  beforeEach(async () => {
    own = recordingLogger();
    server = await serveRaw({ logger: own.logger });
  });

  it("writes 10 of 10,000 unmatched-topic warnings per 10 s window, then one summary of the rest", async () => {
    const clock = new VirtualClock();
    const { logger, lines } = recordingLogger();
    subscribe(server, logger, clock);

    await flood(server, FLOOD);
    expect(lines.filter((l) => UNMATCHED.test(l.message))).toHaveLength(10);
    expect(lines.every((l) => l.level === "warn" && l.meta?.cause === "unmatched_topic")).toBe(true);

    clock.advance(10_000);
    const summary = lines.at(-1)!;
    expect(lines).toHaveLength(11);
    expect(summary.level).toBe("warn");
    expect(summary.message).toBe(`no channel route matches topic "nowhere:0" … ${FLOOD - 10} more suppressed in the last 10 s`);
    expect(summary.meta).toMatchObject({ cause: "log:unmatched_topic", suppressed: FLOOD - 10, windowMs: 10_000 });

    // The endpoint's own logger (real clock) was bounded the same way.
    expect(own.lines.filter((l) => UNMATCHED.test(l.message)).length).toBeLessThanOrEqual(30);
  }, 30_000);

  it("leaves other causes alone while one cause is suppressed", async () => {
    const clock = new VirtualClock();
    const { logger, lines } = recordingLogger();
    subscribe(server, logger, clock);
    await flood(server, 200);

    const client = await RawClient.connect(server.websocketUrl);
    client.send(["1", "1", "crashy:x", "phx_join", {}]);
    await expect.poll(() => lines.filter((l) => l.message === "join of crashy:x crashed")).toHaveLength(1);
    for (let i = 0; i < 3; i++) endpointCore(server.endpoint).log("warn", "a warning of another cause");
    expect(lines.filter((l) => l.message === "a warning of another cause")).toHaveLength(3);
    expect(lines.filter((l) => UNMATCHED.test(l.message))).toHaveLength(10);
  });

  it("starts a new window with the next line after one ends, writing the summary first; stopping writes what is pending", async () => {
    let now = 0;
    const manual: Clock = { now: () => now, setTimeout: () => ({}) as TimerHandle, clearTimeout: () => {} };
    const { logger, lines } = recordingLogger();
    const stop = subscribe(server, logger, manual);
    await flood(server, 15);
    expect(lines).toHaveLength(10);

    now = 10_000; // the window ended, but its timer (never run by this clock) did not write the summary
    await flood(server, 15);
    expect(lines[10]!.message).toMatch(/^no channel route matches topic "nowhere:0" … 5 more suppressed in the last 10 s$/);
    expect(lines.slice(11).every((l) => UNMATCHED.test(l.message))).toBe(true);
    expect(lines).toHaveLength(21);

    stop();
    expect(lines).toHaveLength(22);
    expect(lines[21]!.meta).toMatchObject({ suppressed: 5 });
  });
});

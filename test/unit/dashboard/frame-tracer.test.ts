// The frame trace: subscribed to the frame telemetry only while someone watches, batches bounded per
// watcher (the rest counted as dropped), leases that end a trace nobody renews, and a last batch when the
// traced connection closes.
import { afterEach, describe, expect, it } from "vitest";
import { TelemetryEvent, publish, telemetryChannels } from "../../../src/telemetry/events.js";
import { FrameTracer, MAX_FRAMES_PER_BATCH, TRACE_LEASE_MS } from "../../../src/dashboard/frame-tracer.js";
import type { FrameBatch, TraceCommand } from "../../../src/dashboard/control-messages.js";

const endpoint = {};
const frame = (pid: string, text = "[]", source: object = endpoint) =>
  publish(TelemetryEvent.FRAME, { source, node: "a", pid, direction: "in", binary: false, bytes: text.length, text });
const watch = (watcher: string, pid: string): TraceCommand => ({ kind: "trace", id: 1, pid, from: "a", replyTo: `reply:${watcher}`, watcher });
const frames = telemetryChannels[TelemetryEvent.FRAME];

let tracer: FrameTracer | undefined;
afterEach(() => tracer?.stop());

function start(): { tracer: FrameTracer; sent: Array<{ node: string; replyTo: string; batch: FrameBatch }> } {
  const sent: Array<{ node: string; replyTo: string; batch: FrameBatch }> = [];
  tracer = new FrameTracer("a", (source) => source === endpoint, (node, replyTo, batch) => sent.push({ node, replyTo, batch }));
  return { tracer, sent };
}

describe("FrameTracer", () => {
  it("subscribes to frames only while someone watches", () => {
    const { tracer } = start();
    expect(frames.hasSubscribers).toBe(false);
    tracer.watch(watch("w1", "<a.1>"), 0);
    expect(frames.hasSubscribers).toBe(true);
    tracer.unwatch("w1");
    expect(frames.hasSubscribers).toBe(false);
  });

  it("sends each watcher the frames of its connection, from its endpoint only", () => {
    const { tracer, sent } = start();
    tracer.watch(watch("w1", "<a.1>"), 0);
    tracer.watch(watch("w2", "<a.2>"), 0);
    frame("<a.1>", '["1","1","room:1","msg",{}]');
    frame("<a.2>", "two");
    frame("<a.3>", "nobody watches");
    frame("<a.1>", "another endpoint's", {});
    tracer.flush(1, null);
    expect(sent.map(({ replyTo, batch }) => [replyTo, batch.pid, batch.frames.map((f) => f.text)])).toEqual([
      ["reply:w1", "<a.1>", ['["1","1","room:1","msg",{}]']],
      ["reply:w2", "<a.2>", ["two"]],
    ]);
    tracer.flush(2, null);
    expect(sent).toHaveLength(2); // nothing new, nothing sent
  });

  it(`keeps ${MAX_FRAMES_PER_BATCH} frames per batch and counts the rest as dropped`, () => {
    const { tracer, sent } = start();
    tracer.watch(watch("w1", "<a.1>"), 0);
    for (let i = 0; i < MAX_FRAMES_PER_BATCH + 5; i++) frame("<a.1>");
    tracer.flush(1, null);
    expect(sent[0]!.batch.frames).toHaveLength(MAX_FRAMES_PER_BATCH);
    expect(sent[0]!.batch.dropped).toBe(5);
  });

  it("ends a trace whose lease was not renewed, and keeps a renewed one", () => {
    const { tracer } = start();
    tracer.watch(watch("w1", "<a.1>"), 0);
    tracer.watch(watch("w2", "<a.2>"), 0);
    tracer.watch(watch("w2", "<a.2>"), TRACE_LEASE_MS - 1); // renewed
    tracer.flush(TRACE_LEASE_MS + 1, null);
    expect(tracer.active).toBe(true);
    tracer.flush(2 * TRACE_LEASE_MS, null);
    expect(tracer.active).toBe(false);
    expect(frames.hasSubscribers).toBe(false);
  });

  it("sends a last batch marked ended when the connection is no longer open", () => {
    const { tracer, sent } = start();
    tracer.watch(watch("w1", "<a.1>"), 0);
    frame("<a.1>", "last words");
    tracer.flush(1, new Set(["<a.9>"]));
    expect(sent.map(({ batch }) => [batch.ended, batch.frames.length])).toEqual([[true, 1]]);
    expect(tracer.active).toBe(false);
  });

  it("moves a watcher to another connection when it traces that one", () => {
    const { tracer, sent } = start();
    tracer.watch(watch("w1", "<a.1>"), 0);
    tracer.watch(watch("w1", "<a.2>"), 0);
    frame("<a.1>", "old");
    frame("<a.2>", "new");
    tracer.flush(1, null);
    expect(sent.map(({ batch }) => batch.frames.map((f) => f.text))).toEqual([["new"]]);
  });
});

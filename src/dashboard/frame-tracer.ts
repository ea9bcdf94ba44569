/**
 * The live frame trace of the connection detail panel. It subscribes to the `fenix:socket:frame`
 * telemetry only while someone watches (the core builds frame events only for a subscriber), keeps a
 * bounded batch per watcher, and hands the batches out on each flush. A watcher holds a lease it must
 * renew; one that stops renewing (its page closed, its node left) is forgotten.
 */
import { TelemetryEvent, onTelemetry } from "../telemetry/events.js";
import type { FrameBatch, TraceCommand, TracedFrame } from "./control-messages.js";

/** How long a trace lasts without a renewal (ms). Watchers renew every {@link TRACE_RENEW_MS}. */
export const TRACE_LEASE_MS = 10_000;
/** How often a watcher renews its lease (ms). */
export const TRACE_RENEW_MS = 3_000;
/** Frames kept per watcher between two flushes; more are counted as dropped. */
export const MAX_FRAMES_PER_BATCH = 200;

interface Watch {
  readonly pid: string;
  readonly from: string;
  readonly replyTo: string;
  readonly watcher: string;
  expiresAt: number;
  frames: TracedFrame[];
  dropped: number;
}

/** Where a batch goes: the watcher's node and reply topic. */
export type BatchSink = (node: string, replyTo: string, batch: FrameBatch) => void;

/** Traces the frames of the connections someone watches. */
export class FrameTracer {
  readonly #node: string;
  readonly #owns: (source: object) => boolean;
  readonly #sink: BatchSink;
  readonly #byWatcher = new Map<string, Watch>();
  readonly #byPid = new Map<string, Set<Watch>>();
  #off: (() => void) | null = null;

  constructor(node: string, owns: (source: object) => boolean, sink: BatchSink) {
    this.#node = node;
    this.#owns = owns;
    this.#sink = sink;
  }

  /** Whether anyone watches. */
  get active(): boolean {
    return this.#byWatcher.size > 0;
  }

  /** Starts a watcher's trace of `command.pid` (replacing its previous one), or renews its lease. */
  watch(command: TraceCommand, now: number): void {
    const current = this.#byWatcher.get(command.watcher);
    if (current !== undefined && current.pid === command.pid) {
      current.expiresAt = now + TRACE_LEASE_MS;
      return;
    }
    if (current !== undefined) this.unwatch(command.watcher);
    const watch: Watch = { pid: command.pid, from: command.from, replyTo: command.replyTo, watcher: command.watcher, expiresAt: now + TRACE_LEASE_MS, frames: [], dropped: 0 };
    this.#byWatcher.set(watch.watcher, watch);
    let set = this.#byPid.get(watch.pid);
    if (set === undefined) this.#byPid.set(watch.pid, (set = new Set()));
    set.add(watch);
    this.#off ??= onTelemetry(TelemetryEvent.FRAME, (e) => {
      const watchers = this.#byPid.get(e.pid);
      if (watchers === undefined || !this.#owns(e.source)) return;
      const frame: TracedFrame = { at: Date.now(), direction: e.direction, binary: e.binary, bytes: e.bytes, text: e.text ?? null };
      for (const w of watchers) {
        if (w.frames.length < MAX_FRAMES_PER_BATCH) w.frames.push(frame);
        else w.dropped++;
      }
    });
  }

  /** Ends a watcher's trace. */
  unwatch(watcher: string): void {
    const watch = this.#byWatcher.get(watcher);
    if (watch === undefined) return;
    this.#byWatcher.delete(watcher);
    const set = this.#byPid.get(watch.pid);
    set?.delete(watch);
    if (set?.size === 0) this.#byPid.delete(watch.pid);
    if (this.#byWatcher.size === 0) this.#unsubscribe();
  }

  /**
   * Sends every watcher its batch, forgets the watchers whose lease ran out at `now`, and ends the traces
   * of connections no longer in `live` (pids as text) with a last batch marked `ended`.
   */
  flush(now: number, live: ReadonlySet<string> | null): void {
    for (const watch of [...this.#byWatcher.values()]) {
      const ended = live !== null && !live.has(watch.pid);
      if (watch.frames.length > 0 || watch.dropped > 0 || ended) {
        const batch: FrameBatch = { kind: "frames", node: this.#node, pid: watch.pid, frames: watch.frames, dropped: watch.dropped, ended };
        watch.frames = [];
        watch.dropped = 0;
        this.#sink(watch.from, watch.replyTo, batch);
      }
      if (ended || now > watch.expiresAt) this.unwatch(watch.watcher);
    }
  }

  /** Ends every trace. */
  stop(): void {
    this.#byWatcher.clear();
    this.#byPid.clear();
    this.#unsubscribe();
  }

  #unsubscribe(): void {
    this.#off?.();
    this.#off = null;
  }
}

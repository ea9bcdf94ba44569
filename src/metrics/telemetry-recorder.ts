/**
 * Turns the telemetry events of one endpoint into counter increments and histogram observations. It
 * subscribes when started and unsubscribes when stopped, so nothing listens (and no publisher builds a
 * payload) unless metrics are enabled. Events of other endpoints in the same process are ignored: an
 * event counts when its `source` is the endpoint, its PubSub or its runtime — presence events, whose
 * source is a tracker, when their `node` is the endpoint's node.
 */
import { onTelemetry, TelemetryEvent, type TelemetryBase, type TelemetryEventName, type TelemetryPayloads } from "../telemetry/events.js";
import { MetricsError, MetricsErrorCode } from "./errors.js";
import type { Instruments } from "./instruments.js";
import { LabelCap } from "./label-cap.js";
import type { PresenceTally } from "./presence-tally.js";

/** Whose events count. */
export interface RecorderScope {
  /** The endpoint, its PubSub and its runtime. */
  readonly sources: ReadonlySet<object>;
  /** The endpoint's node, for presence events. */
  readonly node: string;
}

/** Where a payload that cannot be recorded is reported (once per event name). */
export type RecordFailureReporter = (error: MetricsError) => void;

/** The open-ended labels, each bounded by its own {@link LabelCap}. */
type CappedLabel = "route" | "event" | "reason" | "code" | "child";

/** Records one endpoint's telemetry events into its {@link Instruments}. */
export class TelemetryRecorder {
  readonly #m: Instruments;
  readonly #scope: RecorderScope;
  readonly #tally: PresenceTally;
  readonly #report: RecordFailureReporter;
  readonly #caps: Record<CappedLabel, LabelCap>;
  readonly #unsubscribes: (() => void)[] = [];
  readonly #reported = new Set<TelemetryEventName>();

  constructor(instruments: Instruments, scope: RecorderScope, tally: PresenceTally, maxLabelValues: number, report: RecordFailureReporter) {
    this.#m = instruments;
    this.#scope = scope;
    this.#tally = tally;
    this.#report = report;
    const cap = (label: CappedLabel) => new LabelCap(maxLabelValues, () => instruments.labelOverflow.inc({ label }));
    this.#caps = { route: cap("route"), event: cap("event"), reason: cap("reason"), code: cap("code"), child: cap("child") };
  }

  /** Subscribes to every event the metrics need. */
  start(): void {
    const m = this.#m;
    const caps = this.#caps;
    this.#on(TelemetryEvent.SOCKET_CONNECT, (e) => {
      const duration = seconds(e.durationMs);
      m.socketConnects.inc({ path: e.path, transport: e.transport, result: e.result });
      m.socketConnectDuration.observe({ path: e.path, transport: e.transport }, duration);
    });
    this.#on(TelemetryEvent.SOCKET_DISCONNECT, (e) => {
      m.socketDisconnects.inc({ path: e.path, transport: e.transport, reason: caps.reason.of(disconnectReason(e.reason)) });
    });
    this.#on(TelemetryEvent.SLOW_CONSUMER, (e) => {
      m.slowConsumers.inc({ path: e.path, transport: e.transport });
    });
    this.#on(TelemetryEvent.OUTBOUND_DROPPED, (e) => {
      m.droppedMessages.inc({ path: e.path, transport: e.transport, policy: e.policy });
    });
    this.#on(TelemetryEvent.LIMITED, (e) => {
      m.limitedMessages.inc({ path: e.path, transport: e.transport, limit: e.limit });
    });
    this.#on(TelemetryEvent.TRANSPORT_ERROR, (e) => {
      m.transportErrors.inc({ transport: e.transport, code: caps.code.of(e.code) });
    });
    this.#on(TelemetryEvent.CHANNEL_JOIN, (e) => {
      const duration = seconds(e.durationMs);
      const route = caps.route.of(e.route);
      m.channelJoins.inc({ route, result: e.result });
      m.channelJoinDuration.observe({ route }, duration);
    });
    this.#on(TelemetryEvent.CHANNEL_LEAVE, (e) => {
      m.channelLeaves.inc({ route: caps.route.of(e.route) });
    });
    this.#on(TelemetryEvent.CHANNEL_CRASH, (e) => {
      m.channelCrashes.inc({ route: caps.route.of(e.route), during: e.during });
    });
    this.#on(TelemetryEvent.CHANNEL_RECOVER, (e) => {
      const route = caps.route.of(e.route);
      m.recoveries.inc({ route, reason: e.reason, result: e.recovered ? "recovered" : "not_recovered" });
      m.recoveredMessages.inc({ route }, count(e.messages));
    });
    this.#on(TelemetryEvent.CHANNEL_HANDLE_IN, (e) => {
      const duration = seconds(e.durationMs);
      const bytes = count(e.bytes);
      const route = caps.route.of(e.route);
      const event = caps.event.of(e.event);
      m.handleIn.inc({ route, event, result: e.result });
      m.handleInDuration.observe({ route, event }, duration);
      m.messagesIn.inc({ route });
      m.messagesInBytes.inc({ route }, bytes);
    });
    this.#on(TelemetryEvent.CHANNEL_HANDLE_INFO, (e) => {
      m.handleInfoDuration.observe({ route: caps.route.of(e.route) }, seconds(e.durationMs));
    });
    this.#on(TelemetryEvent.BROADCAST, (e) => {
      const origin = e.remote ? "remote" : "local";
      const subscribers = count(e.subscribers);
      const bytes = count(e.bytes);
      m.broadcasts.inc({ origin });
      m.messagesOut.inc({ origin }, subscribers);
      m.messagesOutBytes.inc({ origin }, bytes);
    });
    this.#on(TelemetryEvent.PUBSUB_STATUS, (e) => {
      const downtime = e.downMs === undefined ? 0 : seconds(e.downMs);
      m.pubsubStatusChanges.inc({ status: e.status });
      m.pubsubDowntime.inc(downtime);
    });
    this.#on(TelemetryEvent.PUBSUB_ERROR, (e) => {
      m.pubsubErrors.inc({ code: caps.code.of(e.code) });
    });
    this.#on(TelemetryEvent.PRESENCE_DIFF, (e) => {
      const joins = count(e.joins);
      const leaves = count(e.leaves);
      const size = count(e.size);
      m.presenceDiffs.inc();
      m.presenceJoins.inc(joins);
      m.presenceLeaves.inc(leaves);
      this.#tally.update(e.source, e.topic, size);
    });
    this.#on(TelemetryEvent.SUPERVISOR_RESTART, (e) => {
      m.supervisorRestarts.inc({ child: caps.child.of(e.child) });
    });
    this.#on(TelemetryEvent.PROCESS_CRASH, () => {
      m.processCrashes.inc();
    });
  }

  /** Unsubscribes from every event. */
  stop(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
  }

  #on<K extends TelemetryEventName>(name: K, record: (payload: TelemetryPayloads[K]) => void): void {
    const presence = name === TelemetryEvent.PRESENCE_DIFF;
    this.#unsubscribes.push(
      onTelemetry(name, (payload) => {
        if (!this.#accepts(payload, presence)) return;
        // A subscriber that throws would surface as an uncaught exception in the publisher's process.
        try {
          record(payload);
        } catch (err) {
          this.#failed(name, err);
        }
      }),
    );
  }

  #accepts(payload: TelemetryBase, presence: boolean): boolean {
    return presence ? payload.node === this.#scope.node : this.#scope.sources.has(payload.source);
  }

  #failed(name: TelemetryEventName, cause: unknown): void {
    if (this.#reported.has(name)) return;
    this.#reported.add(name);
    const why = cause instanceof Error ? cause.message : String(cause);
    this.#report(
      new MetricsError(MetricsErrorCode.RECORD_FAILED, `A ${name} event could not be recorded (${why}); such events are skipped, and this is reported once.`, {
        cause,
      }),
    );
  }
}

/**
 * A disconnect reason as a label: a crash's formatted exit reason (`"crash: Error: …"`, different for every
 * error) is `"crash"`; the other reasons are a few fixed words and error codes.
 */
function disconnectReason(reason: string): string {
  return reason === "crash" || reason.startsWith("crash:") ? "crash" : reason;
}

/** Milliseconds as seconds; throws (and the event is skipped) for a value no duration can have. */
function seconds(ms: number): number {
  return count(ms) / 1000;
}

/** A count or size: finite and not negative, else a throw (and the event is skipped). */
function count(n: number): number {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) throw new TypeError(`expected a finite number ≥ 0, got ${String(n)}`);
  return n;
}

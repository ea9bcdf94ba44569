/**
 * The dashboard's telemetry subscriber: counts what one endpoint, its PubSub and its runtime publish
 * between two samples (connects, joins, messages, crashes, cuts, broadcasts per topic), and keeps the
 * running totals the snapshot needs across intervals (restarts per supervisor child, presence sizes).
 * The dashboard's own socket and topics are left out, so it does not measure itself.
 */
import { ServerErrorCode } from "../server/errors.js";
import { TelemetryEvent, onTelemetry, type TelemetryBase } from "../telemetry/events.js";

/** What happened during one interval. */
export interface IntervalCounts {
  /** Length of the interval (ms). */
  readonly intervalMs: number;
  /** Connect attempts, accepted or not. */
  readonly connectAttempts: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly joins: number;
  /** Joins answered with an error, or whose `join` crashed. */
  readonly refusedJoins: number;
  readonly crashes: number;
  readonly handledIn: number;
  readonly handledInfo: number;
  readonly broadcasts: number;
  readonly broadcastBytes: number;
  readonly slowConsumers: number;
  /** Transport errors other than slow-consumer cuts. */
  readonly transportErrors: number;
  /** Client events plus broadcasts, per topic. */
  readonly topicMessages: ReadonlyMap<string, number>;
}

/** Which events belong to the dashboard's endpoint, and which are the dashboard's own. */
export interface CounterScope {
  /** Whether an event's `source` is the endpoint, its PubSub or its runtime. */
  readonly owns: (source: object) => boolean;
  /** Whether a presence diff concerns this node's presence. */
  readonly ownsPresence: (event: TelemetryBase) => boolean;
  /** The dashboard's socket mount (its connections are not counted). */
  readonly ownPath: string;
  /** Whether a topic is one of the dashboard's. */
  readonly ownTopic: (topic: string) => boolean;
}

const SLOW_CONSUMER_CODE: string = ServerErrorCode.SLOW_CONSUMER;

/** Counts one endpoint's telemetry; {@link TelemetryCounters.take} ends an interval. */
export class TelemetryCounters {
  readonly #scope: CounterScope;
  readonly #off: Array<() => void> = [];
  #since: number;
  #connectAttempts = 0;
  #connects = 0;
  #disconnects = 0;
  #joins = 0;
  #refusedJoins = 0;
  #crashes = 0;
  #handledIn = 0;
  #handledInfo = 0;
  #broadcasts = 0;
  #broadcastBytes = 0;
  #slowConsumers = 0;
  #transportErrors = 0;
  #topicMessages = new Map<string, number>();
  /** Restarts since the counters started, by supervisor pid and child id. */
  readonly #restarts = new Map<string, number>();
  /** Restarts since the counters started, by supervisor pid (every child). */
  readonly #restartsBySupervisor = new Map<string, number>();
  /** The last known number of presence keys per topic. */
  readonly #presence = new Map<string, number>();

  /** Starts counting now (`now` in ms, the clock the intervals are measured on). */
  constructor(scope: CounterScope, now: number) {
    this.#scope = scope;
    this.#since = now;
    const { owns, ownPath, ownTopic } = scope;
    const topicMessage = (topic: string) => this.#topicMessages.set(topic, (this.#topicMessages.get(topic) ?? 0) + 1);
    this.#off.push(
      onTelemetry(TelemetryEvent.SOCKET_CONNECT, (e) => {
        if (!owns(e.source) || e.path === ownPath) return;
        this.#connectAttempts++;
        if (e.result === "ok") this.#connects++;
      }),
      onTelemetry(TelemetryEvent.SOCKET_DISCONNECT, (e) => {
        if (owns(e.source) && e.path !== ownPath) this.#disconnects++;
      }),
      onTelemetry(TelemetryEvent.SLOW_CONSUMER, (e) => {
        if (owns(e.source) && e.path !== ownPath) this.#slowConsumers++;
      }),
      onTelemetry(TelemetryEvent.TRANSPORT_ERROR, (e) => {
        if (owns(e.source) && e.path !== ownPath && e.code !== SLOW_CONSUMER_CODE) this.#transportErrors++;
      }),
      onTelemetry(TelemetryEvent.CHANNEL_JOIN, (e) => {
        if (!owns(e.source) || ownTopic(e.topic)) return;
        this.#joins++;
        if (e.result !== "ok") this.#refusedJoins++;
      }),
      onTelemetry(TelemetryEvent.CHANNEL_CRASH, (e) => {
        if (owns(e.source) && !ownTopic(e.topic)) this.#crashes++;
      }),
      onTelemetry(TelemetryEvent.CHANNEL_HANDLE_IN, (e) => {
        if (!owns(e.source) || ownTopic(e.topic)) return;
        this.#handledIn++;
        topicMessage(e.topic);
      }),
      onTelemetry(TelemetryEvent.CHANNEL_HANDLE_INFO, (e) => {
        if (owns(e.source) && !ownTopic(e.topic)) this.#handledInfo++;
      }),
      onTelemetry(TelemetryEvent.BROADCAST, (e) => {
        // Channel broadcasts only: PubSub's own traffic (presence replication, LongPoll relays) has no event.
        if (!owns(e.source) || e.event === undefined || ownTopic(e.topic)) return;
        this.#broadcasts++;
        this.#broadcastBytes += e.bytes;
        topicMessage(e.topic);
      }),
      onTelemetry(TelemetryEvent.SUPERVISOR_RESTART, (e) => {
        if (!owns(e.source)) return;
        const key = restartKey(e.supervisor, e.child);
        this.#restarts.set(key, (this.#restarts.get(key) ?? 0) + 1);
        this.#restartsBySupervisor.set(e.supervisor, (this.#restartsBySupervisor.get(e.supervisor) ?? 0) + 1);
      }),
      onTelemetry(TelemetryEvent.PRESENCE_DIFF, (e) => {
        if (!scope.ownsPresence(e) || ownTopic(e.topic)) return;
        if (e.size > 0) this.#presence.set(e.topic, e.size);
        else this.#presence.delete(e.topic);
      }),
    );
  }

  /** Ends the interval begun by the previous call (or the constructor) at `now`, and starts the next. */
  take(now: number): IntervalCounts {
    const counts: IntervalCounts = {
      intervalMs: Math.max(0, now - this.#since),
      connectAttempts: this.#connectAttempts,
      connects: this.#connects,
      disconnects: this.#disconnects,
      joins: this.#joins,
      refusedJoins: this.#refusedJoins,
      crashes: this.#crashes,
      handledIn: this.#handledIn,
      handledInfo: this.#handledInfo,
      broadcasts: this.#broadcasts,
      broadcastBytes: this.#broadcastBytes,
      slowConsumers: this.#slowConsumers,
      transportErrors: this.#transportErrors,
      topicMessages: this.#topicMessages,
    };
    this.#since = now;
    this.#connectAttempts = this.#connects = this.#disconnects = this.#joins = this.#refusedJoins = 0;
    this.#crashes = this.#handledIn = this.#handledInfo = this.#broadcasts = this.#broadcastBytes = 0;
    this.#slowConsumers = this.#transportErrors = 0;
    this.#topicMessages = new Map();
    return counts;
  }

  /** Restarts of child `child` by the supervisor `supervisor` (pid as text) since counting began. */
  restarts(supervisor: string, child: string): number {
    return this.#restarts.get(restartKey(supervisor, child)) ?? 0;
  }

  /** Restarts of every child of `supervisor` (pid as text) since counting began. */
  restartsUnder(supervisor: string): number {
    return this.#restartsBySupervisor.get(supervisor) ?? 0;
  }

  /** The presence keys last reported for `topic`, or `undefined`. */
  presenceSize(topic: string): number | undefined {
    return this.#presence.get(topic);
  }

  /** Stops counting (unsubscribes every listener). */
  stop(): void {
    for (const off of this.#off.splice(0)) off();
  }
}

function restartKey(supervisor: string, child: string): string {
  return `${supervisor} ${child}`;
}

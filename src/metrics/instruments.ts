/**
 * Every metric `fenix/metrics` exposes, in one place: name, help text, labels and type. The recorder
 * (telemetry events) and the scrape sampler (gauges read at scrape time) update them; nothing else
 * creates metrics, so this file and docs/metrics.md are the whole list.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { MetricsError, MetricsErrorCode } from "./errors.js";

/** Latency buckets in seconds: 0.5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How the metrics are named and measured. */
export interface InstrumentSettings {
  /** Put before every name, such as `fenix_`. */
  readonly prefix: string;
  /** Bucket upper bounds of the latency histograms, in seconds. */
  readonly buckets: readonly number[];
  /** Runs before a gauge sampled at scrape time is read (once per scrape is enough; see ScrapeSampler). */
  readonly collect: () => void;
}

/** The metrics of one endpoint, unregistered until {@link Instruments.register}. */
export class Instruments {
  // Connections
  readonly connections: Gauge<"path" | "transport">;
  readonly socketConnects: Counter<"path" | "transport" | "result">;
  readonly socketConnectDuration: Histogram<"path" | "transport">;
  readonly socketDisconnects: Counter<"path" | "transport" | "reason">;
  readonly slowConsumers: Counter<"path" | "transport">;
  readonly droppedMessages: Counter<"path" | "transport" | "policy">;
  readonly limitedMessages: Counter<"path" | "transport" | "limit">;
  readonly transportErrors: Counter<"transport" | "code">;
  readonly outboundBytes: Gauge<"transport">;
  readonly outboundBytesMax: Gauge<"transport">;
  // Channels
  readonly channels: Gauge<"route">;
  readonly channelJoins: Counter<"route" | "result">;
  readonly channelJoinDuration: Histogram<"route">;
  readonly channelLeaves: Counter<"route">;
  readonly channelCrashes: Counter<"route" | "during">;
  readonly recoveries: Counter<"route" | "reason" | "result">;
  readonly recoveredMessages: Counter<"route">;
  readonly handleIn: Counter<"route" | "event" | "result">;
  readonly handleInDuration: Histogram<"route" | "event">;
  readonly handleInfoDuration: Histogram<"route">;
  // Messages
  readonly messagesIn: Counter<"route">;
  readonly messagesInBytes: Counter<"route">;
  readonly broadcasts: Counter<"origin">;
  readonly messagesOut: Counter<"origin">;
  readonly messagesOutBytes: Counter<"origin">;
  // Queues
  readonly mailboxMessages: Gauge<"process">;
  readonly mailboxMessagesMax: Gauge<"process">;
  readonly mailboxMessagesP99: Gauge<"process">;
  // Processes
  readonly supervisorRestarts: Counter<"child">;
  readonly processCrashes: Counter;
  // PubSub and nodes
  readonly nodes: Gauge;
  readonly pubsubUp: Gauge;
  readonly pubsubStatus: Gauge<"status">;
  readonly pubsubStatusChanges: Counter<"status">;
  readonly pubsubDowntime: Counter;
  readonly pubsubErrors: Counter<"code">;
  // Presence
  readonly presences: Gauge;
  readonly presenceTopics: Gauge;
  readonly presenceDiffs: Counter;
  readonly presenceJoins: Counter;
  readonly presenceLeaves: Counter;
  // The metrics themselves
  readonly labelOverflow: Counter<"label">;

  readonly #all: (Counter<string> | Gauge<string> | Histogram<string>)[] = [];

  constructor(settings: InstrumentSettings) {
    const p = settings.prefix;
    const buckets = [...settings.buckets];
    const collect = settings.collect;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
      this.#keep(new Counter<L>({ name: p + name, help, labelNames, registers: [] }));
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
      this.#keep(new Gauge<L>({ name: p + name, help, labelNames, registers: [], collect }));
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> =>
      this.#keep(new Histogram<L>({ name: p + name, help, labelNames, buckets, registers: [] }));

    this.connections = gauge("connections", "Open client connections, per socket mount and transport (read at scrape).", ["path", "transport"]);
    this.socketConnects = counter("socket_connects_total", "Connection attempts that reached the socket's connect, by result: ok, refused (403), error (500).", [
      "path",
      "transport",
      "result",
    ]);
    this.socketConnectDuration = histogram("socket_connect_duration_seconds", "Time spent in the socket's connect and id.", ["path", "transport"]);
    this.socketDisconnects = counter("socket_disconnects_total", "Connections that ended, by reason: closed, crash, shutdown, or an error code.", [
      "path",
      "transport",
      "reason",
    ]);
    this.slowConsumers = counter("slow_consumers_total", "Clients cut (1013) for reading slower than the server writes.", ["path", "transport"]);
    this.droppedMessages = counter(
      "dropped_messages_total",
      "Pushes and broadcasts dropped for slow clients under their route's slow-consumer policy (dropOldest, keepLatest).",
      ["path", "transport", "policy"],
    );
    this.limitedMessages = counter(
      "limited_messages_total",
      "Client messages refused by a rate or length limit and answered with an error reply, by limit.",
      ["path", "transport", "limit"],
    );
    this.transportErrors = counter("transport_errors_total", "Clients that broke the protocol or a limit, by error code.", ["transport", "code"]);
    this.outboundBytes = gauge("outbound_buffered_bytes", "Outbound bytes queued for clients and not yet written, summed over connections (read at scrape).", [
      "transport",
    ]);
    this.outboundBytesMax = gauge("outbound_buffered_bytes_max", "The largest outbound queue of one connection, in bytes (read at scrape).", ["transport"]);

    this.channels = gauge("channels", "Joined channels, per route pattern (read at scrape).", ["route"]);
    this.channelJoins = counter("channel_joins_total", "Join answers, by result: ok, error (refused by join), crash (join threw).", ["route", "result"]);
    this.channelJoinDuration = histogram("channel_join_duration_seconds", "Time spent in the channel's join.", ["route"]);
    this.channelLeaves = counter("channel_leaves_total", "Channels that ended cleanly: left, stopped, or closed with their connection.", ["route"]);
    this.channelCrashes = counter("channel_crashes_total", "Channels that crashed, by the callback they crashed in (join, handleIn, handleInfo, handleOut) or exit.", [
      "route",
      "during",
    ]);
    this.recoveries = counter(
      "recoveries_total",
      "Catch-ups of clients on topics with history (a join with since, or a gap the client noticed), by whether every missed message could be sent.",
      ["route", "reason", "result"],
    );
    this.recoveredMessages = counter("recovered_messages_total", "Missed messages sent to clients that caught up on topics with history.", ["route"]);
    this.handleIn = counter("channel_handle_in_total", "Client events handled by handleIn, by result: reply, noreply, stop, crash.", ["route", "event", "result"]);
    this.handleInDuration = histogram("channel_handle_in_duration_seconds", "Time spent in handleIn, per route and event.", ["route", "event"]);
    this.handleInfoDuration = histogram("channel_handle_info_duration_seconds", "Time spent in handleInfo, per route.", ["route"]);

    this.messagesIn = counter("messages_in_total", "Client events handled by channels (every handleIn call).", ["route"]);
    this.messagesInBytes = counter("messages_in_bytes_total", "Payload bytes of the client events handled by channels.", ["route"]);
    this.broadcasts = counter("broadcasts_total", "Broadcasts delivered to this node's subscribers, by origin: local or remote (another node).", ["origin"]);
    this.messagesOut = counter("messages_out_total", "Broadcast deliveries: the subscribers each broadcast was handed to.", ["origin"]);
    this.messagesOutBytes = counter("messages_out_bytes_total", "Bytes of broadcast frames written to clients (frame size times clients).", ["origin"]);

    this.mailboxMessages = gauge("mailbox_messages", "Messages queued in the mailboxes of every socket or channel process, summed (read at scrape).", ["process"]);
    this.mailboxMessagesMax = gauge("mailbox_messages_max", "The longest mailbox of one socket or channel process (read at scrape).", ["process"]);
    this.mailboxMessagesP99 = gauge("mailbox_messages_p99", "The 99th percentile of mailbox lengths over socket or channel processes (read at scrape).", [
      "process",
    ]);

    this.supervisorRestarts = counter("supervisor_restarts_total", "Children restarted by a supervisor of the endpoint's runtime, by child id.", ["child"]);
    this.processCrashes = counter("process_crashes_total", "Processes of the endpoint's runtime that crashed with nobody linked to them.", []);

    this.nodes = gauge("nodes", "Nodes of the cluster known to the PubSub, this one included (read at scrape).", []);
    this.pubsubUp = gauge("pubsub_up", "1 when the PubSub reaches the other nodes (status up) or has none to reach (local), else 0 (read at scrape).", []);
    this.pubsubStatus = gauge("pubsub_status", "1 for the PubSub's current status (local, connecting, up, down), 0 for the others (read at scrape).", ["status"]);
    this.pubsubStatusChanges = counter("pubsub_status_changes_total", "Changes of the PubSub's link status, by the status entered.", ["status"]);
    this.pubsubDowntime = counter("pubsub_downtime_seconds_total", "Time the link to the other nodes was down, added when it comes back up.", []);
    this.pubsubErrors = counter("pubsub_errors_total", "Problems reported by the PubSub and its adapter, by error code.", ["code"]);

    this.presences = gauge("presences", "Presence keys on this node's view, summed over topics (read at scrape).", []);
    this.presenceTopics = gauge("presence_topics", "Topics with at least one presence (read at scrape).", []);
    this.presenceDiffs = counter("presence_diffs_total", "Presence diffs on this node's view.", []);
    this.presenceJoins = counter("presence_joins_total", "Presence keys that joined (or changed meta), summed over diffs.", []);
    this.presenceLeaves = counter("presence_leaves_total", "Presence keys that left (or changed meta), summed over diffs.", []);

    this.labelOverflow = counter("metrics_label_overflow_total", "Label values counted under (other) because the label reached maxLabelValues.", ["label"]);
  }

  /**
   * Registers every metric in `registry`, or none of them.
   * @throws MetricsError `FENIX_ERR_METRICS_NAME_TAKEN` when one of the names is already registered there.
   */
  register(registry: Registry): void {
    const taken = this.#all.map((m) => metricName(m)).filter((name) => registry.getSingleMetric(name) !== undefined);
    if (taken.length > 0) {
      throw new MetricsError(
        MetricsErrorCode.NAME_TAKEN,
        `The registry already has ${taken.length === 1 ? "a metric" : "metrics"} named ${taken.join(", ")}. Give each endpoint a registry of its own (the default), or a distinct prefix option.`,
      );
    }
    for (const metric of this.#all) registry.registerMetric(metric);
  }

  /** Removes every metric from `registry` (the ones it holds under these names and are these objects). */
  unregister(registry: Registry): void {
    for (const metric of this.#all) {
      const name = metricName(metric);
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
  }

  #keep<M extends Counter<string> | Gauge<string> | Histogram<string>>(metric: M): M {
    this.#all.push(metric);
    return metric;
  }
}

/** prom-client keeps the name on the metric object but does not declare it. */
function metricName(metric: object): string {
  return (metric as { name: string }).name;
}

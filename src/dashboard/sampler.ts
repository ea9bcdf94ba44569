/**
 * The sampler: one process per node, supervised in the endpoint's tree. Every `sampleMs` it takes the
 * node's snapshot (connections, queues, rates and error counts from telemetry, topics, the supervision
 * tree), publishes it to the other nodes, merges what they published into the cluster view and pushes
 * that view to the dashboard pages connected here. It also carries out the commands pages send to this
 * node — disconnect, suspend, resume, trace — whichever node the page is on.
 */
import type { JsonObject } from "../protocol/message.js";
import type { Pid } from "../runtime/process/pid.js";
import { Process } from "../runtime/process/process.js";
import type { ConnectionInfo } from "../server/endpoint/connection-info.js";
import {
  DashboardTopic,
  isDashboardTopic,
  parseCommand,
  parseSnapshot,
  type Command,
  type CommandResult,
  type ProcessCommand,
  type SnapshotMessage,
  type TraceCommand,
  type UntraceCommand,
} from "./control-messages.js";
import type { DashboardContext } from "./dashboard-context.js";
import { DashboardError, DashboardErrorCode } from "./errors.js";
import { FrameTracer } from "./frame-tracer.js";
import { buildNodeSnapshot } from "./node-snapshot.js";
import { readSupervisionTree, type SupervisionTree } from "./supervision-tree.js";
import { TelemetryCounters } from "./telemetry-counters.js";

const TICK = Symbol("dashboard: sample");
const FLUSH = Symbol("dashboard: flush traces");
/** How often traced frames are sent to their watchers (ms). */
const FLUSH_MS = 100;
/** A failing sample is logged at most this often (ms), not every interval. */
const FAILURE_LOG_MS = 60_000;

class TreeRead {
  constructor(readonly tree: SupervisionTree | null) {}
}

/** @internal The dashboard's per-node process. */
export class DashboardSampler extends Process {
  readonly #ctx: DashboardContext;
  readonly #counters: TelemetryCounters;
  readonly #tracer: FrameTracer;
  /** Processes suspended through the dashboard; resumed when the sampler ends. */
  readonly #suspended = new Map<string, Pid>();
  #tree: SupervisionTree | null = null;
  #readingTree = false;
  #flushScheduled = false;
  #previousConnections: number;
  #lastFailureLog = -Infinity;

  constructor(ctx: DashboardContext, parent: Pid) {
    super(ctx.endpoint.runtime, { link: parent });
    this.#ctx = ctx;
    const { endpoint, options } = ctx;
    const presence = options.presence;
    this.#counters = new TelemetryCounters(
      {
        owns: ctx.owns,
        ownsPresence: (e) => (presence === undefined ? e.node === endpoint.node : e.source === presence || e.source === presence.tracker),
        ownPath: options.socketPath,
        ownTopic: isDashboardTopic,
      },
      this.runtime.clock.now(),
    );
    this.#tracer = new FrameTracer(endpoint.node, ctx.owns, (node, replyTo, batch) => this.#send(node, replyTo, batch as unknown as JsonObject));
    this.#previousConnections = this.#appConnections().length;
    endpoint.pubsub.subscribe(DashboardTopic.SNAPSHOTS, this.pid);
    endpoint.pubsub.subscribe(DashboardTopic.CONTROL, this.pid);
    this.runtime.send(this.pid, TICK);
  }

  protected override handleMessage(message: unknown): void {
    if (message === TICK) {
      this.#sampleSafely();
      this.runtime.sendAfter(this.pid, TICK, this.#ctx.options.sampleMs);
    } else if (message === FLUSH) {
      this.#flushScheduled = false;
      this.#tracer.flush(this.runtime.clock.now(), null);
      this.#scheduleFlush();
    } else if (message instanceof TreeRead) {
      this.#readingTree = false;
      if (message.tree !== null) this.#tree = message.tree;
    } else {
      const snapshot = parseSnapshot(message);
      if (snapshot !== null) {
        if (snapshot.node !== this.#ctx.endpoint.node) this.#ctx.cluster.apply(snapshot, this.runtime.clock.now());
        return;
      }
      const command = parseCommand(message);
      if (command !== null) this.#command(command);
    }
  }

  protected override onExit(): void {
    this.#counters.stop();
    this.#tracer.stop();
    for (const pid of this.#suspended.values()) this.runtime.resume(pid);
    this.#suspended.clear();
  }

  // ## Sampling

  #sampleSafely(): void {
    try {
      this.#sample();
    } catch (cause) {
      const now = this.runtime.clock.now();
      if (now - this.#lastFailureLog < FAILURE_LOG_MS) return;
      this.#lastFailureLog = now;
      const error = new DashboardError(DashboardErrorCode.SAMPLE_FAILED, "The dashboard could not take this node's snapshot; it tries again next interval.", { cause });
      this.#ctx.log("error", error.message, { error });
    }
  }

  #sample(): void {
    const { endpoint, options, cluster } = this.#ctx;
    const now = this.runtime.clock.now();
    const counts = this.#counters.take(now);
    const connections = this.#appConnections();
    for (const [text, pid] of this.#suspended) if (!this.runtime.isAlive(pid)) this.#suspended.delete(text);
    const snapshot = buildNodeSnapshot({
      node: endpoint.node,
      at: Date.now(),
      sampleMs: options.sampleMs,
      status: endpoint.pubsub.status,
      counts,
      previousConnections: this.#previousConnections,
      connections,
      presence: (topic) => this.#presenceCount(topic),
      tree: this.#tree?.tree ?? null,
      suspended: new Set(this.#suspended.keys()),
      maxRows: options.maxRows,
    });
    this.#previousConnections = connections.length;
    cluster.apply(snapshot, now);
    if (endpoint.pubsub.status !== "local") {
      const message: SnapshotMessage = { kind: "snapshot", snapshot };
      try {
        endpoint.pubsub.broadcastFrom(this.pid, DashboardTopic.SNAPSHOTS, message);
      } catch {
        // The PubSub has stopped: the node is shutting down, and the others will drop it.
      }
    }
    cluster.expire(now);
    const merged = cluster.view(Date.now());
    if (merged !== null) {
      cluster.record(merged);
      this.#ctx.latest = merged;
      if (endpoint.pubsub.subscriberCount(DashboardTopic.VIEW) > 0) endpoint.localBroadcast(DashboardTopic.VIEW, "view", merged as unknown as JsonObject);
    }
    if (this.#tracer.active) this.#tracer.flush(now, new Set(connections.map((c) => c.pid.toString())));
    this.#readTree();
  }

  /** The endpoint's connections, the dashboard's own left out. */
  #appConnections(): ConnectionInfo[] {
    const own = this.#ctx.options.socketPath;
    return this.#ctx.endpoint.connections().filter((c) => c.path !== own);
  }

  #presenceCount(topic: string): number | null {
    const presence = this.#ctx.options.presence;
    if (presence === undefined) return this.#counters.presenceSize(topic) ?? null;
    try {
      return new Set(presence.tracker.list(topic).map((entry) => entry.key)).size;
    } catch {
      return null; // the tracker is not running (yet, or any more)
    }
  }

  #readTree(): void {
    const root = this.#ctx.endpoint.supervisor;
    if (this.#readingTree || root === null) return;
    this.#readingTree = true;
    const counters = this.#counters;
    const sources = {
      runtime: this.runtime,
      restarts: (supervisor: string, child: string) => counters.restarts(supervisor, child),
      restartsUnder: (supervisor: string) => counters.restartsUnder(supervisor),
      suspended: new Set(this.#suspended.keys()),
      timeoutMs: Math.max(this.#ctx.options.sampleMs, 1000),
    };
    readSupervisionTree(root, sources).then(
      (tree) => this.runtime.send(this.pid, new TreeRead(tree)),
      () => this.runtime.send(this.pid, new TreeRead(null)),
    );
  }

  // ## Commands

  #command(command: Command): void {
    switch (command.kind) {
      case "untrace":
        this.#tracer.unwatch(command.watcher);
        if (command.id !== 0) this.#result(command, null, "Trace stopped.");
        return;
      case "trace":
        this.#trace(command);
        return;
      case "disconnect":
        this.#disconnect(command);
        return;
      case "suspend":
      case "resume":
        this.#suspendOrResume(command);
        return;
    }
  }

  #trace(command: TraceCommand): void {
    const connection = this.#ctx.endpoint.connections().find((c) => c.pid.toString() === command.pid);
    if (connection === undefined || connection.path === this.#ctx.options.socketPath) {
      if (command.id !== 0) this.#result(command, DashboardErrorCode.NOT_FOUND, `No connection ${command.pid} on node ${this.#ctx.endpoint.node}; it may have closed.`);
      else this.#send(command.from, command.replyTo, { kind: "frames", node: this.#ctx.endpoint.node, pid: command.pid, frames: [], dropped: 0, ended: true });
      return;
    }
    this.#tracer.watch(command, this.runtime.clock.now());
    this.#scheduleFlush();
    if (command.id !== 0) this.#result(command, null, `Tracing ${command.pid}.`);
  }

  #disconnect(command: ProcessCommand): void {
    const { endpoint, options } = this.#ctx;
    const connection = endpoint.connections().find((c) => c.pid.toString() === command.pid);
    if (connection === undefined) {
      this.#result(command, DashboardErrorCode.NOT_FOUND, `No connection ${command.pid} on node ${endpoint.node}; it may have closed already.`);
    } else if (connection.path === options.socketPath) {
      this.#result(command, DashboardErrorCode.ACTION_REFUSED, "The dashboard does not disconnect its own pages.");
    } else {
      endpoint.closeConnection(connection.pid);
      this.#result(command, null, `Closed ${command.pid} with 1001; the client will reconnect.`);
    }
  }

  #suspendOrResume(command: ProcessCommand): void {
    const { endpoint } = this.#ctx;
    const found = this.#findProcess(command.pid);
    if (found === undefined) {
      this.#result(command, DashboardErrorCode.NOT_FOUND, `No process ${command.pid} on node ${endpoint.node} that the dashboard shows; it may have ended.`);
      return;
    }
    if (found === "own") {
      this.#result(command, DashboardErrorCode.ACTION_REFUSED, `${command.pid} is a process of the dashboard itself; suspending it would freeze the dashboard.`);
      return;
    }
    if (command.kind === "suspend") {
      this.runtime.suspend(found);
      this.#suspended.set(command.pid, found);
      this.#result(command, null, `Suspended ${command.pid}: its messages queue until it is resumed.`);
    } else {
      this.runtime.resume(found);
      this.#suspended.delete(command.pid);
      this.#result(command, null, `Resumed ${command.pid}.`);
    }
  }

  /** The live process the dashboard shows under `text`, `"own"` for one of the dashboard's, or `undefined`. */
  #findProcess(text: string): Pid | "own" | undefined {
    if (text === this.pid.toString()) return "own";
    const suspended = this.#suspended.get(text);
    if (suspended !== undefined) return this.runtime.isAlive(suspended) ? suspended : undefined;
    for (const c of this.#ctx.endpoint.connections()) {
      const own = c.path === this.#ctx.options.socketPath;
      if (c.pid.toString() === text) return own ? "own" : c.pid;
      for (const ch of c.channels) if (ch.pid.toString() === text) return own ? "own" : ch.pid;
    }
    const pid = this.#tree?.pids.get(text);
    return pid !== undefined && this.runtime.isAlive(pid) ? pid : undefined;
  }

  #result(command: ProcessCommand | TraceCommand | UntraceCommand, code: DashboardErrorCode | null, message: string): void {
    const result: CommandResult = { kind: "result", id: command.id, code, message };
    this.#send(command.from, command.replyTo, result as unknown as JsonObject);
  }

  #send(node: string, topic: string, message: JsonObject): void {
    try {
      this.#ctx.endpoint.pubsub.directBroadcast(node, topic, message);
    } catch {
      // The PubSub has stopped; the asking page times out.
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || !this.#tracer.active) return;
    this.#flushScheduled = true;
    this.runtime.sendAfter(this.pid, FLUSH, FLUSH_MS);
  }
}

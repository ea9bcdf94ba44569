/**
 * The endpoint a channel test's connections and channels see: broadcasts through the fastlane on the
 * test's PubSub, log lines into a collector, client errors into a list — the part of an Endpoint that
 * sockets and channels use, without its HTTP server.
 */
import type { FenixError } from "../errors/fenix-error.js";
import type { Payload } from "../protocol/message.js";
import { Presence } from "../presence/presence.js";
import type { PubSub } from "../pubsub/pubsub.js";
import type { Pid } from "../runtime/process/pid.js";
import type { Runtime } from "../runtime/process/runtime.js";
import { broadcastEvent, broadcastEventFrom, localBroadcastEvent } from "../server/channel/channel-broadcast.js";
import type { HistorySettings } from "../server/channel/channel-route.js";
import type { ClientErrorContext, EndpointContext } from "../server/endpoint/endpoint-context.js";
import { FASTLANE_DISPATCHER, fastlaneDispatcher } from "../server/channel/fastlane.js";
import { logRecord, logTelemetry } from "../server/endpoint/telemetry-logger.js";
import { plainErrorContext } from "../server/socket/peer-error-context.js";
import type { LogCollector } from "./log-collector.js";

/** A client error the server reported during a channel test (what an endpoint's `clientError` event carries). */
export interface ReportedClientError {
  readonly error: FenixError;
  readonly context: ClientErrorContext;
}

interface Closable {
  close(code: number, reason: string): void;
}

/**
 * An {@link EndpointContext} without HTTP.
 *
 * @example
 * ```ts
 * const endpoint = new TestEndpoint(pubsub, new LogCollector());
 * endpoint.broadcast("room:1", "notice", { text: "hi" });
 * ```
 */
export class TestEndpoint implements EndpointContext {
  readonly runtime: Runtime;
  readonly pubsub: PubSub;
  readonly logger: LogCollector;
  /** Every client error reported, oldest first. */
  readonly clientErrors: ReportedClientError[] = [];
  /** The connections open now. */
  readonly sockets = new Set<Closable>();

  /** Stops collecting this endpoint's telemetry log lines. */
  readonly dispose: () => void;

  /** The history of the route serving a topic (set by the channel test from its socket's routes). */
  historyOf: (topic: string) => HistorySettings | null = () => null;

  /** Itself: the test endpoint is both the public and the internal side. */
  get api(): this {
    return this;
  }

  /** The test's presence tracker (started by the test when a route's channel tracks presence). */
  readonly presence: Presence;

  constructor(pubsub: PubSub, logger: LogCollector) {
    this.runtime = pubsub.runtime;
    this.pubsub = pubsub;
    this.presence = new Presence(pubsub, { name: "endpoint_presence" });
    this.logger = logger;
    pubsub.registerDispatcher(FASTLANE_DISPATCHER, fastlaneDispatcher);
    // As an endpoint's logger does: log lines are what this endpoint, its PubSub and runtime publish.
    this.dispose = logTelemetry(logger, (source) => source === this || source === pubsub || source === pubsub.runtime);
  }

  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void {
    logRecord(this, this.pubsub.nodeName, level, message, meta);
  }

  broadcast(topic: string, event: string, payload: Payload): void {
    broadcastEvent(this.pubsub, topic, event, payload, this.historyOf(topic));
  }

  broadcastFrom(from: Pid, topic: string, event: string, payload: Payload): void {
    broadcastEventFrom(this.pubsub, from, topic, event, payload, this.historyOf(topic));
  }

  localBroadcast(topic: string, event: string, payload: Payload): void {
    localBroadcastEvent(this.pubsub, topic, event, payload);
  }

  reportClientError(error: FenixError, where: ClientErrorContext): void {
    const context = plainErrorContext(where);
    this.logger.debug(`client error ${error.code}: ${error.message}`, { ...context });
    this.clientErrors.push({ error, context });
  }

  socketOpened(socket: Closable): void {
    this.sockets.add(socket);
  }

  socketClosed(socket: Closable): void {
    this.sockets.delete(socket);
  }
}

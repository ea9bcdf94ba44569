/**
 * The endpoint's logger as a telemetry subscriber: the core publishes events (a channel crashed, a
 * client broke the protocol, the link to the other nodes changed, log records) and this turns the events
 * of one endpoint into log lines. Core code never formats log lines for these.
 */
import { PubSubErrorCode } from "../pubsub/errors.js";
import { TelemetryEvent, onTelemetry, publish } from "../telemetry/events.js";
import type { Logger } from "./logger.js";

/** Who may publish events a logger writes: the endpoint, its PubSub, its runtime. */
export type TelemetryOwner = (source: object) => boolean;

const SERIOUS: ReadonlySet<string> = new Set([PubSubErrorCode.ADAPTER_DOWN, PubSubErrorCode.MESSAGES_LOST, PubSubErrorCode.DUPLICATE_NODE]);

/**
 * Writes the events whose `source` `owns` accepts to `logger`; returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = logTelemetry(consoleLogger("info"), (source) => source === endpoint || source === endpoint.pubsub);
 * ```
 */
export function logTelemetry(logger: Logger, owns: TelemetryOwner): () => void {
  const stops = [
    onTelemetry(TelemetryEvent.LOG, (e) => {
      if (owns(e.source)) logger[e.level](e.message, e.meta === undefined ? undefined : { ...e.meta });
    }),
    onTelemetry(TelemetryEvent.CHANNEL_CRASH, (e) => {
      if (!owns(e.source)) return;
      const what = e.during === "join" ? `join of ${e.topic} crashed` : `channel ${e.topic} crashed`;
      logger.error(what, { error: e.error, during: e.during, route: e.route, socketId: e.socketId, transport: e.transport });
    }),
    onTelemetry(TelemetryEvent.TRANSPORT_ERROR, (e) => {
      if (owns(e.source)) logger.debug(`client error ${e.code}: ${e.message}`, { path: e.path, transport: e.transport, address: e.address, socketId: e.socketId });
    }),
    onTelemetry(TelemetryEvent.PUBSUB_ERROR, (e) => {
      if (owns(e.source)) logger[SERIOUS.has(e.code) ? "error" : "warn"](e.message, { code: e.code, error: e.error });
    }),
    onTelemetry(TelemetryEvent.PUBSUB_STATUS, (e) => {
      if (!owns(e.source) || e.status !== "up") return;
      const lasted = e.downMs === undefined ? "" : ` again, after ${Math.round(e.downMs)} ms down`;
      logger.info(`node ${e.node}: the link to the other nodes is up${lasted}`);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}

/** Publishes a log record for `source`'s subscribers (its endpoint's logger among them). */
export function logRecord(source: object, node: string, level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void {
  publish(TelemetryEvent.LOG, { source, node, level, message, meta });
}

/**
 * What an endpoint's connections, channels, transports and services see of it: the public API (`api`,
 * also the `source` of its telemetry) plus the internal hooks — logging, client-error reports, the set
 * of open connections — kept off the public Endpoint class.
 */
import type { FenixError } from "../../errors/fenix-error.js";
import type { Presence } from "../../presence/presence.js";
import type { Payload } from "../../protocol/message.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { Runtime } from "../../runtime/process/runtime.js";
import { TelemetryEvent, telemetryChannels, type TransportError } from "../../telemetry/events.js";
import type { ClientErrorContext, EndpointApi, EndpointContext } from "./endpoint-context.js";
import type { ClientErrorListener } from "./endpoint-options.js";
import type { Logger } from "./logger.js";
import { logRecord } from "./telemetry-logger.js";
import { plainErrorContext } from "../socket/peer-error-context.js";

/** A connection the endpoint tracks (to count, inspect, drain and close). */
export interface Closable {
  close(code: number, reason: string): void;
}

const TRANSPORT_ERRORS = telemetryChannels[TelemetryEvent.TRANSPORT_ERROR];

/** @internal The internal side of one endpoint. */
export class EndpointCore implements EndpointContext {
  /** The open connections of every transport (and MQTT), for counts, `connections()`, drain and stop. */
  readonly sockets = new Set<Closable>();
  readonly clientErrorListeners: ClientErrorListener[] = [];
  /** Called when the last open connection closes (a drain waits for it). */
  onLastClosed: (() => void) | null = null;

  constructor(
    readonly api: EndpointApi,
    readonly logger: Logger,
  ) {}

  get runtime(): Runtime {
    return this.api.runtime;
  }

  get pubsub(): PubSub {
    return this.api.pubsub;
  }

  get presence(): Presence {
    return this.api.presence;
  }

  broadcast(topic: string, event: string, payload: Payload): void {
    this.api.broadcast(topic, event, payload);
  }

  broadcastFrom(from: Pid, topic: string, event: string, payload: Payload): void {
    this.api.broadcastFrom(from, topic, event, payload);
  }

  localBroadcast(topic: string, event: string, payload: Payload): void {
    this.api.localBroadcast(topic, event, payload);
  }

  log(level: "debug" | "info" | "warn" | "error", message: string, meta?: Record<string, unknown>): void {
    logRecord(this.api, this.api.pubsub.nodeName, level, message, meta);
  }

  reportClientError(error: FenixError, where: ClientErrorContext): void {
    // Own fields only (a connection's context may read its address lazily): listeners may spread it.
    const context = plainErrorContext(where);
    if (TRANSPORT_ERRORS.hasSubscribers) {
      const status = (error as { status?: unknown }).status;
      TRANSPORT_ERRORS.publish({
        source: this.api,
        node: this.api.pubsub.nodeName,
        ...context,
        code: error.code,
        message: error.message,
        status: typeof status === "number" ? status : undefined,
      } satisfies TransportError);
    }
    for (const listener of this.clientErrorListeners) {
      try {
        listener(error, context);
      } catch (err) {
        this.log("error", "a clientError listener threw", { error: err });
      }
    }
  }

  socketOpened(socket: Closable): void {
    this.sockets.add(socket);
  }

  socketClosed(socket: Closable): void {
    this.sockets.delete(socket);
    if (this.sockets.size === 0) this.onLastClosed?.();
  }
}

const cores = new WeakMap<object, EndpointCore>();

/** @internal Registers the core of `endpoint` (done by the Endpoint constructor). */
export function registerEndpointCore(endpoint: object, core: EndpointCore): void {
  cores.set(endpoint, core);
}

/** @internal The core of `endpoint`, for the parts of Fenix that plug into it (`fenix/mqtt`). */
export function endpointCore(endpoint: object): EndpointCore {
  const core = cores.get(endpoint);
  if (core === undefined) throw new TypeError("Not a Fenix Endpoint.");
  return core;
}

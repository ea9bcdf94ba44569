/**
 * Guards for MQTT robustness tests: a bystander (two well-behaved MQTT.js clients, 3.1.1 and 5.0, that
 * publish to each other the whole time a test runs and must lose nothing), and a broker whose runtime
 * records every process crash (a connection process whose handler threw, instead of closing the client
 * with a coded error).
 */
import type { MqttClient } from "mqtt";
import { formatExitReason, Runtime, type ClientErrorContext, type EndpointOptions, type FenixError } from "../../src/index.js";
import type { MqttOptions } from "../../src/mqtt/index.js";
import { startBroker, type TestBroker } from "./mqtt.js";

/** How long a bystander waits for the broker to acknowledge one of its QoS 1 or 2 PUBLISHes. */
const PUBLISH_TIMEOUT_MS = 3_000;

/** A reported client error. */
export interface ReportedError {
  readonly error: FenixError & { readonly reasonCode?: number };
  readonly context: ClientErrorContext;
}

/** A broker that records client errors and process crashes. */
export interface GuardedBroker extends TestBroker {
  /** What the endpoint's `clientError` event reported, in order. */
  readonly errors: ReportedError[];
  /** Processes of the endpoint's runtime that crashed (`pid: reason`), in order. */
  readonly crashes: string[];
}

/** Starts a broker (see `startBroker`) on a runtime of its own whose crashes are recorded. */
export async function startGuardedBroker(options: MqttOptions = {}, endpointOptions: EndpointOptions = {}): Promise<GuardedBroker> {
  const crashes: string[] = [];
  const errors: ReportedError[] = [];
  const runtime = new Runtime({ onCrash: (pid, reason) => crashes.push(`${pid.toString()}: ${formatExitReason(reason)}`) });
  const broker = await startBroker(options, { runtime, ...endpointOptions });
  broker.endpoint.on("clientError", (error, context) => errors.push({ error, context }));
  return Object.assign(broker, { errors, crashes });
}

/** What a bystander saw. */
export interface BystanderReport {
  /** Messages published (each must reach both bystander clients exactly once). */
  readonly sent: number;
  /** Everything that went wrong; empty when no message was lost, duplicated or foreign and no client dropped. */
  readonly problems: string[];
}

/** Two MQTT.js clients publishing to each other through the broker under test. */
export class Bystander {
  readonly #clients: ReadonlyArray<{ readonly name: string; readonly client: MqttClient; readonly got: Map<string, number> }>;
  readonly #prefix: string;
  readonly #problems: string[] = [];
  #sent = 0;
  #pump: Promise<void> | null = null;
  #running = false;
  #waiters: Array<() => void> = [];

  private constructor(clients: ReadonlyArray<{ name: string; client: MqttClient }>, prefix: string) {
    this.#prefix = prefix;
    this.#clients = clients.map(({ name, client }) => ({ name, client, got: new Map<string, number>() }));
    for (const entry of this.#clients) {
      entry.client.on("message", (topic, payload) => {
        const text = payload.toString();
        if (topic !== `${prefix}/${text}`) this.#problems.push(`${entry.name} received a foreign message on "${topic.slice(0, 80)}": ${JSON.stringify(text.slice(0, 80))}`);
        else entry.got.set(text, (entry.got.get(text) ?? 0) + 1);
        for (const wake of this.#waiters.splice(0)) wake();
      });
      entry.client.on("disconnect", (packet) => {
        const reason = packet.reasonCode === undefined ? "" : ` 0x${packet.reasonCode.toString(16)}`;
        const text = packet.properties?.reasonString === undefined ? "" : ` "${packet.properties.reasonString}"`;
        this.#problems.push(`${entry.name} got DISCONNECT${reason}${text}`);
      });
      for (const event of ["close", "offline"] as const) entry.client.on(event, () => this.#problems.push(`${entry.name} got "${event}"`));
      entry.client.on("error", (err) => this.#problems.push(`${entry.name} error: ${err.message}`));
    }
  }

  /** Connects the two clients (ids `bystander-…`), subscribed to `<prefix>/#` at QoS 2. */
  static async start(broker: TestBroker, prefix = "bystander"): Promise<Bystander> {
    const tag = Math.random().toString(36).slice(2, 8);
    const v5 = await broker.client({ protocolVersion: 5, clientId: `bystander-v5-${tag}` });
    const v4 = await broker.client({ protocolVersion: 4, clientId: `bystander-v4-${tag}` });
    await Promise.all([v5.subscribeAsync(`${prefix}/#`, { qos: 2 }), v4.subscribeAsync(`${prefix}/#`, { qos: 2 })]);
    return new Bystander(
      [
        { name: "bystander (MQTT 5.0)", client: v5 },
        { name: "bystander (MQTT 3.1.1)", client: v4 },
      ],
      prefix,
    );
  }

  /** Publishes one message (alternating clients, QoS 0, 1, 2 in turn). */
  async #publishOne(): Promise<void> {
    const n = this.#sent++;
    const { client, name } = this.#clients[n % this.#clients.length]!;
    const qos = (n % 3) as 0 | 1 | 2;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(`${this.#prefix}/${n}`, String(n), { qos }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no acknowledgement (QoS ${qos}) within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.#problems.push(`${name} could not publish message ${n}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts publishing continuously (one message every few milliseconds) until {@link Bystander.verify}. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#pump = (async () => {
      while (this.#running) {
        await this.#publishOne();
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
  }

  /** Publishes `count` messages now and checks they all arrived (see {@link Bystander.verify}). */
  async roundTrip(count = 3, timeoutMs = 3_000): Promise<BystanderReport> {
    await Promise.all(Array.from({ length: count }, () => this.#publishOne()));
    return this.#settle(timeoutMs);
  }

  /** Stops publishing, waits for the messages in flight, and reports what went wrong. */
  async verify(timeoutMs = 3_000): Promise<BystanderReport> {
    this.#running = false;
    await this.#pump;
    this.#pump = null;
    return this.#settle(timeoutMs);
  }

  async #settle(timeoutMs: number): Promise<BystanderReport> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#complete() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const problems = [...this.#problems];
    for (const { name, got } of this.#clients) {
      const missing: number[] = [];
      for (let n = 0; n < this.#sent; n++) if (!got.has(String(n))) missing.push(n);
      if (missing.length > 0) problems.push(`${name} is missing ${missing.length} of ${this.#sent} messages: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", …" : ""}`);
      const duplicated = [...got].filter(([, count]) => count > 1).map(([text]) => text);
      if (duplicated.length > 0) problems.push(`${name} received ${duplicated.length} messages more than once: ${duplicated.slice(0, 10).join(", ")}`);
    }
    return { sent: this.#sent, problems };
  }

  #complete(): boolean {
    for (const { got } of this.#clients) if (got.size < this.#sent) return false;
    return true;
  }
}

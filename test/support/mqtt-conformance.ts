/**
 * Helpers of the MQTT conformance tests (test/mqtt/*.test.ts): a harness around `startBroker` whose MQTT.js
 * clients come with their CONNACK and an inbox attached before CONNECT (so messages sent right after CONNACK
 * are not missed), raw-client shortcuts (CONNECT, SUBSCRIBE, "no such packet within a short wait"), and
 * small waits on events rather than sleeps.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubackPacket, Packet } from "mqtt-packet";
import type { MqttOptions } from "../../src/mqtt/index.js";
import { startBroker, type RawMqtt, type TestBroker } from "./mqtt.js";

/** The protocol levels every conformance test runs at: 3.1.1 (4) and 5.0 (5). */
export const VERSIONS = [4, 5] as const;

/** `"MQTT 3.1.1"` or `"MQTT 5.0"`, for test names. */
export function label(version: 3 | 4 | 5): string {
  return version === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
}

/** How long a negative check ("nothing arrives") waits. */
export const QUIET_MS = 150;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every few ms until it holds; throws after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves with the arguments of the next `event` of `emitter`; throws after `timeoutMs`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, listener: (...args: never[]) => void): unknown; removeListener(event: string, listener: (...args: never[]) => void): unknown },
  event: string,
  timeoutMs = 3_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: never[]): void => {
      clearTimeout(timer);
      resolve(args as unknown as T);
    };
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/** One message as an MQTT.js client received it. */
export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly properties: IPublishPacket["properties"];
}

/** The messages one MQTT.js client receives, read in order with {@link take}. */
export class Inbox {
  readonly all: Received[] = [];
  #read = 0;
  #wake: (() => void) | null = null;

  constructor(client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.all.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup, properties: packet.properties });
      this.#wake?.();
    });
  }

  /** Messages received and not taken yet. */
  get unread(): Received[] {
    return this.all.slice(this.#read);
  }

  /** The next `count` messages, waiting for them up to `timeoutMs`. */
  async take(count = 1, timeoutMs = 3_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.all.length - this.#read < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} message(s) within ${timeoutMs} ms; got ${JSON.stringify(this.unread.map((m) => `${m.topic}:${m.payload}`))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    const taken = this.all.slice(this.#read, this.#read + count);
    this.#read += count;
    return taken;
  }

  /** The next message. */
  async one(timeoutMs = 3_000): Promise<Received> {
    return (await this.take(1, timeoutMs))[0]!;
  }

  /** Waits `ms` and returns what arrived unread meanwhile (expected to be nothing, usually). */
  async quiet(ms = QUIET_MS): Promise<Received[]> {
    await sleep(ms);
    const unread = this.unread;
    this.#read = this.all.length;
    return unread;
  }
}

/** An MQTT.js client opened by the harness. */
export interface Opened {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  readonly inbox: Inbox;
}

/** A broker plus the clients of one test, all closed by {@link Harness.stop}. */
export class Harness {
  readonly #clients: MqttClient[] = [];

  constructor(readonly broker: TestBroker) {}

  /** Connects an MQTT.js client (no reconnects) and resolves with its CONNACK; rejects with a refusal's error. */
  connect(options: IClientOptions = {}, url = this.broker.url): Promise<Opened> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    this.#clients.push(client);
    const inbox = new Inbox(client);
    return new Promise((resolve, reject) => {
      const onConnect = (connack: IConnackPacket): void => {
        cleanup();
        // Later errors (the server closing the connection, say) are asserted through events, not thrown.
        client.on("error", () => {});
        resolve({ client, connack, inbox });
      };
      const onError = (err: Error): void => {
        cleanup();
        client.end(true);
        reject(err);
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error("closed before CONNACK"));
      };
      const cleanup = (): void => {
        client.removeListener("connect", onConnect);
        client.removeListener("error", onError);
        client.removeListener("close", onClose);
      };
      client.on("connect", onConnect);
      client.on("error", onError);
      client.on("close", onClose);
    });
  }

  /** A raw packet client (no CONNECT sent yet). */
  raw(version: 4 | 5 = 4): Promise<RawMqtt> {
    return this.broker.raw(version);
  }

  /** A raw client that sent CONNECT (with `fields`) and got its CONNACK. */
  async rawConnected(version: 4 | 5, fields: Record<string, unknown> = {}): Promise<{ raw: RawMqtt; connack: IConnackPacket }> {
    const raw = await this.raw(version);
    const connack = (await raw.connect(fields)) as IConnackPacket;
    return { raw, connack };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.endAsync(true).catch(() => {})));
    await this.broker.stop();
  }
}

/** Starts a broker (options as `enableMqtt`'s) and a harness around it. */
export async function startHarness(options: MqttOptions = {}): Promise<Harness> {
  return new Harness(await startBroker(options));
}

let rawPacketId = 1000;

/** Sends SUBSCRIBE from a raw client and waits for its SUBACK. */
export async function rawSubscribe(
  raw: RawMqtt,
  subscriptions: ReadonlyArray<{ topic: string; qos: 0 | 1 | 2; nl?: boolean; rap?: boolean; rh?: number }>,
  properties?: Record<string, unknown>,
): Promise<ISubackPacket> {
  const messageId = ++rawPacketId;
  raw.send({ cmd: "subscribe", messageId, subscriptions: [...subscriptions], ...(properties === undefined ? {} : { properties }) });
  const suback = (await raw.next("suback")) as ISubackPacket;
  if (suback.messageId !== messageId) throw new Error(`SUBACK for ${suback.messageId}, expected ${messageId}`);
  return suback;
}

/** The packets of `cmd` a raw client received within `ms` (taken out of its queue). */
export async function rawCollect(raw: RawMqtt, cmd: string, ms = QUIET_MS): Promise<Packet[]> {
  await sleep(ms);
  const found = raw.packets.filter((p) => p.cmd === cmd);
  for (const p of found) raw.packets.splice(raw.packets.indexOf(p), 1);
  return found;
}

/** The next `count` packets of `cmd` a raw client receives, waiting for each. */
export async function rawTake(raw: RawMqtt, cmd: string, count: number, timeoutMs = 3_000): Promise<Packet[]> {
  const taken: Packet[] = [];
  for (let i = 0; i < count; i++) taken.push(await raw.next(cmd, timeoutMs));
  return taken;
}

/** The next PUBLISH a raw client receives. */
export async function rawPublish(raw: RawMqtt, timeoutMs = 3_000): Promise<IPublishPacket> {
  return (await raw.next("publish", timeoutMs)) as IPublishPacket;
}

/** Waits for a raw client to be closed by the server; returns the DISCONNECT it got first, if any. */
export async function rawClosed(raw: RawMqtt, timeoutMs = 3_000): Promise<IDisconnectPacket | undefined> {
  await Promise.race([
    raw.whenClosed(),
    sleep(timeoutMs).then(() => {
      throw new Error(`the server did not close the connection within ${timeoutMs} ms`);
    }),
  ]);
  return raw.packets.find((p) => p.cmd === "disconnect") as IDisconnectPacket | undefined;
}

/** Resolves when an MQTT.js client's connection closes; with the DISCONNECT the server sent first, if any. */
export function clientClosed(client: MqttClient, timeoutMs = 3_000): Promise<IDisconnectPacket | undefined> {
  let disconnect: IDisconnectPacket | undefined;
  const onDisconnect = (packet: IDisconnectPacket): void => {
    disconnect = packet;
  };
  client.on("disconnect", onDisconnect);
  client.on("error", () => {});
  return nextEvent(client, "close", timeoutMs).then(
    () => {
      client.removeListener("disconnect", onDisconnect);
      return disconnect;
    },
    (err: unknown) => {
      client.removeListener("disconnect", onDisconnect);
      throw err;
    },
  );
}

/** A unique client id for one test. */
export function clientId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The options of a persistent session at `version`: 3.1.1 clean=false; 5.0 clean start false with an expiry. */
export function persistent(version: 4 | 5, id: string, expirySec = 60): IClientOptions {
  return version === 5 ? { protocolVersion: 5, clientId: id, clean: false, properties: { sessionExpiryInterval: expirySec } } : { protocolVersion: 4, clientId: id, clean: false };
}

/** The raw CONNECT fields of a persistent session at `version`. */
export function rawPersistent(version: 4 | 5, id: string, expirySec = 60): Record<string, unknown> {
  return version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: expirySec } } : { clientId: id, clean: false };
}

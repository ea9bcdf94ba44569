/**
 * mqtt-fanout: N subscribers on one topic and one publisher (not subscribed), MQTT 3.1.1 with clean
 * sessions, first at QoS 0 and then, on a fresh broker, at QoS 1 (the publisher publishes at QoS 1, the
 * subscribers subscribe at QoS 1 and PUBACK every delivery). Two phases per QoS on the same connections,
 * after a 1 s warm-up:
 *
 * - max: for `seconds`, the publisher keeps at most `window` publishes' worth of deliveries outstanding
 *   (sent × N − delivered < window × N), and at QoS 1 at most {@link MAX_UNACKED} publishes without the
 *   broker's PUBACK: delivered msgs/s and server CPU per delivered message at the pace the fanout allows.
 * - fixed rate: `rate` publishes/s for `seconds`: delivered msgs/s, delivery ratio, latency p50/p99 (about
 *   a hundred samplers read the publisher's timestamp out of the payload) and CPU per delivered message.
 *
 * The load generator speaks MQTT over raw sockets, so that it costs less per message than the brokers:
 * control packets are generated and parsed with mqtt-packet (a parser per socket); PUBLISH frames are
 * counted off the stream by a small scanner (fixed header, remaining length, packet id) without becoming
 * objects, and the PUBACKs owed for one read go out in one write.
 */
import { connect, type Socket } from "node:net";
import mqttPacket, { type Packet, type QoS } from "mqtt-packet";
import { startMqttBroker, type MqttBroker, type MqttBrokerName } from "../lib/mqtt-brokers.js";
import { percentile } from "../lib/stats.js";
import { CpuWindow, now, settle, sleep, type Figure } from "./common.js";

const TOPIC = "bench/fanout";
const SAMPLERS = 100;
/** The keepalive announced in CONNECT; every connection sends PINGREQ well within it. */
const KEEPALIVE_S = 60;
const PING_MS = 20_000;
/** QoS 1 publishes the publisher may have without the broker's PUBACK (below every broker's receive limit). */
const MAX_UNACKED = 64;
const PAYLOAD_BYTES = 100;
/** The publisher's timestamp (`performance.now()` ms), right-aligned in a fixed-width field of the payload. */
const STAMP_AT = 5;
const STAMP_WIDTH = 16;
/** `{"t":<stamp>,"b":"<text>"}`, 100 bytes: JSON, as an application's message might be. */
const TEMPLATE = (() => {
  const head = `{"t":${" ".repeat(STAMP_WIDTH)},"b":"`;
  const body = "The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly. ";
  return Buffer.from(`${head}${body.padEnd(PAYLOAD_BYTES, ".").slice(0, PAYLOAD_BYTES - head.length - 2)}"}`, "latin1");
})();
const PINGREQ = Buffer.from([0xc0, 0x00]);

/** What the subscribers count into, shared by all of them. */
class Tally {
  delivered = 0;
  /** Deliveries at another QoS than subscribed (a broker that downgrades or upgrades). */
  wrongQos = 0;
  latencies: number[] = [];
  measuring = false;
  /** Called after a read that held deliveries (the max phase's publisher pump). */
  onDelivery: (() => void) | null = null;
}

/** Packet ids of the PUBACKs owed for the read being scanned (reused, the scan is synchronous). */
const owed: number[] = [];
/**
 * Where every socket reads into (`onread`: no stream, no buffer allocated per read). Shared, since each
 * read is scanned before the next one; what is left of a partial packet is copied out.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** One MQTT 3.1.1 connection over a raw socket. */
class MqttWire {
  readonly #socket: Socket;
  readonly #parser = mqttPacket.parser({ protocolVersion: 4 });
  #pending: Buffer | null = null;
  #onPacket: ((packet: Packet) => void) | null = null;
  #closed = false;
  /** Where PUBLISH frames are counted, once subscribed. */
  tally: Tally | null = null;
  /** The QoS its deliveries must have. */
  qos: QoS = 0;
  /** Whether it reads each delivery's timestamp (while the tally is measuring). */
  sampler = false;

  private constructor(port: number) {
    const socket = connect({
      host: "127.0.0.1",
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes, buffer) => {
          this.#read(buffer as Buffer, bytes);
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#parser.on("packet", (packet: Packet) => this.#onPacket?.(packet));
    this.#parser.on("error", (error: Error) => {
      process.stderr.write(`mqtt-fanout: unparsable packet: ${error.message}\n`);
      socket.destroy();
    });
    socket.on("close", () => {
      this.#closed = true;
    });
    socket.on("error", () => {
      this.#closed = true;
    });
  }

  /** Connects and resolves after a CONNACK that accepts the connection. */
  static open(port: number, clientId: string): Promise<MqttWire> {
    return new Promise((resolve, reject) => {
      const wire = new MqttWire(port);
      const socket = wire.#socket;
      const fail = (error: Error) => {
        socket.destroy();
        reject(new Error(`${clientId}: ${error.message}`));
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.off("error", fail);
        wire.#request(
          { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId, clean: true, keepalive: KEEPALIVE_S },
          "connack",
        ).then((packet) => {
          const code = (packet as { returnCode?: number }).returnCode;
          if (code === 0) resolve(wire);
          else {
            socket.destroy();
            reject(new Error(`${clientId}: CONNACK ${code}`));
          }
        }, fail);
      });
    });
  }

  /** Subscribes to `topic` at `qos`; rejects unless the broker granted exactly that. */
  async subscribe(topic: string, qos: QoS): Promise<void> {
    const suback = (await this.#request({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos }] }, "suback")) as { granted: unknown[] };
    if (suback.granted[0] !== qos) throw new Error(`SUBACK granted ${JSON.stringify(suback.granted)} for QoS ${qos}`);
    this.qos = qos;
  }

  /** Routes the control packets the broker sends (PUBACKs to the publisher, PINGRESPs) to `handler`. */
  onPacket(handler: ((packet: Packet) => void) | null): void {
    this.#onPacket = handler;
  }

  write(bytes: Buffer): void {
    if (!this.#closed) this.#socket.write(bytes);
  }

  ping(): void {
    this.write(PINGREQ);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  /** Sends `packet` and resolves with the first packet of kind `answer` (30 s at most). */
  #request(packet: Packet, answer: Packet["cmd"]): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${answer} within 30 s`)), 30_000);
      this.#onPacket = (reply) => {
        if (reply.cmd !== answer) return;
        clearTimeout(timer);
        this.#onPacket = null;
        resolve(reply);
      };
      this.#socket.once("close", () => {
        clearTimeout(timer);
        reject(new Error(`closed by the broker while waiting for ${answer}`));
      });
      this.write(mqttPacket.generate(packet));
    });
  }

  /** Splits the stream into packets: PUBLISH frames are counted here, the rest go to mqtt-packet's parser. */
  #read(chunk: Buffer, bytes: number): void {
    let buffer = chunk;
    let length = bytes;
    if (this.#pending !== null) {
      buffer = Buffer.concat([this.#pending, chunk.subarray(0, bytes)]);
      length = buffer.length;
      this.#pending = null;
    }
    const tally = this.tally;
    let offset = 0;
    let deliveries = 0;
    owed.length = 0;
    while (offset < length) {
      // Fixed header: type and flags, then the remaining length (1–4 bytes, 7 bits each).
      let size = 0;
      let multiplier = 1;
      let at = offset + 1;
      let complete = false;
      while (at < length && at - offset <= 4) {
        const byte = buffer[at++]!;
        size += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || at + size > length) break;
      const end = at + size;
      const first = buffer[offset]!;
      if (first >> 4 === 3 && tally !== null) {
        // PUBLISH: topic length and topic, then a packet id when QoS > 0, then the payload.
        deliveries++;
        const qos = (first >> 1) & 3;
        if (qos !== this.qos) tally.wrongQos++;
        let payloadAt = at + 2 + buffer.readUInt16BE(at);
        if (qos > 0) {
          owed.push(buffer.readUInt16BE(payloadAt));
          payloadAt += 2;
        }
        if (this.sampler && tally.measuring) {
          tally.latencies.push(now() - Number(buffer.toString("latin1", payloadAt + STAMP_AT, payloadAt + STAMP_AT + STAMP_WIDTH)));
        }
      } else {
        // A copy: the read buffer is reused, and control packets are few.
        this.#parser.parse(Buffer.from(buffer.subarray(offset, end)));
      }
      offset = end;
    }
    if (offset < length) this.#pending = Buffer.from(buffer.subarray(offset, length));
    if (owed.length > 0) {
      const acks = Buffer.allocUnsafe(owed.length * 4);
      for (let i = 0; i < owed.length; i++) {
        acks[i * 4] = 0x40;
        acks[i * 4 + 1] = 0x02;
        acks.writeUInt16BE(owed[i]!, i * 4 + 2);
      }
      this.write(acks);
    }
    if (deliveries > 0) {
      tally!.delivered += deliveries;
      tally!.onDelivery?.();
    }
  }
}

/** One measured phase. */
interface Step {
  readonly sent: number;
  readonly delivered: number;
  readonly ratio: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerMessage: number;
  readonly loadgenBusy: number;
  /** How busy each CPU of the machine was. */
  readonly cpuBusy: readonly number[];
}

/** Subscribers and a publisher connected to one broker at one QoS. */
class MqttFanout {
  readonly tally = new Tally();
  #unacked = 0;
  #nextId = 0;
  #onAck: (() => void) | null = null;
  readonly #keepalive: ReturnType<typeof setInterval>;

  private constructor(
    readonly broker: MqttBroker,
    readonly qos: QoS,
    readonly subscribers: readonly MqttWire[],
    readonly publisher: MqttWire,
  ) {
    publisher.onPacket((packet) => {
      if (packet.cmd !== "puback") return;
      this.#unacked--;
      this.#onAck?.();
    });
    this.#keepalive = setInterval(() => [...subscribers, publisher].forEach((wire) => wire.ping()), PING_MS);
  }

  /** Connects and subscribes `count` subscribers (100 at a time), then the publisher. */
  static async setUp(broker: MqttBroker, qos: QoS, count: number): Promise<MqttFanout> {
    const every = Math.max(1, Math.floor(count / SAMPLERS));
    const subscribers = new Array<MqttWire>(count);
    const opened: MqttWire[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const wire = await MqttWire.open(broker.port, `sub-${qos}-${index}`);
        opened.push(wire);
        await wire.subscribe(TOPIC, qos);
        wire.sampler = index % every === 0;
        subscribers[index] = wire;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(100, count) }, worker));
      const publisher = await MqttWire.open(broker.port, `pub-${qos}`);
      opened.push(publisher);
      const fanout = new MqttFanout(broker, qos, subscribers, publisher);
      for (const wire of subscribers) wire.tally = fanout.tally;
      return fanout;
    } catch (error) {
      for (const wire of opened) wire.close();
      throw error;
    }
  }

  /** One PUBLISH of the template payload stamped with the time now (at the fanout's QoS). */
  #publishPacket(): Buffer {
    const payload = Buffer.from(TEMPLATE);
    payload.write(now().toFixed(3).padStart(STAMP_WIDTH), STAMP_AT, "latin1");
    if (this.qos === 0) return mqttPacket.generate({ cmd: "publish", topic: TOPIC, payload, qos: 0, dup: false, retain: false });
    this.#nextId = (this.#nextId % 0xffff) + 1;
    this.#unacked++;
    return mqttPacket.generate({ cmd: "publish", topic: TOPIC, payload, qos: this.qos, dup: false, retain: false, messageId: this.#nextId });
  }

  /** `rate` publishes/s for `seconds`, spread evenly; resolves with the number sent. */
  async #fixedRate(rate: number, seconds: number): Promise<number> {
    const total = Math.round(rate * seconds);
    const started = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
      while (sent < due) {
        this.publisher.write(this.#publishPacket());
        sent++;
      }
      await sleep(Math.max(1, Math.min(10, 1000 / rate)));
    }
    return sent;
  }

  /**
   * Publishes for `seconds` as fast as a window of `window` publishes' deliveries allows: whenever no
   * more than half the window is outstanding, it is filled again (so publishes go out in bursts, and
   * deliveries are read several at a time). Resolves with the number sent.
   */
  #windowed(window: number, seconds: number): Promise<number> {
    const recipients = this.subscribers.length;
    const refillAt = Math.floor(window / 2) * recipients;
    const stopAt = now() + seconds * 1000;
    let sent = 0;
    return new Promise((resolve) => {
      let scheduled = false;
      const pump = () => {
        scheduled = false;
        if (now() >= stopAt) {
          clearInterval(timer);
          this.tally.onDelivery = null;
          this.#onAck = null;
          resolve(sent);
          return;
        }
        if (sent * recipients - this.tally.delivered > refillAt) return;
        const packets: Buffer[] = [];
        while (sent * recipients - this.tally.delivered < window * recipients && (this.qos === 0 || this.#unacked < MAX_UNACKED)) {
          packets.push(this.#publishPacket());
          sent++;
        }
        if (packets.length > 0) this.publisher.write(packets.length === 1 ? packets[0]! : Buffer.concat(packets));
      };
      // After the reads of one turn of the event loop, not after each: publishes go out in batches.
      const schedule = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(pump);
      };
      this.tally.onDelivery = schedule;
      this.#onAck = schedule;
      // Ends the phase on time even when nothing arrives.
      const timer = setInterval(schedule, 5);
      pump();
    });
  }

  /** Runs `drive`, waits for its deliveries to arrive, and measures the broker's CPU over all of it. */
  async #measure(drive: () => Promise<number>): Promise<Step> {
    const tally = this.tally;
    tally.delivered = 0;
    tally.latencies = [];
    tally.measuring = true;
    const cpu = new CpuWindow(this.broker);
    const started = now();
    const sent = await drive();
    const expected = sent * this.subscribers.length;
    const lastDelivery = await settle(() => tally.delivered, expected, 500, 8_000);
    const { serverMicros, loadgenBusy, cpuBusy } = cpu.close();
    tally.measuring = false;
    if (tally.wrongQos > 0) throw new Error(`${this.broker.name}: ${tally.wrongQos} deliveries at another QoS than ${this.qos}`);
    const delivered = tally.delivered;
    return {
      sent,
      delivered,
      ratio: delivered / expected,
      perSecond: delivered / ((lastDelivery - started) / 1000),
      p50: percentile(tally.latencies, 50),
      p99: percentile(tally.latencies, 99),
      cpuPerMessage: serverMicros / delivered,
      loadgenBusy,
      cpuBusy,
    };
  }

  async warmUp(rate: number): Promise<void> {
    this.tally.delivered = 0;
    const sent = await this.#fixedRate(rate, 1);
    await settle(() => this.tally.delivered, sent * this.subscribers.length, 300, 5_000);
  }

  max(window: number, seconds: number): Promise<Step> {
    return this.#measure(() => this.#windowed(window, seconds));
  }

  fixed(rate: number, seconds: number): Promise<Step> {
    return this.#measure(() => this.#fixedRate(rate, seconds));
  }

  /** How many connections the broker closed. */
  get disconnected(): number {
    return [...this.subscribers, this.publisher].filter((wire) => wire.closed).length;
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const wire of [...this.subscribers, this.publisher]) wire.close();
  }
}

/** How the scenario runs. */
export interface MqttFanoutOptions {
  /** The CPU the broker is pinned to. */
  readonly cpu: number;
  readonly subscribers: number;
  /** Publishes per second of the fixed-rate phase (and the warm-up). */
  readonly rate: number;
  /** Publishes whose deliveries may be outstanding in the max phase. */
  readonly window: number;
  /** Length of each phase. */
  readonly seconds: number;
  readonly log: (line: string) => void;
}

/** The QoS levels measured, each on a fresh broker; figures are named `QoS <n>: <metric>`. */
export const MQTT_FANOUT_QOS: readonly QoS[] = [0, 1];

/** Both QoS levels against one broker, each on a fresh broker process. */
export async function mqttFanout(name: MqttBrokerName, options: MqttFanoutOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const qos of MQTT_FANOUT_QOS) {
    const broker = await startMqttBroker(name, String(options.cpu));
    try {
      const fanout = await MqttFanout.setUp(broker, qos, options.subscribers);
      try {
        await fanout.warmUp(options.rate);
        const max = await fanout.max(options.window, options.seconds);
        await sleep(300);
        const fixed = await fanout.fixed(options.rate, options.seconds);
        const percent = (fraction: number) => `${(fraction * 100).toFixed(0)} %`;
        for (const [phase, step] of [["max", max], [`${options.rate}/s`, fixed]] as const) {
          options.log(
            `    QoS ${qos} ${phase}: ${Math.round(step.perSecond)} msg/s, ${(step.ratio * 100).toFixed(1)} % delivered, ` +
              `load generator busy ${percent(step.loadgenBusy)}, CPUs ${step.cpuBusy.map(percent).join(" / ")}`,
          );
        }
        const lost = fanout.disconnected;
        if (lost > 0) options.log(`    QoS ${qos}: ${name} closed ${lost} of ${fanout.subscribers.length + 1} connections`);
        const group = `QoS ${qos}`;
        figures.push(
          { metric: `${group}: max delivered msgs/s`, unit: "msg/s", value: max.perSecond, better: "higher" },
          { metric: `${group}: server CPU per delivered msg at max`, unit: "µs", value: max.cpuPerMessage, better: "lower" },
          { metric: `${group}: delivery ratio at max`, unit: "%", value: max.ratio * 100, better: "higher" },
          { metric: `${group}: load generator busy at max`, unit: "%", value: max.loadgenBusy * 100, better: "lower" },
          { metric: `${group}: delivered msgs/s at ${options.rate} publishes/s`, unit: "msg/s", value: fixed.perSecond, better: "higher" },
          { metric: `${group}: server CPU per delivered msg at ${options.rate} publishes/s`, unit: "µs", value: fixed.cpuPerMessage, better: "lower" },
          { metric: `${group}: delivery ratio at ${options.rate} publishes/s`, unit: "%", value: fixed.ratio * 100, better: "higher" },
          { metric: `${group}: latency p50 at ${options.rate} publishes/s`, unit: "ms", value: fixed.p50, better: "lower" },
          { metric: `${group}: latency p99 at ${options.rate} publishes/s`, unit: "ms", value: fixed.p99, better: "lower" },
        );
      } finally {
        fanout.close();
      }
    } finally {
      await broker.stop();
    }
  }
  return figures;
}

/**
 * fanout: N subscribers on one topic and one publisher (joined too, so it receives its own broadcasts)
 * pushing `shout` at a fixed rate. Most subscribers only count frames; about a hundred samplers decode
 * them to measure latency from the publisher's send. Also a ramp that raises the rate until delivery
 * drops below 99 % or p99 passes 250 ms.
 */
import { BenchConnection, closeAll, openMany } from "../lib/connection.js";
import type { ServerProcess } from "../lib/server-process.js";
import { percentile } from "../lib/stats.js";
import { BODY, CpuWindow, now, settle, sleep, targetOf, type Figure } from "./common.js";

const TOPIC = "bench:fanout";
const SAMPLERS = 100;

/** One measured step at one rate. */
export interface FanoutStep {
  readonly rate: number;
  readonly sent: number;
  readonly delivered: number;
  readonly ratio: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerMessage: number;
  readonly loadgenBusy: number;
}

/** A set-up fanout: subscribers joined, ready to publish. */
class Fanout {
  delivered = 0;
  latencies: number[] = [];
  #measuring = false;
  readonly #publisher: BenchConnection;
  readonly #joinRef: number;
  readonly #all: BenchConnection[];

  private constructor(all: BenchConnection[], publisher: BenchConnection, joinRef: number) {
    this.#all = all;
    this.#publisher = publisher;
    this.#joinRef = joinRef;
  }

  static async setUp(server: ServerProcess, subscribers: number): Promise<Fanout> {
    const target = targetOf(server);
    const every = Math.max(1, Math.floor(subscribers / SAMPLERS));
    let fanout: Fanout | null = null;
    const connections = await openMany(target, subscribers, 100, async (connection, index) => {
      await connection.join(TOPIC);
      const sampler = index % every === 0;
      connection.handle((text) => {
        const f = fanout!;
        f.delivered++;
        if (text !== null && f.#measuring) {
          const sent = (connection.dialect.broadcastPayload(text) as { t: number }).t;
          f.latencies.push(now() - sent);
        }
      }, sampler);
    });
    const publisher = new BenchConnection(target);
    await publisher.open();
    const joinRef = await publisher.join(TOPIC);
    publisher.handle(() => {
      fanout!.delivered++;
    }, false);
    fanout = new Fanout([...connections, publisher], publisher, joinRef);
    return fanout;
  }

  get recipients(): number {
    return this.#all.length;
  }

  /** Publishes `rate` messages per second for `seconds`, spread evenly; resolves with the number sent. */
  async publish(rate: number, seconds: number): Promise<number> {
    const total = Math.round(rate * seconds);
    const started = now();
    let sent = 0;
    const dialect = this.#publisher.dialect;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
      while (sent < due) {
        const payload = `{"t":${now()},"body":"${BODY}"}`;
        this.#publisher.send(dialect.shout(TOPIC, this.#joinRef, this.#publisher.ref(), payload));
        sent++;
      }
      await sleep(Math.max(1, Math.min(10, 1000 / rate)));
    }
    return sent;
  }

  async step(server: ServerProcess, rate: number, seconds: number): Promise<FanoutStep> {
    this.delivered = 0;
    this.latencies = [];
    this.#measuring = true;
    const cpu = new CpuWindow(server);
    const started = now();
    const sent = await this.publish(rate, seconds);
    const expected = sent * this.recipients;
    const lastDelivery = await settle(() => this.delivered, expected, 500, 8_000);
    const { serverMicros, loadgenBusy } = cpu.close();
    this.#measuring = false;
    const delivered = this.delivered;
    return {
      rate,
      sent,
      delivered,
      ratio: delivered / expected,
      perSecond: delivered / ((lastDelivery - started) / 1000),
      p50: percentile(this.latencies, 50),
      p99: percentile(this.latencies, 99),
      cpuPerMessage: serverMicros / delivered,
      loadgenBusy,
    };
  }

  async warmUp(rate: number): Promise<void> {
    this.delivered = 0;
    const sent = await this.publish(rate, 1);
    await settle(() => this.delivered, sent * this.recipients, 300, 5_000);
  }

  close(): void {
    closeAll(this.#all);
  }
}

/** Whether a step counts as sustained. */
export const sustained = (step: FanoutStep): boolean => step.ratio >= 0.99 && step.p99 < 250;

/** A fixed-rate run: figures for the report. */
export async function fanoutFixed(server: ServerProcess, subscribers: number, rate: number, seconds: number): Promise<Figure[]> {
  const fanout = await Fanout.setUp(server, subscribers);
  try {
    await fanout.warmUp(rate);
    const step = await fanout.step(server, rate, seconds);
    return [
      { metric: "delivered msgs/s", unit: "msg/s", value: step.perSecond, better: "higher" },
      { metric: "delivery ratio", unit: "%", value: step.ratio * 100, better: "higher" },
      { metric: "latency p50", unit: "ms", value: step.p50, better: "lower" },
      { metric: "latency p99", unit: "ms", value: step.p99, better: "lower" },
      { metric: "server CPU per delivered msg", unit: "µs", value: step.cpuPerMessage, better: "lower" },
    ];
  } finally {
    fanout.close();
  }
}

/**
 * The ramp: rates from `start`, ×`factor` per step of `seconds`, until a step is not sustained. Reports
 * the highest sustained rate in delivered messages per second, and the CPU per message at that step.
 */
export async function fanoutRamp(
  server: ServerProcess,
  subscribers: number,
  start: number,
  factor: number,
  seconds: number,
  log: (line: string) => void,
): Promise<Figure[]> {
  const fanout = await Fanout.setUp(server, subscribers);
  try {
    await fanout.warmUp(start);
    let best: FanoutStep | null = null;
    for (let rate = start; ; rate = Math.round(rate * factor)) {
      const step = await fanout.step(server, rate, seconds);
      log(
        `    ramp ${rate}/s: ${(step.ratio * 100).toFixed(1)} % delivered, p99 ${step.p99.toFixed(1)} ms, ` +
          `${Math.round(step.perSecond)} msg/s, loadgen busy ${(step.loadgenBusy * 100).toFixed(0)} %`,
      );
      if (!sustained(step)) break;
      best = step;
      await sleep(300);
    }
    return [
      { metric: "max sustained delivered msgs/s", unit: "msg/s", value: best?.perSecond ?? 0, better: "higher" },
      { metric: "server CPU per delivered msg at max", unit: "µs", value: best?.cpuPerMessage ?? Number.NaN, better: "lower" },
    ];
  } finally {
    fanout.close();
  }
}

/**
 * fanout: N subscribers on one topic and one publisher (joined too, so it receives its own broadcasts)
 * pushing `shout` at a fixed rate. Most subscribers only count frames; about a hundred samplers decode
 * them to measure latency from the publisher's send. Also a ramp that raises the rate until delivery
 * drops below 99 % or p99 passes 250 ms. The publisher and the subscribers may be on different servers.
 */
import { BenchConnection, closeAll, openMany, type Target } from "../lib/connection.js";
import type { ServerProcess } from "../lib/server-process.js";
import { percentile } from "../lib/stats.js";
import { BODY, CpuWindow, LOADGEN_CPU, now, settle, sleep, targetOf, type Figure, type Measured } from "./common.js";

const TOPIC = "bench:fanout";
const SAMPLERS = 100;
/** Listening connections ping this often, well within Fenix's 60 s idle timeout. */
const KEEPALIVE_MS = 20_000;

/** Where a fanout's clients connect, and whose CPU counts. */
export interface FanoutPlacement {
  /** Where the publisher connects. */
  readonly publisher: Target;
  /** Where the subscribers connect: equal consecutive blocks, one per target, so the samplers spread evenly over them. */
  readonly subscribers: readonly Target[];
  readonly measured: Measured;
}

/** Every client on one server. */
export function alone(server: ServerProcess): FanoutPlacement {
  return { publisher: targetOf(server), subscribers: [targetOf(server)], measured: server };
}

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
  /** Redis's CPU per delivered message (NaN without Redis). */
  readonly redisCpuPerMessage: number;
  readonly loadgenBusy: number;
  /** How busy each CPU of the machine was. */
  readonly cpuBusy: readonly number[];
}

/** A set-up fanout: subscribers joined, ready to publish. */
export class Fanout {
  delivered = 0;
  latencies: number[] = [];
  #measuring = false;
  readonly #publisher: BenchConnection;
  readonly #joinRef: number;
  readonly #all: BenchConnection[];
  readonly #measured: Measured;
  readonly #keepalive: ReturnType<typeof setInterval>;

  private constructor(all: BenchConnection[], publisher: BenchConnection, joinRef: number, measured: Measured) {
    this.#all = all;
    this.#publisher = publisher;
    this.#joinRef = joinRef;
    this.#measured = measured;
    this.#keepalive = setInterval(() => all.forEach((connection) => connection.keepAlive()), KEEPALIVE_MS);
  }

  static async setUp(placement: FanoutPlacement, subscribers: number): Promise<Fanout> {
    const every = Math.max(1, Math.floor(subscribers / SAMPLERS));
    const blocks = placement.subscribers;
    let fanout: Fanout | null = null;
    const connections = await openMany(
      (index) => blocks[Math.floor((index * blocks.length) / subscribers)]!,
      subscribers,
      100,
      async (connection, index) => {
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
      },
    );
    const publisher = new BenchConnection(placement.publisher);
    await publisher.open();
    const joinRef = await publisher.join(TOPIC);
    publisher.handle(() => {
      fanout!.delivered++;
    }, false);
    fanout = new Fanout([...connections, publisher], publisher, joinRef, placement.measured);
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

  async step(rate: number, seconds: number): Promise<FanoutStep> {
    this.delivered = 0;
    this.latencies = [];
    this.#measuring = true;
    const cpu = new CpuWindow(this.#measured);
    const started = now();
    const sent = await this.publish(rate, seconds);
    const expected = sent * this.recipients;
    const lastDelivery = await settle(() => this.delivered, expected, 500, 8_000);
    const { serverMicros, redisMicros, loadgenBusy, cpuBusy } = cpu.close();
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
      redisCpuPerMessage: this.#measured.redisPids === undefined ? Number.NaN : redisMicros / delivered,
      loadgenBusy,
      cpuBusy,
    };
  }

  async warmUp(rate: number): Promise<void> {
    this.delivered = 0;
    const sent = await this.publish(rate, 1);
    await settle(() => this.delivered, sent * this.recipients, 300, 5_000);
  }

  close(): void {
    clearInterval(this.#keepalive);
    closeAll(this.#all);
  }
}

/** Sets up a fanout, runs `body` on it, and closes its connections. */
export async function withFanout<T>(placement: FanoutPlacement, subscribers: number, body: (fanout: Fanout) => Promise<T>): Promise<T> {
  const fanout = await Fanout.setUp(placement, subscribers);
  try {
    return await body(fanout);
  } finally {
    fanout.close();
  }
}

/** Whether a step counts as sustained. */
export const sustained = (step: FanoutStep): boolean => step.ratio >= 0.99 && step.p99 < 250;

/** A warm-up, then one measured step at a fixed rate: figures for the report (Redis's CPU too when it is measured). */
export async function fixedRate(fanout: Fanout, rate: number, seconds: number): Promise<Figure[]> {
  await fanout.warmUp(rate);
  return stepFigures(await fanout.step(rate, seconds));
}

/** A fixed-rate step's figures: delivery, latency, CPU per delivered message (Redis's too when it is measured). */
export function stepFigures(step: FanoutStep): Figure[] {
  const figures: Figure[] = [
    { metric: "delivered msgs/s", unit: "msg/s", value: step.perSecond, better: "higher" },
    { metric: "delivery ratio", unit: "%", value: step.ratio * 100, better: "higher" },
    { metric: "latency p50", unit: "ms", value: step.p50, better: "lower" },
    { metric: "latency p99", unit: "ms", value: step.p99, better: "lower" },
    { metric: "server CPU per delivered msg", unit: "µs", value: step.cpuPerMessage, better: "lower" },
  ];
  if (!Number.isNaN(step.redisCpuPerMessage)) figures.push({ metric: "Redis CPU per delivered msg", unit: "µs", value: step.redisCpuPerMessage, better: "lower" });
  return figures;
}

/** A ramp's steps: every sustained one, then the first that was not. */
export interface Ramp {
  readonly steps: readonly FanoutStep[];
  /** The last sustained step (null when even the first was not). */
  readonly best: FanoutStep | null;
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(0)} %`;

/** Whether the load generator held a step back: about fully busy itself, or its CPU fully busy (shared with a server). */
const loadgenLimited = (step: FanoutStep): boolean => step.loadgenBusy >= 0.9 || (step.cpuBusy[LOADGEN_CPU] ?? 0) >= 0.95;

/**
 * Rates from `start`, ×`factor` per step of `seconds`, until a step is not sustained. Logs each step
 * (with how busy the load generator and each CPU were), and says at the end when the load generator was
 * the limit at the max or at the step that failed.
 */
export async function ramp(fanout: Fanout, start: number, factor: number, seconds: number, log: (line: string) => void): Promise<Ramp> {
  await fanout.warmUp(start);
  const steps: FanoutStep[] = [];
  let best: FanoutStep | null = null;
  for (let rate = start; ; rate = Math.round(rate * factor)) {
    const step = await fanout.step(rate, seconds);
    steps.push(step);
    log(
      `    ramp ${rate}/s: ${(step.ratio * 100).toFixed(1)} % delivered, p99 ${step.p99.toFixed(1)} ms, ` +
        `${Math.round(step.perSecond)} msg/s, loadgen busy ${percent(step.loadgenBusy)}, CPUs ${step.cpuBusy.map(percent).join(" / ")}`,
    );
    if (!sustained(step)) break;
    best = step;
    await sleep(300);
  }
  const last = steps.at(-1)!;
  const limited = (best !== null && loadgenLimited(best)) || loadgenLimited(last);
  log(
    `    ramp max ${Math.round(best?.perSecond ?? 0)} msg/s at ${best?.rate ?? 0}/s (load generator ${percent(best?.loadgenBusy ?? 0)} busy there, ` +
      `${percent(last.loadgenBusy)} at ${last.rate}/s)${limited ? ": the load generator is the limit" : ""}`,
  );
  return { steps, best };
}

/**
 * The ramp's figures: the highest sustained rate, and at that step the CPU per message, how busy the
 * load generator was, and how busy each CPU was (which side ran out).
 */
export function rampFigures({ best }: Ramp): Figure[] {
  const figures: Figure[] = [
    { metric: "max sustained delivered msgs/s", unit: "msg/s", value: best?.perSecond ?? 0, better: "higher" },
    { metric: "server CPU per delivered msg at max", unit: "µs", value: best?.cpuPerMessage ?? Number.NaN, better: "lower" },
  ];
  if (best !== null && !Number.isNaN(best.redisCpuPerMessage)) {
    figures.push({ metric: "Redis CPU per delivered msg at max", unit: "µs", value: best.redisCpuPerMessage, better: "lower" });
  }
  figures.push({ metric: "load generator busy at max", unit: "%", value: (best?.loadgenBusy ?? Number.NaN) * 100, better: "lower" });
  for (const [cpu, busy] of (best?.cpuBusy ?? []).entries()) figures.push({ metric: `CPU ${cpu} busy at max`, unit: "%", value: busy * 100, better: "lower" });
  return figures;
}

/** A fixed-rate run on one server. */
export const fanoutFixed = (server: ServerProcess, subscribers: number, rate: number, seconds: number): Promise<Figure[]> =>
  withFanout(alone(server), subscribers, (fanout) => fixedRate(fanout, rate, seconds));

/** The ramp on one server: the highest sustained rate in delivered messages per second, and the CPU per message at that step. */
export const fanoutRamp = (server: ServerProcess, subscribers: number, start: number, factor: number, seconds: number, log: (line: string) => void): Promise<Figure[]> =>
  withFanout(alone(server), subscribers, async (fanout) => rampFigures(await ramp(fanout, start, factor, seconds, log)));

/**
 * soak: N connections (10,000 by default) against one Fenix server for a long time (30 minutes by
 * default), with churn and traffic, while the server's memory is sampled after a forced collection.
 *
 * - **Ramp**: the N connections open at `rampPerSecond`, each joining one of `rooms` topics
 *   (`bench:soak:<r>`, 100 by default).
 * - **Churn**: every second `churnPercent` % of N joined connections are dropped (TCP closed, as a
 *   client that goes away) and as many new ones open and join, so over 30 minutes about 18 × N
 *   connections come and go.
 * - **Rejoins**: every second `rejoinPercent` % of N send `phx_leave`, and once it is answered join
 *   another room.
 * - **Traffic**: `broadcastsPerSecond` `shout`s (each broadcast to its room), `pingsPerSecond` `ping`s
 *   answered by the server; every listening connection sends a WebSocket ping every 20 s (the server's
 *   idle timeout is 60 s).
 * - **Samples**: every `sampleSeconds`, the server collects garbage (SIGUSR2), then its RSS (from
 *   `/proc`) and heap (`process.memoryUsage()`, written by the server to `BENCH_MEMORY_FILE` after the
 *   collection) are read. The slope is a least-squares line over the samples after the warm-up.
 *
 * The traffic keeps running while a sample is taken: the figures include what half a second of
 * traffic allocates after the collection, which is small and the same in every sample.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchConnection } from "../lib/connection.js";
import { cpuMicros, rssBytes } from "../lib/proc.js";
import { startServer, type ServerProcess } from "../lib/server-process.js";
import { BODY, now, sleep, targetOf, type Figure } from "./common.js";

/** What the soak does; see the module comment. */
export interface SoakOptions {
  readonly cpu: number;
  /** How long the soak runs after the ramp. */
  readonly minutes: number;
  readonly connections: number;
  readonly rooms: number;
  /** Share of N dropped (and replaced) per second, in %. */
  readonly churnPercent: number;
  /** Share of N that leave their room and join another per second, in %. */
  readonly rejoinPercent: number;
  readonly broadcastsPerSecond: number;
  readonly pingsPerSecond: number;
  /** Connections opened per second during the ramp (and at most per second after it). */
  readonly rampPerSecond: number;
  readonly sampleSeconds: number;
  readonly log: (line: string) => void;
}

/** One memory sample, taken after a forced collection. */
export interface SoakSample {
  /** Seconds since the end of the ramp. */
  readonly t: number;
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly externalMB: number;
  /** Connections joined to a room when the sample was taken. */
  readonly joined: number;
  readonly opened: number;
  readonly closed: number;
  readonly delivered: number;
  readonly errors: number;
  /** Server CPU since the previous sample, in % of one core. */
  readonly serverCpuPercent: number;
}

/** What one soak found, for the JSON results. */
export interface SoakReport {
  readonly options: Omit<SoakOptions, "log" | "cpu">;
  readonly rampSeconds: number;
  readonly warmupSeconds: number;
  readonly thresholdMBPer10Min: number;
  readonly rssSlopeMBPer10Min: number;
  readonly heapSlopeMBPer10Min: number;
  /** Standard errors of the two slopes (the samples' scatter around the line). */
  readonly rssSlopeStderr: number;
  readonly heapSlopeStderr: number;
  /** The RSS slope spread over the connections churned in the same time. */
  readonly rssBytesPerChurnedConnection: number;
  readonly heapBytesPerChurnedConnection: number;
  readonly verdict: "flat" | "growing";
  readonly counts: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly samples: readonly SoakSample[];
}

/** The verdict's bar: a slope under 1 % of the start RSS per 10 minutes (see docs/benchmarks.md). */
const THRESHOLD_SHARE = 0.01;
const KEEPALIVE_MS = 20_000;
const TICK_MS = 100;
/** Connections still opening (upgrade or join under way) at most at once. */
const MAX_OPENING = 200;
const JOIN_TIMEOUT_MS = 10_000;
const MB = 1024 * 1024;

type State = "joining" | "joined" | "leaving";
type Pending = "join" | "leave" | "ping";

interface Client {
  readonly connection: BenchConnection;
  /** Its place in `clients` (swap-removal). */
  index: number;
  room: number;
  joinRef: number;
  state: State;
  since: number;
  droppedByUs: boolean;
  readonly pending: Map<string, Pending>;
}

/** The least-squares slope of `y` against `x`, and its standard error. */
export function slope(x: readonly number[], y: readonly number[]): { slope: number; stderr: number } {
  const n = x.length;
  if (n < 3) return { slope: Number.NaN, stderr: Number.NaN };
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  if (sxx === 0) return { slope: Number.NaN, stderr: Number.NaN };
  const b = sxy / sxx;
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (y[i]! - my - b * (x[i]! - mx)) ** 2;
  return { slope: b, stderr: Math.sqrt(residuals / (n - 2) / sxx) };
}

const clock = (seconds: number): string => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

/** Runs the soak against a fresh Fenix server on `options.cpu`. */
export async function soak(options: SoakOptions): Promise<{ figures: Figure[]; report: SoakReport }> {
  const dir = mkdtempSync(join(tmpdir(), "fenix-soak-"));
  const memoryFile = join(dir, "memory.json");
  const server = await startServer("fenix", { cpus: String(options.cpu), env: { BENCH_MEMORY_FILE: memoryFile } });
  try {
    return await drive(server, memoryFile, options);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function drive(server: ServerProcess, memoryFile: string, options: SoakOptions): Promise<{ figures: Figure[]; report: SoakReport }> {
  const { connections: n, rooms, log } = options;
  const target = targetOf(server);
  const clients: Client[] = [];
  const members = new Array<number>(rooms).fill(0);
  const counts = { opened: 0, closed: 0, joins: 0, leaves: 0, rejoins: 0, broadcasts: 0, expected: 0, delivered: 0, pings: 0, replies: 0, channelCloses: 0 };
  const errors = { open: 0, join: 0, joinTimeout: 0, leave: 0, ping: 0, dropped: 0, channelError: 0, unexpected: 0 };
  const errorCount = () => Object.values(errors).reduce((a, b) => a + b, 0);
  let opening = 0;
  let joined = 0;
  let running = true;
  let ramping = true;

  const remove = (client: Client) => {
    const last = clients.pop()!;
    if (last !== client) {
      clients[client.index] = last;
      last.index = client.index;
    }
    client.index = -1;
    if (client.state === "joined") {
      joined--;
      members[client.room]!--;
    }
  };
  const randomJoined = (): Client | undefined => {
    for (let attempt = 0; attempt < 10 && clients.length > 0; attempt++) {
      const client = clients[Math.floor(Math.random() * clients.length)]!;
      if (client.state === "joined") return client;
    }
    return undefined;
  };
  const sendJoin = (client: Client, room: number) => {
    client.room = room;
    client.state = "joining";
    client.since = now();
    client.joinRef = client.connection.ref();
    client.pending.set(String(client.joinRef), "join");
    client.connection.send(client.connection.dialect.join(`bench:soak:${room}`, client.joinRef));
  };
  const topicOf = (client: Client) => `bench:soak:${client.room}`;

  const onFrame = (client: Client, text: string | null) => {
    if (text === null) return;
    // A broadcast (`[null,null,topic,"shout",…]`) is only counted.
    if (text.startsWith("[null,null,")) {
      counts.delivered++;
      return;
    }
    let message: [string | null, string | null, string, string, { status?: string }];
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      errors.unexpected++;
      return;
    }
    const [, ref, , event, payload] = message;
    if (event === "phx_close") {
      counts.channelCloses++;
      return;
    }
    if (event === "phx_error") {
      errors.channelError++;
      return;
    }
    const kind = event === "phx_reply" && ref !== null ? client.pending.get(ref) : undefined;
    if (kind === undefined) {
      errors.unexpected++;
      return;
    }
    client.pending.delete(ref!);
    const ok = payload?.status === "ok";
    if (kind === "ping") {
      if (ok) counts.replies++;
      else errors.ping++;
    } else if (kind === "join") {
      if (!ok) {
        errors.join++;
        drop(client);
        return;
      }
      if (client.state !== "joining" || client.index === -1) return;
      client.state = "joined";
      joined++;
      members[client.room]!++;
      counts.joins++;
    } else {
      if (!ok) {
        errors.leave++;
        drop(client);
        return;
      }
      counts.leaves++;
      if (client.index === -1) return;
      // Another room than the one left.
      sendJoin(client, (client.room + 1 + Math.floor(Math.random() * (rooms - 1))) % rooms);
      counts.rejoins++;
    }
  };

  /** Closes a client's TCP connection, as a client that goes away does. */
  function drop(client: Client): void {
    if (client.index === -1) return;
    client.droppedByUs = true;
    client.connection.close();
    remove(client);
    counts.closed++;
  }

  const spawn = async () => {
    opening++;
    const connection = new BenchConnection(target);
    try {
      await connection.open();
    } catch {
      errors.open++;
      opening--;
      return;
    }
    opening--;
    if (!running) {
      connection.close();
      return;
    }
    counts.opened++;
    const client: Client = { connection, index: clients.length, room: 0, joinRef: 0, state: "joining", since: now(), droppedByUs: false, pending: new Map() };
    clients.push(client);
    connection.handle((text) => onFrame(client, text), true);
    sendJoin(client, Math.floor(Math.random() * rooms));
  };

  // Rates per tick, with the fractions carried over.
  const carry = { open: 0, churn: 0, rejoin: 0, broadcast: 0, ping: 0 };
  const take = (key: keyof typeof carry, perSecond: number): number => {
    carry[key] += (perSecond * TICK_MS) / 1000;
    const whole = Math.floor(carry[key]);
    carry[key] -= whole;
    return whole;
  };
  const payload = `{"body":"${BODY}"}`;

  const tick = () => {
    const at = now();
    // Connections the server closed, and joins never answered.
    for (let i = clients.length - 1; i >= 0; i--) {
      const client = clients[i]!;
      if (client.connection.closed && !client.droppedByUs) {
        errors.dropped++;
        remove(client);
        counts.closed++;
      } else if (client.state === "joining" && at - client.since > JOIN_TIMEOUT_MS) {
        errors.joinTimeout++;
        drop(client);
      }
    }
    if (!ramping) {
      for (let k = take("churn", (n * options.churnPercent) / 100); k > 0; k--) {
        const client = randomJoined();
        if (client !== undefined) drop(client);
      }
      for (let k = take("rejoin", (n * options.rejoinPercent) / 100); k > 0; k--) {
        const client = randomJoined();
        if (client === undefined) continue;
        client.state = "leaving";
        joined--;
        members[client.room]!--;
        const ref = client.connection.ref();
        client.pending.set(String(ref), "leave");
        client.connection.send(`["${client.joinRef}","${ref}","${topicOf(client)}","phx_leave",{}]`);
      }
      for (let k = take("broadcast", options.broadcastsPerSecond); k > 0; k--) {
        const client = randomJoined();
        if (client === undefined) continue;
        counts.broadcasts++;
        counts.expected += members[client.room]!;
        client.connection.send(client.connection.dialect.shout(topicOf(client), client.joinRef, client.connection.ref(), payload));
      }
      for (let k = take("ping", options.pingsPerSecond); k > 0; k--) {
        const client = randomJoined();
        if (client === undefined) continue;
        const ref = client.connection.ref();
        client.pending.set(String(ref), "ping");
        counts.pings++;
        client.connection.send(client.connection.dialect.ping(topicOf(client), client.joinRef, ref, `{"n":${ref}}`));
      }
    }
    // Refill to N, at most at the ramp's rate.
    const budget = take("open", options.rampPerSecond);
    const wanted = Math.min(budget, n - clients.length - opening, MAX_OPENING - opening);
    for (let k = 0; k < wanted; k++) void spawn();
  };

  const ticker = setInterval(tick, TICK_MS);
  const keepalive = setInterval(() => clients.forEach((client) => client.connection.keepAlive()), KEEPALIVE_MS);
  const samples: SoakSample[] = [];
  let lastCpu = cpuMicros(server.pid);
  let lastCpuAt = now();

  const sample = async (t: number): Promise<SoakSample> => {
    const asked = Date.now();
    await server.collectGarbage();
    let memory: { at: number; heapUsed: number; heapTotal: number; external: number } | null = null;
    const deadline = now() + 10_000;
    while (now() < deadline) {
      if (existsSync(memoryFile)) {
        const read = JSON.parse(readFileSync(memoryFile, "utf8")) as { at: number; heapUsed: number; heapTotal: number; external: number };
        if (read.at >= asked) {
          memory = read;
          break;
        }
      }
      await sleep(50);
    }
    if (memory === null) throw new Error("soak: the server did not write its memory after SIGUSR2 (BENCH_MEMORY_FILE)");
    const cpu = cpuMicros(server.pid);
    const cpuAt = now();
    const serverCpuPercent = ((cpu - lastCpu) / ((cpuAt - lastCpuAt) * 1000)) * 100;
    lastCpu = cpu;
    lastCpuAt = cpuAt;
    const s: SoakSample = {
      t: Math.round(t * 10) / 10,
      rssMB: rssBytes(server.pid) / MB,
      heapUsedMB: memory.heapUsed / MB,
      heapTotalMB: memory.heapTotal / MB,
      externalMB: memory.external / MB,
      joined,
      opened: counts.opened,
      closed: counts.closed,
      delivered: counts.delivered,
      errors: errorCount(),
      serverCpuPercent,
    };
    samples.push(s);
    return s;
  };

  try {
    // The ramp: until N are joined (or three times the time it should take, plus 30 s).
    log(`    soak: ramping to ${n.toLocaleString("en-US")} connections at ${options.rampPerSecond}/s over ${rooms} rooms`);
    const rampStarted = now();
    const rampLimit = ((3 * n) / options.rampPerSecond + 30) * 1000;
    while (joined < n && now() - rampStarted < rampLimit) await sleep(100);
    const rampSeconds = (now() - rampStarted) / 1000;
    if (joined < n) log(`    soak: only ${joined} of ${n} joined after ${rampSeconds.toFixed(0)} s; going on`);
    ramping = false;
    log(`    soak: ${joined.toLocaleString("en-US")} joined in ${rampSeconds.toFixed(1)} s; soaking for ${options.minutes} min`);

    const started = now();
    const duration = options.minutes * 60_000;
    const progress = (s: SoakSample) =>
      log(
        `    soak ${clock(s.t)}/${clock(duration / 1000)}: ${s.joined.toLocaleString("en-US")} joined, ` +
          `opened ${s.opened.toLocaleString("en-US")}, closed ${s.closed.toLocaleString("en-US")}, delivered ${s.delivered.toLocaleString("en-US")}, ` +
          `errors ${s.errors}; RSS ${s.rssMB.toFixed(1)} MB, heap ${s.heapUsedMB.toFixed(1)} MB used of ${s.heapTotalMB.toFixed(1)} MB, server CPU ${s.serverCpuPercent.toFixed(0)} %`,
      );
    progress(await sample(0));
    let next = options.sampleSeconds * 1000;
    while (next <= duration) {
      await sleep(Math.max(0, started + next - now()));
      progress(await sample((now() - started) / 1000));
      next += options.sampleSeconds * 1000;
    }
    running = false;
    clearInterval(ticker);
    clearInterval(keepalive);

    const warmupSeconds = Math.min(300, 0.2 * options.minutes * 60);
    const after = samples.filter((s) => s.t >= warmupSeconds);
    const x = after.map((s) => s.t);
    const rssFit = slope(x, after.map((s) => s.rssMB));
    const heapFit = slope(x, after.map((s) => s.heapUsedMB));
    const rssSlope = rssFit.slope * 600;
    const heapSlope = heapFit.slope * 600;
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const threshold = THRESHOLD_SHARE * first.rssMB;
    const verdict = rssSlope < threshold && heapSlope < threshold ? "flat" : "growing";
    const churnedPer10Min = (n * options.churnPercent) / 100 * 600;
    const report: SoakReport = {
      options: {
        minutes: options.minutes,
        connections: n,
        rooms,
        churnPercent: options.churnPercent,
        rejoinPercent: options.rejoinPercent,
        broadcastsPerSecond: options.broadcastsPerSecond,
        pingsPerSecond: options.pingsPerSecond,
        rampPerSecond: options.rampPerSecond,
        sampleSeconds: options.sampleSeconds,
      },
      rampSeconds,
      warmupSeconds,
      thresholdMBPer10Min: threshold,
      rssSlopeMBPer10Min: rssSlope,
      heapSlopeMBPer10Min: heapSlope,
      rssSlopeStderr: rssFit.stderr * 600,
      heapSlopeStderr: heapFit.stderr * 600,
      rssBytesPerChurnedConnection: (rssSlope * MB) / churnedPer10Min,
      heapBytesPerChurnedConnection: (heapSlope * MB) / churnedPer10Min,
      verdict,
      counts: { ...counts },
      errors: { ...errors },
      samples,
    };
    const max = (key: "rssMB" | "heapUsedMB") => Math.max(...samples.map((s) => s[key]));
    log(
      `    soak verdict: ${verdict} — RSS ${rssSlope >= 0 ? "+" : ""}${rssSlope.toFixed(2)} ± ${(rssFit.stderr * 600).toFixed(2)} MB and ` +
        `heap ${heapSlope >= 0 ? "+" : ""}${heapSlope.toFixed(2)} ± ${(heapFit.stderr * 600).toFixed(2)} MB per 10 min ` +
        `over ${after.length} samples after a ${warmupSeconds.toFixed(0)} s warm-up; bar ${threshold.toFixed(2)} MB per 10 min (1 % of the start RSS)`,
    );
    const figures: Figure[] = [
      { metric: "RSS at start (after the ramp)", unit: "MB", value: first.rssMB, better: "lower" },
      { metric: "RSS at end", unit: "MB", value: last.rssMB, better: "lower" },
      { metric: "RSS max", unit: "MB", value: max("rssMB"), better: "lower" },
      { metric: "RSS slope after warm-up", unit: "MB/10 min", value: rssSlope, better: "lower" },
      { metric: "heap used at start (after the ramp)", unit: "MB", value: first.heapUsedMB, better: "lower" },
      { metric: "heap used at end", unit: "MB", value: last.heapUsedMB, better: "lower" },
      { metric: "heap used max", unit: "MB", value: max("heapUsedMB"), better: "lower" },
      { metric: "RSS slope standard error", unit: "MB/10 min", value: rssFit.stderr * 600, better: "lower" },
      { metric: "heap slope after warm-up", unit: "MB/10 min", value: heapSlope, better: "lower" },
      { metric: "heap slope standard error", unit: "MB/10 min", value: heapFit.stderr * 600, better: "lower" },
      { metric: "flat bar (1 % of the start RSS)", unit: "MB/10 min", value: threshold, better: "higher" },
      { metric: "connections opened", unit: "count", value: counts.opened, better: "higher" },
      { metric: "connections closed", unit: "count", value: counts.closed, better: "higher" },
      { metric: "leave + rejoin", unit: "count", value: counts.rejoins, better: "higher" },
      { metric: "broadcasts sent", unit: "count", value: counts.broadcasts, better: "higher" },
      { metric: "messages delivered", unit: "count", value: counts.delivered, better: "higher" },
      { metric: "delivered / room members at send", unit: "%", value: (counts.delivered / Math.max(1, counts.expected)) * 100, better: "higher" },
      { metric: "ping replies", unit: "count", value: counts.replies, better: "higher" },
      { metric: "errors", unit: "count", value: errorCount(), better: "lower" },
    ];
    return { figures, report };
  } finally {
    running = false;
    clearInterval(ticker);
    clearInterval(keepalive);
    for (const client of clients) client.connection.close();
  }
}

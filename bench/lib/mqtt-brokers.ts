/**
 * The MQTT brokers of the mqtt-fanout scenario, started fresh for each run and pinned with `taskset`:
 * Fenix (`bench/servers/fenix-mqtt.ts`) and aedes (`bench/servers/aedes.ts`) as compiled Node servers,
 * and a private Mosquitto on a free port of 127.0.0.1 (never the shared one on 1883) with a config of
 * its own. Each gives its pid, so the scenario measures its CPU from `/proc` the same way.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Column } from "./report.js";
import { affinityOf, freePort, normalizeCpuList, stopProcess } from "./proc.js";
import { startServer } from "./server-process.js";

/** The brokers under test. */
export type MqttBrokerName = "fenix" | "aedes" | "mosquitto";

export const MQTT_BROKERS: readonly MqttBrokerName[] = ["fenix", "aedes", "mosquitto"];

/** A running broker. */
export interface MqttBroker {
  readonly name: MqttBrokerName;
  readonly pid: number;
  /** Its processes: their CPU is the broker's. */
  readonly pids: readonly number[];
  /** Its MQTT TCP port on 127.0.0.1. */
  readonly port: number;
  stop(): Promise<void>;
}

/** The Mosquitto binary: `MOSQUITTO` if set, else the system one, else `mosquitto` from PATH. */
const mosquittoBinary = (): string => process.env.MOSQUITTO ?? (existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto");

/** Mosquitto's version as it prints it ("2.0.11"), or null when it cannot be run. */
export function mosquittoVersion(): string | null {
  const result = spawnSync(mosquittoBinary(), ["-h"], { encoding: "utf8" });
  return /mosquitto version (\S+)/.exec(`${result.stdout ?? ""}${result.stderr ?? ""}`)?.[1] ?? null;
}

/** The installed aedes's version ("1.2.0"), or "?" when it cannot be read. */
export function aedesVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve("aedes");
    return (JSON.parse(readFileSync(join(dirname(main), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** The report column of a broker. */
export function mqttColumn(name: MqttBrokerName): Column {
  switch (name) {
    case "fenix":
      return { key: name, label: "Fenix (fenix/mqtt)", short: "Fenix" };
    case "aedes":
      return { key: name, label: "aedes", short: "aedes" };
    case "mosquitto":
      return { key: name, label: "Mosquitto", short: "Mosquitto" };
  }
}

/** Starts `name` pinned to `cpus`; resolves once it accepts connections. */
export async function startMqttBroker(name: MqttBrokerName, cpus: string): Promise<MqttBroker> {
  if (name === "mosquitto") return startMosquitto(cpus);
  // startServer knows the Phoenix servers by name; only its script and pinning matter here, the name is ours.
  const server = await startServer("fenix", { cpus, script: name === "fenix" ? "fenix-mqtt" : "aedes" });
  return { name, pid: server.pid, pids: server.pids, port: server.port, stop: () => server.stop() };
}

/**
 * A private Mosquitto: a config written to a temporary folder (one listener on 127.0.0.1, anonymous
 * clients, no persistence, queues deep enough that nothing is dropped in the scenario), started under
 * `taskset`, ready once its port accepts a TCP connection.
 */
async function startMosquitto(cpus: string): Promise<MqttBroker> {
  const port = await freePort(1883);
  const dir = mkdtempSync(join(tmpdir(), "fenix-bench-mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_queued_messages 100000",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "",
    ].join("\n"),
  );
  const child = spawn("taskset", ["-c", cpus, mosquittoBinary(), "-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
    process.stderr.write(`mosquitto: ${chunk.toString()}`);
  });
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`mosquitto exited with ${code} before it was ready: ${errors.trim()}`));
      child.once("exit", onExit);
      child.once("error", (error) => reject(new Error(`mosquitto could not be started: ${error.message}`)));
      waitForPort(port, 10_000, () => child.exitCode === null && child.signalCode === null).then(() => {
        child.off("exit", onExit);
        resolve();
      }, reject);
    });
    const pid = child.pid!;
    if (normalizeCpuList(affinityOf(pid)) !== normalizeCpuList(cpus)) throw new Error(`mosquitto runs on CPUs ${affinityOf(pid)}, expected ${cpus}`);
    return { name: "mosquitto", pid, pids: [pid], port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves once 127.0.0.1:`port` accepts a TCP connection (retrying every 50 ms while `alive()`), rejects after `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error("the broker is gone");
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (accepted) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}


/**
 * Interoperability with the Mosquitto command-line clients (Debian package `mosquitto-clients`):
 * `mosquitto_sub` receives what `mosquitto_pub` sends through Fenix at QoS 0, 1 and 2 over MQTT 3.1.1 and
 * 5.0; retained messages are kept and cleared (`-r`, `-r -n`); a will set with `--will-topic` reaches an
 * MQTT.js subscriber when the client is killed; MQTT 5 user properties (`-D publish user-property`) travel
 * both ways.
 *
 * The clients always get `-h 127.0.0.1 -p <the test broker's port>`: a system Mosquitto may listen on 1883
 * and is never touched. Without the binaries the suite is skipped with a warning — except in CI
 * (`CI=true`), where that is an error.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBroker, type TestBroker } from "../support/mqtt.js";

const MOSQUITTO_PUB = "/usr/bin/mosquitto_pub";
const MOSQUITTO_SUB = "/usr/bin/mosquitto_sub";

/** Whether the Mosquitto clients are installed; in CI their absence is an error. */
function requireMosquittoClients(): boolean {
  const missing = [MOSQUITTO_PUB, MOSQUITTO_SUB].filter((path) => !existsSync(path));
  if (missing.length === 0) return true;
  const message = `${missing.join(" and ")} not found; install the Debian package mosquitto-clients`;
  if (process.env.CI === "true") throw new Error(`${message} (CI needs it for test/mqtt/mosquitto-clients.test.ts).`);
  console.warn(`${message}; the Mosquitto client tests are skipped.`);
  return false;
}

const installed = requireMosquittoClients();
const VERSIONS = [
  { flag: "mqttv311", name: "MQTT 3.1.1" },
  { flag: "mqttv5", name: "MQTT 5.0" },
] as const;

describe.skipIf(!installed)(`Mosquitto command-line clients against Fenix${installed ? "" : " (skipped: mosquitto-clients is not installed)"}`, () => {
  let broker: TestBroker;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    broker = await startBroker();
    // Never the system broker's port.
    expect(broker.port).not.toBe(1883);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await broker.stop();
  });

  /** A running client: its output so far and its exit. */
  interface Client {
    readonly child: ChildProcess;
    readonly stdout: () => string;
    /** Resolves with the exit code and output; rejects after `timeoutMs`. */
    exit(timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  }

  /** Spawns a Mosquitto client on the test broker (`-h 127.0.0.1 -p <port>` first). */
  function client(binary: string, args: string[], stdin?: string): Client {
    const child = spawn(binary, ["-h", "127.0.0.1", "-p", String(broker.port), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    if (stdin !== undefined) child.stdin!.end(stdin);
    // "close", not "exit": the output may still be in flight when the process has exited.
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    return {
      child,
      stdout: () => stdout,
      async exit(timeoutMs = 10_000) {
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${binary} ${args.join(" ")} did not exit within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
        return { code, stdout, stderr };
      },
    };
  }

  /** Runs mosquitto_pub to completion and expects success. */
  async function pub(args: string[], stdin?: string): Promise<void> {
    const result = await client(MOSQUITTO_PUB, args, stdin).exit();
    expect(result, `mosquitto_pub ${args.join(" ")}`).toMatchObject({ code: 0 });
  }

  /** Waits until `check` holds (polling the broker), up to 5 s. */
  async function until(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 5 s (stats ${JSON.stringify(broker.mqtt.stats())})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Starts mosquitto_sub and waits until its subscription is in the broker. */
  async function sub(args: string[]): Promise<Client> {
    const before = broker.mqtt.stats().subscriptions;
    const c = client(MOSQUITTO_SUB, [...args, "-W", "10"]);
    await until("mosquitto_sub subscribed", () => broker.mqtt.stats().subscriptions > before || c.child.exitCode !== null);
    return c;
  }

  for (const { flag, name } of VERSIONS) {
    for (const qos of [0, 1, 2] as const) {
      it(`mosquitto_sub -C 3 -v receives what mosquitto_pub sends at QoS ${qos} (${name})`, async () => {
        const topic = `fenix/q${qos}`;
        const subscriber = await sub(["-V", flag, "-i", `sub-${flag}-${qos}`, "-t", `${topic}/#`, "-q", String(qos), "-C", "3", "-v"]);
        // -l: one message per line of stdin, over one connection.
        await pub(["-V", flag, "-i", `pub-${flag}-${qos}`, "-t", `${topic}/line`, "-q", String(qos), "-l"], "one\ntwo\nthree\n");
        const { code, stdout } = await subscriber.exit();
        expect(code).toBe(0);
        expect(stdout.split("\n").filter(Boolean)).toEqual([`${topic}/line one`, `${topic}/line two`, `${topic}/line three`]);
      });
    }

    it(`keeps a retained message (-r) and clears it (-r -n) (${name})`, async () => {
      await pub(["-V", flag, "-t", "fenix/ret/lamp", "-m", "on", "-q", "1", "-r"]);
      await until("the message is retained", () => broker.mqtt.stats().retained === 1);
      // A later subscriber gets it, flagged retained (%r).
      const late = client(MOSQUITTO_SUB, ["-V", flag, "-t", "fenix/ret/#", "-q", "1", "-C", "1", "-F", "%r %t %p", "-W", "10"]);
      expect(await late.exit()).toMatchObject({ code: 0, stdout: "1 fenix/ret/lamp on\n" });

      // A zero-length retained message clears it: the next subscriber's first message is a live one.
      await pub(["-V", flag, "-t", "fenix/ret/lamp", "-r", "-n"]);
      await until("the retained message is cleared", () => broker.mqtt.stats().retained === 0);
      const after = await sub(["-V", flag, "-t", "fenix/ret/#", "-C", "1", "-F", "%r %t %p"]);
      await pub(["-V", flag, "-t", "fenix/ret/live", "-m", "live"]);
      expect(await after.exit()).toMatchObject({ code: 0, stdout: "0 fenix/ret/live live\n" });
    });

    it(`publishes mosquitto_sub's will when it is killed with SIGKILL (${name})`, async () => {
      const watcher = await broker.client({ protocolVersion: 5 });
      await watcher.subscribeAsync("fenix/will/#", { qos: 1 });
      const will = new Promise<{ topic: string; payload: string; qos: number }>((resolve) => watcher.on("message", (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos })));
      const doomed = await sub(["-V", flag, "-i", `doomed-${flag}`, "-t", "fenix/idle", "--will-topic", `fenix/will/${flag}`, "--will-payload", `gone-${flag}`, "--will-qos", "1"]);
      expect(doomed.child.exitCode).toBeNull();
      doomed.child.kill("SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([will, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no will within 5 s")), 5_000)))]).finally(() => clearTimeout(timer));
      expect(got).toEqual({ topic: `fenix/will/${flag}`, payload: `gone-${flag}`, qos: 1 });
    });
  }

  it("carries user properties from mosquitto_pub -D publish user-property (MQTT 5.0)", async () => {
    const watcher = await broker.client({ protocolVersion: 5 });
    await watcher.subscribeAsync("fenix/props", { qos: 1 });
    const received = new Promise<unknown>((resolve) => watcher.on("message", (_topic, _payload, packet) => resolve(packet.properties?.userProperties)));
    await pub(["-V", "mqttv5", "-t", "fenix/props", "-m", "x", "-q", "1", "-D", "publish", "user-property", "k", "v", "-D", "publish", "user-property", "region", "eu"]);
    expect(await received).toEqual({ k: "v", region: "eu" });
  });

  it("hands user properties to mosquitto_sub (-F %P) (MQTT 5.0)", async () => {
    const subscriber = await sub(["-V", "mqttv5", "-t", "fenix/props/out", "-C", "1", "-F", "%t %p %P"]);
    const publisher = await broker.client({ protocolVersion: 5 });
    await publisher.publishAsync("fenix/props/out", "y", { qos: 1, properties: { userProperties: { source: "mqtt.js" } } });
    expect(await subscriber.exit()).toMatchObject({ code: 0, stdout: "fenix/props/out y source:mqtt.js\n" });
  });
});

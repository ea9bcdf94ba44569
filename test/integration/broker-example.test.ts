// examples/broker, the standalone MQTT broker: `npm run broker` starts it on MQTT_PORT and PORT (0 picks
// free ports) and says where; MQTT.js clients over TCP and WebSocket talk through it; two brokers linked
// through Redis (REDIS_URL) carry a publish from one to a subscriber of the other, retained included.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { silentLogger } from "../../src/index.js";
import { startBroker, type Broker } from "../../examples/broker/server.js";
import { requireService } from "../support/services.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const redis = await requireService("Redis", "127.0.0.1", 6379);
const children: ChildProcess[] = [];
const brokers: Broker[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  // npm runs the broker in a process of its own (through tsx): the whole group is stopped, and awaited,
  // so that no broker outlives the test.
  await Promise.all(children.splice(0).map((child) => stopGroup(child)));
});

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  await exited;
}

function firstMessage(client: MqttClient): Promise<{ topic: string; payload: string; retain: boolean }> {
  return new Promise((resolve) => client.once("message", (topic, payload, packet) => resolve({ topic, payload: payload.toString(), retain: packet.retain })));
}

describe("examples/broker", () => {
  it("`npm run broker` serves MQTT over TCP and WebSocket on the ports it announces", async () => {
    const child = spawn("npm", ["run", "--silent", "broker"], {
      cwd: root,
      env: { ...process.env, MQTT_PORT: "0", PORT: "0", HOST: "127.0.0.1" },
      detached: true,
    });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Fenix MQTT broker on .*\n/.exec(out);
        if (match) resolve(match[0]);
      });
      child.once("exit", (code) => reject(new Error(`broker exited with ${code}: ${out}`)));
    });
    const [, tcpPort] = /mqtt:\/\/localhost:(\d+)/.exec(line)!;
    const [, wsUrl] = /(ws:\/\/\S+\/mqtt)/.exec(line)!;
    const tcp = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 });
    const ws = await mqtt.connectAsync(wsUrl!, { reconnectPeriod: 0, protocolVersion: 5 });
    clients.push(tcp, ws);
    await ws.subscribeAsync("devices/#", { qos: 1 });
    const received = firstMessage(ws);
    await tcp.publishAsync("devices/42/state", "on", { qos: 1 });
    expect(await received).toEqual({ topic: "devices/42/state", payload: "on", retain: false });
  });

  it.skipIf(!redis)("two brokers linked through Redis share publishes and retained messages", async () => {
    const redisUrl = "redis://127.0.0.1:6379";
    const a = await startBroker({ mqttPort: 0, port: 0, host: "127.0.0.1", redisUrl, nodeName: `a-${randomUUID()}`, logger: silentLogger });
    brokers.push(a);
    const b = await startBroker({ mqttPort: 0, port: 0, host: "127.0.0.1", redisUrl, nodeName: `b-${randomUUID()}`, logger: silentLogger });
    brokers.push(b);
    const topic = `linked/${randomUUID()}`;
    const onB = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqtt.port}`, { reconnectPeriod: 0 });
    const onA = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqtt.port}`, { reconnectPeriod: 0 });
    clients.push(onA, onB);
    await onB.subscribeAsync(topic, { qos: 1 });
    // Both nodes see each other before the publish: retry until the subscriber on B hears from A.
    const received = firstMessage(onB);
    const deadline = Date.now() + 5_000;
    let got: { topic: string; payload: string; retain: boolean } | undefined;
    received.then((m) => (got = m), () => {});
    while (got === undefined && Date.now() < deadline) {
      await onA.publishAsync(topic, "across", { qos: 1, retain: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(got).toEqual({ topic, payload: "across", retain: false });
    // The retained message reached B's store too: a new subscriber on B gets it at once.
    const late = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqtt.port}`, { reconnectPeriod: 0 });
    clients.push(late);
    const retained = firstMessage(late);
    await late.subscribeAsync(topic, { qos: 1 });
    expect(await retained).toEqual({ topic, payload: "across", retain: true });
    // Clear what this test retained (other tests may share this Redis).
    await onA.publishAsync(topic, "", { qos: 1, retain: true });
  });
});

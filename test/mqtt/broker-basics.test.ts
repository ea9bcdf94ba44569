/**
 * The MQTT broker's basic round trip: MQTT.js 3.1.1 and 5.0 clients over TCP and WebSocket publish and
 * receive at QoS 0, 1 and 2, and a retained message reaches a later subscriber with the retain flag.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { startBroker, type TestBroker } from "../support/mqtt.js";

function collect(client: MqttClient, count: number): Promise<Array<{ topic: string; payload: string; qos: number; retain: boolean }>> {
  const got: Array<{ topic: string; payload: string; qos: number; retain: boolean }> = [];
  return new Promise((resolve) => {
    client.on("message", (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      if (got.length === count) resolve(got);
    });
  });
}

describe("MQTT broker basics", () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await broker.stop();
  });

  for (const protocolVersion of [4, 5] as const) {
    for (const transport of ["tcp", "websocket"] as const) {
      it(`delivers QoS 0, 1 and 2 and retained messages (MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}, ${transport})`, async () => {
        const url = transport === "tcp" ? broker.url : broker.wsUrl;
        const publisher = await broker.client({ protocolVersion }, url);
        await publisher.publishAsync("status/door", "open", { qos: 1, retain: true });
        const subscriber = await broker.client({ protocolVersion }, url);
        const received = collect(subscriber, 4);
        await subscriber.subscribeAsync(["sensors/+/temp", "status/#"], { qos: 2 });
        for (const qos of [0, 1, 2] as const) await publisher.publishAsync("sensors/kitchen/temp", `t${qos}`, { qos });
        expect(await received).toEqual([
          { topic: "status/door", payload: "open", qos: 1, retain: true },
          { topic: "sensors/kitchen/temp", payload: "t0", qos: 0, retain: false },
          { topic: "sensors/kitchen/temp", payload: "t1", qos: 1, retain: false },
          { topic: "sensors/kitchen/temp", payload: "t2", qos: 2, retain: false },
        ]);
        expect(broker.mqtt.stats()).toMatchObject({ retained: 1 });
      });
    }
  }

  it("grants at most the subscription's QoS", async () => {
    const subscriber = await broker.client({ protocolVersion: 5 });
    const received = collect(subscriber, 1);
    const granted = await subscriber.subscribeAsync("q/0", { qos: 0 });
    expect(granted.map((g) => g.qos)).toEqual([0]);
    const publisher = await broker.client({ protocolVersion: 5 });
    await publisher.publishAsync("q/0", "x", { qos: 2 });
    expect((await received)[0]).toMatchObject({ qos: 0 });
  });
});

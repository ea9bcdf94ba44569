/**
 * Keep-alive at 3.1.1 and 5.0, with the raw client and a 1 s keep-alive: PINGREQ is answered with PINGRESP;
 * a client silent for 1.5 × its keep-alive is disconnected (MQTT 5: DISCONNECT 0x8D first; 3.1.1: the
 * connection just closes) and its will is published, while one that keeps sending stays, and keep-alive 0
 * turns the check off, and MQTT.js with keepalive 1 stays through its own PINGREQs. `maxKeepAliveSec` lowers
 * a longer keep-alive (MQTT 5 clients are told with Server Keep Alive).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IConnackPacket } from "mqtt-packet";
import { label, rawClosed, sleep, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";
import type { RawMqtt } from "../support/mqtt.js";

describe("MQTT keep-alive", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  /** Sends PINGREQ every `everyMs` until the connection closes or `stop` is called; counts the PINGRESPs. */
  function pinger(raw: RawMqtt, everyMs: number): { stop(): void; readonly pongs: number } {
    let pongs = 0;
    const timer = setInterval(() => {
      if (raw.closed) return;
      raw.send({ cmd: "pingreq" });
    }, everyMs);
    const counter = setInterval(() => {
      const i = raw.packets.findIndex((p) => p.cmd === "pingresp");
      if (i !== -1) {
        raw.packets.splice(i, 1);
        pongs++;
      }
    }, 5);
    return {
      stop() {
        clearInterval(timer);
        clearInterval(counter);
      },
      get pongs() {
        return pongs;
      },
    };
  }

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("answers PINGREQ with PINGRESP", async () => {
        const { raw } = await h.rawConnected(protocolVersion);
        for (let i = 0; i < 3; i++) {
          raw.send({ cmd: "pingreq" });
          expect(await raw.next("pingresp")).toMatchObject({ cmd: "pingresp" });
        }
      });

      it("disconnects a client silent for 1.5 × its keep-alive and keeps the pinging ones and keep-alive 0", async () => {
        const watcher = await h.connect({ protocolVersion });
        await watcher.client.subscribeAsync("ka/will", { qos: 1 });
        const silent = await h.rawConnected(protocolVersion, { keepalive: 1, will: { topic: "ka/will", payload: Buffer.from("timed out"), qos: 1, retain: false } });
        const talking = await h.rawConnected(protocolVersion, { keepalive: 1 });
        const unwatched = await h.rawConnected(protocolVersion, { keepalive: 0 });
        const mqttJs = await h.connect({ protocolVersion, keepalive: 1 });
        const pings = pinger(talking.raw, 400);
        const start = Date.now();
        try {
          const disconnect = await rawClosed(silent.raw, 3_000);
          const elapsed = Date.now() - start;
          expect(elapsed).toBeGreaterThanOrEqual(1_300);
          expect(elapsed).toBeLessThan(2_500);
          if (protocolVersion === 5) expect(disconnect).toMatchObject({ cmd: "disconnect", reasonCode: 0x8d });
          else expect(disconnect).toBeUndefined();
          expect(await watcher.inbox.one()).toMatchObject({ topic: "ka/will", payload: "timed out" });
          await sleep(200);
          expect(talking.raw.closed).toBe(false);
          expect(unwatched.raw.closed).toBe(false);
          expect(mqttJs.client.connected).toBe(true);
          expect(pings.pongs).toBeGreaterThanOrEqual(2);
        } finally {
          pings.stop();
        }
      });
    });
  }

  it("lowers a longer keep-alive to maxKeepAliveSec and tells MQTT 5 clients (Server Keep Alive)", async () => {
    await h.stop();
    h = await startHarness({ maxKeepAliveSec: 1 });
    const v5 = await h.rawConnected(5, { keepalive: 600 });
    expect((v5.connack as IConnackPacket).properties?.serverKeepAlive).toBe(1);
    const v3 = await h.rawConnected(4, { keepalive: 0 });
    const start = Date.now();
    const [disconnect] = await Promise.all([rawClosed(v5.raw, 3_000), rawClosed(v3.raw, 3_000)]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1_300);
    expect(disconnect).toMatchObject({ reasonCode: 0x8d });
  });
});

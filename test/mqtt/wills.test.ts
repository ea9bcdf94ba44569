/**
 * Will messages at 3.1.1 and 5.0: published when the network connection drops without DISCONNECT (MQTT.js
 * `client.stream.destroy()`, or the raw client's socket) or the server closes it for a protocol error, with
 * its QoS and retain flag; not published on a normal DISCONNECT; published on an MQTT 5 DISCONNECT with
 * reason 0x04, with its properties and its Message Expiry Interval counted from then. MQTT 5 Will Delay
 * Interval: the will waits for its delay, is not sent if the client reconnects within it, and is sent when
 * the session ends if the session expiry is shorter (at once with a session expiry of 0) or a clean start
 * ends it. A will on a topic `authorize.publish` refuses is refused at CONNECT.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IClientOptions } from "mqtt";
import { clientClosed, clientId, label, persistent, rawClosed, startHarness, VERSIONS, type Harness, type Opened } from "../support/mqtt-conformance.js";

describe("MQTT wills", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function watcher(protocolVersion: 4 | 5, filter = "will/#"): Promise<Opened> {
    const opened = await h.connect({ protocolVersion });
    await opened.client.subscribeAsync(filter, { qos: 2 });
    return opened;
  }

  /** Drops the network connection of an MQTT.js client, as a crash or a lost link would. */
  async function drop(opened: Opened): Promise<void> {
    const closed = clientClosed(opened.client);
    opened.client.stream.destroy();
    await closed;
  }

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("publishes the will when the connection drops", async () => {
        const watch = await watcher(protocolVersion);
        const device = await h.connect({ protocolVersion, will: { topic: "will/device-1", payload: Buffer.from("gone"), qos: 1, retain: false } });
        await drop(device);
        expect(await watch.inbox.one()).toMatchObject({ topic: "will/device-1", payload: "gone", qos: 1, retain: false });
        expect(await watch.inbox.quiet()).toEqual([]);
      });

      it("publishes the will when a raw client's socket is destroyed", async () => {
        const watch = await watcher(protocolVersion);
        const { raw } = await h.rawConnected(protocolVersion, { will: { topic: "will/raw", payload: Buffer.from("lost"), qos: 2, retain: false } });
        raw.destroy();
        expect(await watch.inbox.one()).toMatchObject({ topic: "will/raw", payload: "lost", qos: 2 });
      });

      it("publishes the will when the server closes the connection for a protocol error", async () => {
        const watch = await watcher(protocolVersion);
        const { raw } = await h.rawConnected(protocolVersion, { will: { topic: "will/broken", payload: Buffer.from("bad client"), qos: 0, retain: false } });
        raw.send({ cmd: "connect", protocolId: "MQTT", protocolVersion, clientId: "second-connect", clean: true, keepalive: 60 });
        await rawClosed(raw);
        expect(await watch.inbox.one()).toMatchObject({ topic: "will/broken", payload: "bad client" });
      });

      it("does not publish the will on a normal DISCONNECT", async () => {
        const watch = await watcher(protocolVersion);
        const device = await h.connect({ protocolVersion, will: { topic: "will/polite", payload: Buffer.from("gone"), qos: 1, retain: false } });
        const closed = clientClosed(device.client);
        await device.client.endAsync(false);
        await closed;
        expect(await watch.inbox.quiet(200)).toEqual([]);
      });

      it("refuses a CONNECT whose will authorize.publish refuses (0x87 / return code 5)", async () => {
        await h.stop();
        h = await startHarness({ authorize: { publish: (_client, topic) => !topic.startsWith("alarm/") } });
        const watch = await watcher(protocolVersion, "#");
        const { raw, connack } = await h.rawConnected(protocolVersion, { will: { topic: "alarm/fire", payload: Buffer.from("fake"), qos: 0, retain: true } });
        expect(connack).toMatchObject(protocolVersion === 5 ? { reasonCode: 0x87 } : { returnCode: 5 });
        await rawClosed(raw);
        expect(await watch.inbox.quiet()).toEqual([]);
        expect(h.broker.mqtt.stats().retained).toBe(0);
        // An allowed will topic is fine.
        const ok = await h.rawConnected(protocolVersion, { will: { topic: "status/x", payload: Buffer.from("gone"), qos: 0, retain: false } });
        expect(ok.connack).toMatchObject(protocolVersion === 5 ? { reasonCode: 0 } : { returnCode: 0 });
        ok.raw.destroy();
        expect(await watch.inbox.one()).toMatchObject({ topic: "status/x", payload: "gone" });
      });

      it("retains a will with the retain flag", async () => {
        const device = await h.connect({ protocolVersion, will: { topic: "will/status", payload: Buffer.from("offline"), qos: 1, retain: true } });
        await drop(device);
        // Reaches a subscriber that comes later, as a retained message.
        const later = await h.connect({ protocolVersion });
        await later.client.subscribeAsync("will/status", { qos: 1 });
        expect(await later.inbox.one()).toMatchObject({ topic: "will/status", payload: "offline", retain: true, qos: 1 });
        expect(h.broker.mqtt.stats().retained).toBe(1);
      });
    });
  }

  describe("MQTT 5.0", () => {
    const will = (delaySec: number, topic = "will/delayed"): IClientOptions["will"] => ({
      topic,
      payload: Buffer.from("late"),
      qos: 1,
      retain: false,
      properties: { willDelayInterval: delaySec, userProperties: { why: "test" }, contentType: "text/plain" },
    });

    it("publishes the will on DISCONNECT with reason 0x04, with its properties", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ protocolVersion: 5, will: will(0, "will/asked") });
      const closed = clientClosed(device.client);
      await device.client.endAsync(false, { reasonCode: 0x04 });
      await closed;
      const m = await watch.inbox.one();
      expect(m).toMatchObject({ topic: "will/asked", payload: "late", qos: 1 });
      expect(m.properties).toMatchObject({ userProperties: { why: "test" }, contentType: "text/plain" });
    });

    it("counts the will's Message Expiry Interval from when it is published", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ protocolVersion: 5, will: { topic: "will/expiring", payload: Buffer.from("x"), qos: 1, retain: true, properties: { messageExpiryInterval: 30, payloadFormatIndicator: true } } });
      await drop(device);
      const m = await watch.inbox.one();
      expect(m.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(29);
      expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(30);
      expect(m.properties?.payloadFormatIndicator).toBe(true);
    });

    it("waits for the Will Delay Interval", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ ...persistent(5, clientId("delay"), 30), will: will(1) });
      const dropped = Date.now();
      await drop(device);
      expect(await watch.inbox.quiet(300)).toEqual([]);
      expect(await watch.inbox.one(2_000)).toMatchObject({ topic: "will/delayed", payload: "late" });
      expect(Date.now() - dropped).toBeGreaterThanOrEqual(900);
    });

    it("does not send a delayed will when the client reconnects within the delay", async () => {
      const watch = await watcher(5);
      const id = clientId("back");
      const device = await h.connect({ ...persistent(5, id, 30), will: will(1) });
      await drop(device);
      const back = await h.connect(persistent(5, id, 30));
      expect(back.connack.sessionPresent).toBe(true);
      expect(await watch.inbox.quiet(1_300)).toEqual([]);
    });

    it("sends a delayed will when a clean start reconnection ends its session within the delay", async () => {
      const watch = await watcher(5);
      const id = clientId("restart");
      const device = await h.connect({ ...persistent(5, id, 30), will: will(30) });
      await drop(device);
      expect(await watch.inbox.quiet()).toEqual([]);
      const fresh = await h.connect({ protocolVersion: 5, clientId: id, clean: true });
      expect(fresh.connack.sessionPresent).toBe(false);
      expect(await watch.inbox.one(1_000)).toMatchObject({ topic: "will/delayed", payload: "late" });
    });

    it("sends a delayed will when a clean start takeover ends its session", async () => {
      const watch = await watcher(5);
      const id = clientId("clean-takeover");
      const device = await h.connect({ ...persistent(5, id, 30), will: will(30) });
      const closed = clientClosed(device.client);
      const fresh = await h.connect({ protocolVersion: 5, clientId: id, clean: true });
      expect(await closed).toMatchObject({ reasonCode: 0x8e });
      expect(fresh.connack.sessionPresent).toBe(false);
      expect(await watch.inbox.one(1_000)).toMatchObject({ topic: "will/delayed", payload: "late" });
    });

    it("sends a delayed will when the session ends first", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ ...persistent(5, clientId("short"), 1), will: will(30) });
      const dropped = Date.now();
      await drop(device);
      expect(await watch.inbox.one(2_500)).toMatchObject({ topic: "will/delayed" });
      const waited = Date.now() - dropped;
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(2_500);
    });

    it("sends a delayed will at once when the session ends with the connection (expiry 0)", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ protocolVersion: 5, will: will(30) });
      await drop(device);
      expect(await watch.inbox.one(500)).toMatchObject({ topic: "will/delayed" });
    });

    it("drops a delayed will whose session a DISCONNECT ends normally", async () => {
      const watch = await watcher(5);
      const device = await h.connect({ ...persistent(5, clientId("normal"), 1), will: will(1) });
      await device.client.endAsync(false);
      expect(await watch.inbox.quiet(1_300)).toEqual([]);
    });
  });
});

/**
 * Server-sent DISCONNECT and session takeover, at 3.1.1 and 5.0: a second connection with a client id
 * already connected closes the first (MQTT 5: DISCONNECT 0x8E, Session taken over) and carries on its
 * session (session present, subscriptions kept, unacknowledged messages resent); the first connection's
 * will is published on takeover unless it has a Will Delay Interval; `endpoint.stop()` closes every client
 * (MQTT 5: DISCONNECT 0x8B, Server shutting down) and `endpoint.closeConnection()` one (0x98).
 */
import { afterEach, describe, expect, it } from "vitest";
import { clientClosed, clientId, label, persistent, rawClosed, rawPersistent, rawPublish, rawSubscribe, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT takeover and server DISCONNECT", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("closes the first connection of a client id that connects again", async () => {
        h = await startHarness();
        const id = clientId("twice");
        const first = await h.connect({ protocolVersion, clientId: id });
        const closed = clientClosed(first.client);
        const second = await h.connect({ protocolVersion, clientId: id });
        const disconnect = await closed;
        if (protocolVersion === 5) expect(disconnect).toMatchObject({ cmd: "disconnect", reasonCode: 0x8e });
        else expect(disconnect).toBeUndefined();
        // The second one works.
        await second.client.subscribeAsync("after/takeover", { qos: 1 });
        await second.client.publishAsync("after/takeover", "hello", { qos: 1 });
        expect(await second.inbox.one()).toMatchObject({ payload: "hello" });
        expect(h.broker.mqtt.stats().connections).toBe(1);
      });

      it("hands a persistent session over with its subscriptions and unacknowledged messages", async () => {
        h = await startHarness();
        const id = clientId("handover");
        const first = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        await rawSubscribe(first.raw, [{ topic: "handover/#", qos: 1 }]);
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("handover/a", "unacked", { qos: 1 });
        const original = await rawPublish(first.raw);

        const second = await h.connect(persistent(protocolVersion, id));
        expect(second.connack.sessionPresent).toBe(true);
        const disconnect = await rawClosed(first.raw);
        if (protocolVersion === 5) expect(disconnect).toMatchObject({ reasonCode: 0x8e });
        expect(await second.inbox.one()).toMatchObject({ topic: "handover/a", payload: "unacked", dup: true });
        expect(original.dup).toBe(false);
        await publisher.client.publishAsync("handover/b", "next", { qos: 1 });
        expect(await second.inbox.one()).toMatchObject({ topic: "handover/b", payload: "next", dup: false });
      });

      it("publishes the will of the connection taken over", async () => {
        h = await startHarness();
        const watcher = await h.connect({ protocolVersion });
        await watcher.client.subscribeAsync("takeover/will", { qos: 1 });
        const id = clientId("will");
        const first = await h.connect({ protocolVersion, clientId: id, will: { topic: "takeover/will", payload: Buffer.from("replaced"), qos: 1, retain: false } });
        const closed = clientClosed(first.client);
        await h.connect({ protocolVersion, clientId: id });
        await closed;
        expect(await watcher.inbox.one()).toMatchObject({ topic: "takeover/will", payload: "replaced" });
      });

      it("closes every client when the endpoint stops", async () => {
        h = await startHarness();
        const client = await h.connect({ protocolVersion });
        const { raw } = await h.rawConnected(protocolVersion);
        const closed = clientClosed(client.client);
        const rawDone = rawClosed(raw);
        await h.broker.endpoint.stop();
        const [disconnect, rawDisconnect] = await Promise.all([closed, rawDone]);
        if (protocolVersion === 5) {
          expect(disconnect).toMatchObject({ cmd: "disconnect", reasonCode: 0x8b });
          expect(rawDisconnect).toMatchObject({ cmd: "disconnect", reasonCode: 0x8b });
        } else {
          expect(disconnect).toBeUndefined();
          expect(rawDisconnect).toBeUndefined();
        }
      });
    });
  }

  it("sends DISCONNECT 0x98 (administrative action) for endpoint.closeConnection (MQTT 5.0)", async () => {
    h = await startHarness();
    const id = clientId("admin");
    const client = await h.connect({ protocolVersion: 5, clientId: id });
    const info = h.broker.endpoint.connections().find((c) => c.socketId === id);
    expect(info).toMatchObject({ transport: "mqtt", socketId: id });
    const closed = clientClosed(client.client);
    expect(h.broker.endpoint.closeConnection(info!.pid)).toBe(true);
    expect(await closed).toMatchObject({ cmd: "disconnect", reasonCode: 0x98 });
  });

  it("does not publish a delayed will on takeover (MQTT 5.0)", async () => {
    h = await startHarness();
    const watcher = await h.connect({ protocolVersion: 5 });
    await watcher.client.subscribeAsync("takeover/delayed", { qos: 1 });
    const id = clientId("delayed");
    const first = await h.connect({
      ...persistent(5, id, 30),
      will: { topic: "takeover/delayed", payload: Buffer.from("x"), qos: 1, retain: false, properties: { willDelayInterval: 1 } },
    });
    const closed = clientClosed(first.client);
    const second = await h.connect(persistent(5, id, 30));
    expect(await closed).toMatchObject({ reasonCode: 0x8e });
    expect(second.connack.sessionPresent).toBe(true);
    expect(await watcher.inbox.quiet(1_200)).toEqual([]);
  });
});

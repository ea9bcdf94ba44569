/**
 * The `authenticate` and `authorize` options, at 3.1.1 and 5.0: a refused CONNECT gets CONNACK 0x86 (bad user
 * name or password, when a user name was given) or 0x87 (not authorized) — 3.1.1 return codes 4 and 5 — and
 * the connection closes; `authenticate` sees the client id, user name, protocol level and password, and may
 * be async. `authorize.subscribe` refuses a filter with SUBACK 0x87 (5.0) / 0x80 (3.1.1) while the other
 * filters of the SUBSCRIBE are granted; `authorize.publish` drops the message (PUBACK 0x87 on 5.0).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { MqttClientInfo } from "../../src/mqtt/index.js";
import { label, rawClosed, rawCollect, rawSubscribe, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT authenticate and authorize", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("refuses a CONNECT that authenticate refuses, with the code the credentials call for", async () => {
        const seen: Array<{ client: MqttClientInfo; password: string | undefined }> = [];
        h = await startHarness({
          authenticate: async (client, password) => {
            seen.push({ client, password: password?.toString() });
            await new Promise((resolve) => setTimeout(resolve, 5));
            return client.username === "alice" && password?.toString() === "secret";
          },
        });
        const ok = await h.connect({ protocolVersion, clientId: "dev-1", username: "alice", password: "secret" });
        expect(ok.client.connected).toBe(true);
        expect(seen[0]).toMatchObject({ client: { clientId: "dev-1", username: "alice", protocolVersion, transport: "mqtt" }, password: "secret" });

        const badPassword = await h.rawConnected(protocolVersion, { username: "alice", password: Buffer.from("wrong") });
        if (protocolVersion === 5) expect(badPassword.connack).toMatchObject({ reasonCode: 0x86, sessionPresent: false });
        else expect(badPassword.connack).toMatchObject({ returnCode: 4, sessionPresent: false });
        await rawClosed(badPassword.raw);

        const anonymous = await h.rawConnected(protocolVersion);
        if (protocolVersion === 5) expect(anonymous.connack).toMatchObject({ reasonCode: 0x87 });
        else expect(anonymous.connack).toMatchObject({ returnCode: 5 });
        await rawClosed(anonymous.raw);

        // MQTT.js reports the refusal with its code.
        await expect(h.connect({ protocolVersion, username: "mallory", password: "guess" })).rejects.toMatchObject({ code: protocolVersion === 5 ? 0x86 : 4 });
      });

      it("refuses a CONNECT when authenticate throws", async () => {
        h = await startHarness({
          authenticate: () => {
            throw new Error("directory down");
          },
        });
        const { raw, connack } = await h.rawConnected(protocolVersion);
        expect(connack).toMatchObject(protocolVersion === 5 ? { reasonCode: 0x87 } : { returnCode: 5 });
        await rawClosed(raw);
      });

      it("refuses the SUBSCRIBE filters authorize.subscribe refuses, granting the others", async () => {
        h = await startHarness({ authorize: { subscribe: (client, filter) => !filter.startsWith("secret/") || client.username === "admin" } });
        // MQTT.js rejects a SUBACK with a failure code: the raw client reads the codes.
        const user = await h.rawConnected(protocolVersion, { username: "user" });
        const suback = await rawSubscribe(user.raw, [
          { topic: "public/#", qos: 1 },
          { topic: "secret/#", qos: 1 },
          { topic: "other/x", qos: 0 },
        ]);
        expect(suback.granted).toEqual([1, protocolVersion === 5 ? 0x87 : 0x80, 0]);
        const admin = await h.connect({ protocolVersion, username: "admin" });
        expect((await admin.client.subscribeAsync("secret/#", { qos: 1 }))[0]!.qos).toBe(1);
        await admin.client.publishAsync("secret/plans", "x", { qos: 1 });
        expect(await admin.inbox.one()).toMatchObject({ topic: "secret/plans" });
        // Only the granted filter delivers (its SUBACK was positive): nothing for secret/plans.
        expect(await rawCollect(user.raw, "publish")).toEqual([]);
      });

      it("drops the PUBLISHes authorize.publish refuses", async () => {
        h = await startHarness({ authorize: { publish: (_client, topic) => !topic.startsWith("readonly/") } });
        const subscriber = await h.connect({ protocolVersion });
        await subscriber.client.subscribeAsync("#", { qos: 1 });
        const { raw } = await h.rawConnected(protocolVersion);
        raw.send({ cmd: "publish", topic: "readonly/x", payload: Buffer.from("no"), qos: 1, messageId: 1, retain: true, dup: false });
        const puback = await raw.next("puback");
        expect(puback).toMatchObject({ messageId: 1 });
        if (protocolVersion === 5) expect(puback).toMatchObject({ reasonCode: 0x87 });
        raw.send({ cmd: "publish", topic: "readonly/x", payload: Buffer.from("no"), qos: 2, messageId: 2, retain: false, dup: false });
        const pubrec = await raw.next("pubrec");
        if (protocolVersion === 5) expect(pubrec).toMatchObject({ messageId: 2, reasonCode: 0x87 });
        raw.send({ cmd: "publish", topic: "open/x", payload: Buffer.from("yes"), qos: 1, messageId: 3, retain: false, dup: false });
        expect(await raw.next("puback")).toMatchObject({ messageId: 3 });
        expect(await subscriber.inbox.one()).toMatchObject({ topic: "open/x", payload: "yes" });
        expect(await subscriber.inbox.quiet()).toEqual([]);
        expect(h.broker.mqtt.stats().retained).toBe(0);
        expect(raw.closed).toBe(false);
      });
    });
  }
});

// A crash storm on one topic, with real sockets: half the channels of a shared topic crash at once while
// broadcasts keep coming. A channel process is its own subscription record in the PubSub and its
// connection's record of the topic, so this checks what that must keep true: the crashed ones get
// phx_error and are gone from the topic (no frame reaches them, none is lost for the others), every
// survivor gets every broadcast in order, the crashed clients rejoin and are served again, and once
// everyone leaves no process, subscription or channel is left behind.
import { afterEach, describe, expect, it } from "vitest";
import { closeRawResources, RawClient } from "../../support/raw-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

const TOPIC = "echo:storm";
const CLIENTS = 24;
const BROADCASTS = 60;

type V2 = [string | null, string | null, string, string, Record<string, unknown>];

/** Reads frames until one matches, keeping the others in `seen`. */
async function until(client: RawClient, matches: (f: V2) => boolean, seen: V2[] = []): Promise<V2> {
  for (;;) {
    const frame = JSON.parse(await client.nextText()) as V2;
    if (matches(frame)) return frame;
    seen.push(frame);
  }
}

async function joinShared(client: RawClient, joinRef: string): Promise<void> {
  client.send([joinRef, joinRef, TOPIC, "phx_join", {}]);
  const reply = await until(client, (f) => f[3] === "phx_reply" && f[1] === joinRef);
  expect(reply[4]).toMatchObject({ status: "ok" });
}

let server: TestEndpoint | null = null;

afterEach(async () => {
  await closeRawResources();
  await server?.stop();
  server = null;
});

describe("a crash storm on a shared topic", () => {
  it("drops exactly the crashed channels from the topic and loses nothing for the others", async () => {
    server = await startTestEndpoint();
    const { endpoint } = server;
    const baseline = endpoint.runtime.processCount;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(server!.websocketUrl)));
    await Promise.all(clients.map((client) => joinShared(client, "1")));
    expect(endpoint.pubsub.subscriberCount(TOPIC)).toBe(CLIENTS);

    const crashing = clients.filter((_, i) => i % 2 === 0);
    const surviving = clients.filter((_, i) => i % 2 === 1);
    // The crashes and the broadcasts interleave: every crash push goes out, then the broadcasts follow
    // from the server side in bursts while the crashes are being handled.
    for (const client of crashing) client.send(["1", "2", TOPIC, "crash", {}]);
    for (let n = 0; n < BROADCASTS; n++) {
      endpoint.broadcast(TOPIC, "tick", { n });
      if (n % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }

    for (const client of crashing) {
      const error = await until(client, (f) => f[3] === "phx_error");
      expect(error.slice(0, 3)).toEqual(["1", "1", TOPIC]);
    }
    for (const client of surviving) {
      const ticks: number[] = [];
      while (ticks.length < BROADCASTS) {
        const frame = await until(client, (f) => f[3] === "tick");
        ticks.push(frame[4].n as number);
      }
      expect(ticks).toEqual(Array.from({ length: BROADCASTS }, (_, n) => n));
    }
    // Nothing reaches a crashed channel's client after its phx_error (its subscription went with it).
    await Promise.all(crashing.map((client) => client.expectSilence()));
    expect(endpoint.pubsub.subscriberCount(TOPIC)).toBe(surviving.length);
    const topics = endpoint.connections().map((info) => info.channels.map((channel) => channel.topic));
    expect(topics).toHaveLength(CLIENTS);
    expect(topics.filter((joined) => joined.length === 1 && joined[0] === TOPIC)).toHaveLength(surviving.length);
    expect(topics.filter((joined) => joined.length === 0)).toHaveLength(crashing.length);

    // A crashed channel's clients are served again after a rejoin, in the same stream as the others.
    await Promise.all(crashing.map((client) => joinShared(client, "3")));
    expect(endpoint.pubsub.subscriberCount(TOPIC)).toBe(CLIENTS);
    endpoint.broadcast(TOPIC, "tick", { n: BROADCASTS });
    for (const client of clients) {
      const frame = await until(client, (f) => f[3] === "tick" && f[4].n === BROADCASTS);
      expect(frame.slice(0, 3)).toEqual([null, null, TOPIC]);
    }

    // Everyone leaves: no subscription, channel or process is left behind.
    for (const client of clients) await client.close();
    await expect.poll(() => endpoint.runtime.processCount, { timeout: 3_000 }).toBe(baseline);
    expect(endpoint.pubsub.subscriberCount(TOPIC)).toBe(0);
    expect(endpoint.connections()).toEqual([]);
  });
});

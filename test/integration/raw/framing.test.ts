// How frames leave the server: built by Fenix itself (not by ws's sender), so every length encoding is
// checked through a real client — 7-bit, 16-bit and 64-bit lengths at their edges, multi-byte text, binary
// frames — and frames written in one turn (a burst of broadcasts) arrive whole and in order.
import { afterEach, describe, expect, it } from "vitest";
import { decodeServerFrame, encodeClientPush } from "../../../src/protocol/index.js";
import { closeRawResources, joinEcho, RawClient, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

/** The text frame of an `echo:f` broadcast `big` whose body makes the whole frame `length` UTF-8 bytes. */
function broadcastOfLength(length: number, fill = "x"): { payload: { body: string }; text: string } {
  const empty = `[null,null,"echo:f","big",{"body":""}]`;
  const fillBytes = Buffer.byteLength(fill, "utf8");
  const body = fill.repeat(Math.floor((length - empty.length) / fillBytes)) + "y".repeat((length - empty.length) % fillBytes);
  const text = `[null,null,"echo:f","big",{"body":"${body}"}]`;
  expect(Buffer.byteLength(text, "utf8")).toBe(length);
  return { payload: { body }, text };
}

describe("server framing", () => {
  it("encodes every payload length at the edges of the 7-, 16- and 64-bit length forms", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:f", "1");
    for (const length of [40, 125, 126, 127, 65_535, 65_536, 65_537, 200_000]) {
      const { payload, text } = broadcastOfLength(length);
      server.endpoint.broadcast("echo:f", "big", payload);
      expect(await client.nextText(), `frame of ${length} bytes`).toBe(text);
    }
  });

  it("counts UTF-8 bytes, not characters, in the frame length", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:f", "1");
    for (const length of [126, 65_536]) {
      const { payload, text } = broadcastOfLength(length, "é");
      server.endpoint.broadcast("echo:f", "big", payload);
      expect(await client.nextText()).toBe(text);
    }
    client.send(`["1","2","echo:f","ping",{"s":"ünïcödé ✓ 🚀"}]`);
    expect(await client.nextText()).toBe(`["1","2","echo:f","phx_reply",{"status":"ok","response":{"s":"ünïcödé ✓ 🚀"}}]`);
  });

  it("sends binary replies, pushes and broadcasts as binary frames", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:f", "1");
    client.sendBinary(encodeClientPush({ joinRef: "1", ref: "2", topic: "echo:f", event: "binary", payload: new Uint8Array(70_000).fill(7) }));
    const events: string[] = [];
    for (let i = 0; i < 3; i++) {
      const frame = await client.next();
      if (frame.kind !== "binary") throw new Error("expected a binary frame");
      const decoded = decodeServerFrame(frame.bytes) as { event?: string; payload: Uint8Array };
      events.push(decoded.event ?? "reply");
      expect(decoded.payload.byteLength).toBe(70_000);
      expect(decoded.payload.every((b) => b === 7)).toBe(true);
    }
    expect(events.sort()).toEqual(["binary_broadcast", "binary_push", "reply"]);
  });

  it("delivers a burst of broadcasts made in one turn whole and in order", async () => {
    const server = await serveRaw();
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(server.websocketUrl)));
    for (const client of clients) await joinEcho(client, "echo:f", "1");
    for (let i = 0; i < 500; i++) server.endpoint.broadcast("echo:f", "n", { i, pad: "z".repeat(i % 300) });
    for (const client of clients) {
      for (let i = 0; i < 500; i++) {
        expect(await client.nextText()).toBe(`[null,null,"echo:f","n",{"i":${i},"pad":"${"z".repeat(i % 300)}"}]`);
      }
    }
  });
});

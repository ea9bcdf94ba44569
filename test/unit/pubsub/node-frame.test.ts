/**
 * The node frame: its exact layout, round trips of JSON values with bytes anywhere, messages JSON cannot
 * carry refused before anything is delivered, and frames this build cannot read reported, not thrown.
 */
import { describe, expect, it } from "vitest";
import { PubSub, PubSubErrorCode, Runtime } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus, type AdapterHost, type PubSubAdapter } from "../../../src/pubsub/index.js";
import { decodeNodeFrameHeader, decodeNodeMessage, encodeNodeFrame } from "../../../src/pubsub/node-frame.js";
import { Inbox } from "../../../src/testing/adapter.js";

const roundTrip = (message: unknown): unknown => {
  const frame = encodeNodeFrame("room:1", "default", message);
  const header = decodeNodeFrameHeader(frame);
  expect(header).toMatchObject({ topic: "room:1", dispatcher: "default" });
  return decodeNodeMessage(frame, header);
};

describe("node frame layout", () => {
  it("writes version, flags, dispatcher, topic and JSON exactly as documented", () => {
    const frame = encodeNodeFrame("t:é", "fastlane", { a: 1 });
    expect([...frame]).toEqual([
      1, 0, 8, ...Buffer.from("fastlane"),
      0, 0, 0, 4, ...Buffer.from("t:é"),
      ...Buffer.from('{"a":1}'),
    ]);
  });

  it("carries bytes beside the JSON, with their paths", () => {
    const frame = encodeNodeFrame("t", "default", { p: new Uint8Array([7, 8]) });
    const json = '{"p":null}';
    const paths = '[["p"]]';
    expect([...frame]).toEqual([
      1, 1, 7, ...Buffer.from("default"),
      0, 0, 0, 1, ...Buffer.from("t"),
      0, 0, 0, json.length, ...Buffer.from(json),
      0, 0, 0, paths.length, ...Buffer.from(paths),
      0, 0, 0, 2, 7, 8,
    ]);
  });
});

describe("node frame round trips", () => {
  const bytes = new Uint8Array([0, 255, 10]);
  it.each([
    ["an object", { name: "alice", n: 1.5, ok: false, none: null, list: [1, [2, [3]]] }],
    ["a string with every kind of character", "é ✓ 😀 \u0000 \\ \" \n"],
    ["a number", -12.25],
    ["null", null],
    ["an array", [1, "two", { three: 3 }]],
    ["bytes as the message", bytes],
    ["bytes in an object", { topic: "t", event: "e", payload: bytes }],
    ["bytes in arrays and nested objects", [bytes, { a: { b: [null, bytes] } }]],
    ["empty bytes", { empty: new Uint8Array(0) }],
    ["an object whose keys look like indexes", { "0": bytes, "1": "x" }],
  ])("%s", (_name, message) => {
    expect(roundTrip(message)).toEqual(message);
  });

  it("turns a Buffer into a Uint8Array of the same bytes, and a subarray into just its bytes", () => {
    const big = new Uint8Array([1, 2, 3, 4, 5]);
    const decoded = roundTrip({ buf: Buffer.from([9, 9]), view: big.subarray(1, 3) }) as { buf: Uint8Array; view: Uint8Array };
    expect(decoded.buf).toBeInstanceOf(Uint8Array);
    expect([...decoded.buf]).toEqual([9, 9]);
    expect([...decoded.view]).toEqual([2, 3]);
  });

  it("follows JSON where JSON is well defined (toJSON, undefined properties)", () => {
    const at = new Date(0);
    expect(roundTrip({ at, gone: undefined, list: [undefined] })).toEqual({ at: at.toJSON(), list: [null] });
  });
});

describe("messages JSON cannot carry", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  it.each([
    ["a Map", { m: new Map() }],
    ["a Set", [new Set([1])]],
    ["a function", { f: () => 1 }],
    ["a bigint", { n: 1n }],
    ["a symbol", Symbol("s")],
    ["a Float32Array", { f: new Float32Array(2) }],
    ["an ArrayBuffer", new ArrayBuffer(2)],
    ["undefined", undefined],
    ["a cycle", cyclic],
  ])("refuses %s with FENIX_ERR_PUBSUB_BAD_MESSAGE", (_name, message) => {
    expect(() => encodeNodeFrame("t", "default", message)).toThrow(expect.objectContaining({ code: PubSubErrorCode.BAD_MESSAGE }));
  });

  it("refuses it in broadcast before any subscriber, local or remote, gets it", async () => {
    const bus = new MemoryBus();
    const a = new PubSub({ runtime: new Runtime({ node: "a" }), adapter: new MemoryAdapter(bus) });
    const b = new PubSub({ runtime: new Runtime({ node: "b" }), adapter: new MemoryAdapter(bus) });
    await Promise.all([a.start(), b.start()]);
    const local = new Inbox(a.runtime);
    const remote = new Inbox(b.runtime);
    a.subscribe("t", local.pid);
    b.subscribe("t", remote.pid);
    expect(() => a.broadcast("t", { m: new Map() })).toThrow(expect.objectContaining({ code: PubSubErrorCode.BAD_MESSAGE }));
    expect(() => a.directBroadcast("b", "t", { m: new Map() })).toThrow(expect.objectContaining({ code: PubSubErrorCode.BAD_MESSAGE }));
    a.broadcast("t", "next");
    expect(await local.waitFor(1)).toEqual(["next"]);
    expect(await remote.waitFor(1)).toEqual(["next"]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it("is not checked on a PubSub without an adapter (nothing is encoded there)", async () => {
    const pubsub = new PubSub({ runtime: new Runtime({ node: "solo" }) });
    await pubsub.start();
    const inbox = new Inbox(pubsub.runtime);
    pubsub.subscribe("t", inbox.pid);
    const message = { m: new Map([[1, 2]]) };
    pubsub.broadcast("t", message);
    expect(await inbox.waitFor(1)).toEqual([message]);
    expect(pubsub.status).toBe("local");
    await pubsub.stop();
  });
});

describe("frames from other nodes", () => {
  /** A PubSub on a hand-driven adapter: the test plays the other node. */
  async function node() {
    let host: AdapterHost | null = null;
    const adapter: PubSubAdapter = {
      start: (h) => {
        host = h;
      },
      stop: () => {},
      broadcast: () => {},
      directBroadcast: () => {},
      nodes: () => ["n", "other"],
    };
    const errors: Error[] = [];
    const pubsub = new PubSub({ runtime: new Runtime({ node: "n" }), adapter, onError: (e) => errors.push(e) });
    await pubsub.start();
    const inbox = new Inbox(pubsub.runtime);
    pubsub.subscribe("t", inbox.pid);
    return { pubsub, inbox, errors, deliver: (frame: Uint8Array) => host!.deliver(frame) };
  }

  it("reports a frame of another version or a cut-short frame as FENIX_ERR_PUBSUB_BAD_FRAME and goes on", async () => {
    const { pubsub, inbox, errors, deliver } = await node();
    const good = encodeNodeFrame("t", "default", "ok");
    const otherVersion = Buffer.from(good);
    otherVersion[0] = 2;
    deliver(otherVersion);
    deliver(good.subarray(0, 5));
    deliver(Buffer.concat([encodeNodeFrame("t", "default", "x").subarray(0, -1), Buffer.from("}")]));
    deliver(good);
    expect(await inbox.waitFor(1)).toEqual(["ok"]);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([PubSubErrorCode.BAD_FRAME, PubSubErrorCode.BAD_FRAME, PubSubErrorCode.BAD_FRAME]);
    expect(errors[0]!.message).toMatch(/version 2.*same Fenix version/);
    await pubsub.stop();
  });

  it("does not decode the message of a topic nobody here subscribes to", async () => {
    const { pubsub, errors, deliver } = await node();
    const frame = encodeNodeFrame("elsewhere", "default", { a: 1 });
    deliver(frame.subarray(0, frame.length - 2));
    expect(errors).toEqual([]);
    await pubsub.stop();
  });

  it("reports a frame naming a dispatcher this node does not have", async () => {
    const { pubsub, inbox, errors, deliver } = await node();
    deliver(encodeNodeFrame("t", "custom", "x"));
    deliver(encodeNodeFrame("t", "default", "y"));
    expect(await inbox.waitFor(1)).toEqual(["y"]);
    expect(errors).toEqual([expect.objectContaining({ code: PubSubErrorCode.UNKNOWN_DISPATCHER })]);
    await pubsub.stop();
  });
});

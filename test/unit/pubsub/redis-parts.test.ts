/**
 * The pure parts of the Redis adapter: the envelope's exact bytes, the peer table's membership and
 * sequence-gap accounting (wrap-around included), the reconnect backoff, and its option checks.
 */
import { describe, expect, it } from "vitest";
import { PubSubErrorCode } from "../../../src/index.js";
import { RedisAdapter } from "../../../src/pubsub/redis/index.js";
import { backoffDelay } from "../../../src/pubsub/backoff.js";
import { EnvelopeKind, EnvelopeWriter, readEnvelope, readFrames, type Envelope } from "../../../src/pubsub/redis/envelope.js";
import { PeerTable } from "../../../src/pubsub/redis/peer-table.js";

const INSTANCE = Buffer.from("0102030405060708", "hex");

describe("envelope", () => {
  it("writes version, kind, instance, sequence, node and the frames exactly as documented", () => {
    const writer = new EnvelopeWriter("nöde", INSTANCE);
    const bytes = writer.write(EnvelopeKind.DIRECT, 0x01020304, [new Uint8Array([9, 8]), new Uint8Array([7])]);
    expect([...bytes]).toEqual([1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, ...Buffer.from("nöde"), 0, 0, 0, 2, 9, 8, 0, 0, 0, 1, 7]);
    const envelope = readEnvelope(bytes)!;
    expect({ ...envelope, body: [...envelope.body] }).toMatchObject({ kind: EnvelopeKind.DIRECT, instance: "0102030405060708", sequence: 0x01020304, node: "nöde" });
    expect(readFrames(envelope.body)!.map((f) => [...f])).toEqual([[9, 8], [7]]);
  });

  it.each([
    ["no frame at all", []],
    ["a length cut short", [0, 0, 1]],
    ["a frame shorter than its length", [0, 0, 0, 3, 1, 2]],
    ["a good frame then garbage", [0, 0, 0, 1, 5, 9]],
  ])("reads %s as no frames", (_name, body) => {
    expect(readFrames(new Uint8Array(body))).toBeNull();
  });

  it("reuses its header for every kind and writes sequences modulo 2^32", () => {
    const writer = new EnvelopeWriter("n", INSTANCE);
    const heartbeat = readEnvelope(writer.write(EnvelopeKind.HEARTBEAT, 2 ** 32 + 5))!;
    expect(heartbeat).toMatchObject({ kind: EnvelopeKind.HEARTBEAT, sequence: 5, node: "n" });
    expect(heartbeat.body.byteLength).toBe(0);
    expect(readEnvelope(writer.write(EnvelopeKind.BROADCAST, 1))!.kind).toBe(EnvelopeKind.BROADCAST);
  });

  it.each([
    ["too short", Buffer.from([1, 0, 1])],
    ["another version", Buffer.from([2, 0, ...INSTANCE, 0, 0, 0, 1, 0])],
    ["an unknown kind", Buffer.from([1, 9, ...INSTANCE, 0, 0, 0, 1, 0])],
    ["a node name cut short", Buffer.from([1, 0, ...INSTANCE, 0, 0, 0, 1, 5, 65])],
    ["text", Buffer.from("hello, this is not an envelope")],
  ])("reads %s as no envelope", (_name, data) => {
    expect(readEnvelope(data)).toBeNull();
  });
});

describe("PeerTable", () => {
  const from = (instance: string, node: string, kind: Envelope["kind"], sequence: number): Envelope => ({ instance, node, kind, sequence, body: new Uint8Array(0) });
  const { BROADCAST, DIRECT, HEARTBEAT, GOODBYE } = EnvelopeKind;

  it("counts the frames missing between two of a sender's bus numbers, and trailing ones at its heartbeat", () => {
    const peers = new PeerTable("me", 500);
    expect(peers.saw(from("i1", "b", BROADCAST, 7), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", BROADCAST, 8), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", BROADCAST, 11), 0).lost).toBe(2);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 11), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 14), 0).lost).toBe(3);
    expect(peers.saw(from("i1", "b", BROADCAST, 15), 0).lost).toBe(0);
  });

  it("numbers the frames of a batch from its first frame's number", () => {
    const peers = new PeerTable("me", 500);
    expect(peers.saw(from("i1", "b", BROADCAST, 1), 0, 3).lost).toBe(0);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 3), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", BROADCAST, 4), 0, 2).lost).toBe(0);
    expect(peers.saw(from("i1", "b", BROADCAST, 9), 0, 1).lost).toBe(3);
    expect(peers.saw(from("i1", "b", DIRECT, 1), 0, 5).lost).toBe(0);
    expect(peers.saw(from("i1", "b", DIRECT, 6), 0, 1).lost).toBe(0);
  });

  it("keeps direct numbers apart from bus numbers, and each sender apart", () => {
    const peers = new PeerTable("me", 500);
    peers.saw(from("i1", "b", BROADCAST, 1), 0);
    expect(peers.saw(from("i1", "b", DIRECT, 1), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", DIRECT, 4), 0).lost).toBe(2);
    expect(peers.saw(from("i2", "c", BROADCAST, 40), 0).lost).toBe(0);
    expect(peers.saw(from("i1", "b", BROADCAST, 2), 0).lost).toBe(0);
  });

  it("counts across the 2^32 wrap and ignores a number that went backwards", () => {
    const peers = new PeerTable("me", 500);
    peers.saw(from("i1", "b", BROADCAST, 0xfffffffe), 0);
    expect(peers.saw(from("i1", "b", BROADCAST, 1), 0).lost).toBe(2);
    expect(peers.saw(from("i1", "b", BROADCAST, 0), 0).lost).toBe(0);
  });

  it("lists nodes heard within the timeout once each, forgets silent ones, and a goodbye at once", () => {
    const peers = new PeerTable("me", 500);
    peers.saw(from("i1", "b", HEARTBEAT, 0), 0);
    peers.saw(from("i2", "c", HEARTBEAT, 0), 300);
    peers.saw(from("i3", "c", HEARTBEAT, 0), 400);
    expect(peers.nodes(450).sort()).toEqual(["b", "c"]);
    expect(peers.nodes(600)).toEqual(["c"]);
    expect(peers.prune(600)).toEqual(["b"]);
    peers.saw(from("i2", "c", GOODBYE, 0), 610);
    expect(peers.nodes(620)).toEqual(["c"]);
    peers.saw(from("i3", "c", GOODBYE, 0), 630);
    expect(peers.nodes(640)).toEqual([]);
  });

  it("gives every sender a fresh timeout after this node's own outage, and still counts what it missed", () => {
    const peers = new PeerTable("me", 500);
    peers.saw(from("i1", "b", BROADCAST, 3), 0);
    peers.refresh(10_000);
    expect(peers.prune(10_400)).toEqual([]);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 9), 10_450).lost).toBe(6);
  });

  it("marks the first envelope of each instance as a newcomer's", () => {
    const peers = new PeerTable("me", 500);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 0), 0).newcomer).toBe(true);
    expect(peers.saw(from("i1", "b", HEARTBEAT, 0), 10).newcomer).toBe(false);
    expect(peers.saw(from("i2", "b", BROADCAST, 4), 20).newcomer).toBe(true);
    expect(peers.saw(from("i3", "c", GOODBYE, 0), 30).newcomer).toBe(false);
  });

  it("flags a sender that uses this node's own name", () => {
    const peers = new PeerTable("me", 500);
    expect(peers.saw(from("other", "me", HEARTBEAT, 0), 0).duplicateName).toBe(true);
    expect(peers.nodes(0)).toEqual([]);
  });
});

describe("backoffDelay", () => {
  it("doubles from minMs to maxMs, drawn from the upper half of each step", () => {
    const low = () => 0;
    const high = () => 1;
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, { minMs: 100, maxMs: 1_000 }, low))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, { minMs: 100, maxMs: 1_000 }, high))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(1_000_000)).toBeLessThanOrEqual(5_000);
  });
});

describe("RedisAdapter options", () => {
  it.each([
    [{ heartbeatMs: 0 }, /heartbeatMs must be a positive number/],
    [{ heartbeatMs: 1_000, nodeTimeoutMs: 1_500 }, /nodeTimeoutMs \(1500\) must be at least twice heartbeatMs/],
    [{ prefix: "" }, /prefix must be a non-empty string/],
    [{ connectTimeoutMs: -1 }, /connectTimeoutMs/],
    [{ maxPendingPublishes: Number.NaN }, /maxPendingPublishes/],
    [{ url: "http://cache:6379" }, /url must look like redis:\/\/host:port/],
    [{ url: "redis://user:secret@ cache" }, /url must look like.*got "redis:\/\/…@ cache"/],
  ])("refuses %o at once", (options, message) => {
    expect(() => new RedisAdapter(options)).toThrow(expect.objectContaining({ code: PubSubErrorCode.ADAPTER_FAILED, message: expect.stringMatching(message) }));
  });

  it("names where it connects without the credentials", () => {
    expect(new RedisAdapter({ url: "redis://user:secret@cache.internal:6380/2" }).target).toBe("redis://cache.internal:6380/2");
    expect(new RedisAdapter({ client: { socket: { path: "/run/redis.sock" } } as never }).target).toBe("unix:/run/redis.sock");
    expect(new RedisAdapter().target).toBe("redis://127.0.0.1:6379");
  });
});

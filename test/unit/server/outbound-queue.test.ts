// The held-back queue of a slow client's connection: frames wait in order while the transport is
// congested, keepLatest frames replace older ones of the same topic and event, dropOldest frames make room
// oldest first, replies and undroppable frames are never dropped (past the budget the owner must close),
// and a drain writes what is left in order until the transport is congested again. The transport here is
// a recording stand-in; the queue is the unit under test (the policies over real sockets are tested in
// test/integration/limits/slow-consumer-policies.test.ts).
import { describe, expect, it } from "vitest";
import type { SlowConsumerPolicy } from "../../../src/server/channel/channel-route.js";
import { OutboundQueue, type DroppingPolicy, type OutboundOwner, type OutboundTransport } from "../../../src/server/socket/outbound-queue.js";
import type { Frame } from "../../../src/protocol/serializer.js";

class RecordingTransport implements OutboundTransport {
  readonly written: string[] = [];
  bufferedBytes = 0;
  congested = false;
  /** Congested again after this many writes (for drain tests); Infinity: never by itself. */
  congestAfter = Number.POSITIVE_INFINITY;

  send(frame: Frame): void {
    this.#record(typeof frame === "string" ? frame : `bin:${Buffer.from(frame).toString()}`);
  }

  sendEncoded(data: Uint8Array, binary: boolean): void {
    this.#record(`${binary ? "bin" : "enc"}:${Buffer.from(data).toString()}`);
  }

  #record(text: string): void {
    this.written.push(text);
    if (--this.congestAfter <= 0) this.congested = true;
  }
}

class Owner implements OutboundOwner {
  readonly drops: Array<{ topic: string; event: string; policy: DroppingPolicy; bytes: number }> = [];
  readonly overs: number[] = [];
  constructor(readonly policies: Record<string, SlowConsumerPolicy>) {}

  policyOf(topic: string): SlowConsumerPolicy {
    return this.policies[topic] ?? "disconnect";
  }

  dropped(topic: string, event: string, policy: DroppingPolicy, bytes: number): void {
    this.drops.push({ topic, event, policy, bytes });
  }

  overBudget(buffered: number): void {
    this.overs.push(buffered);
  }
}

function setup(budget: number, policies: Record<string, SlowConsumerPolicy>) {
  const transport = new RecordingTransport();
  const owner = new Owner(policies);
  return { transport, owner, queue: new OutboundQueue(transport, budget, owner) };
}

/** A 10-byte frame naming itself. */
const f = (name: string) => name.padEnd(10, ".");

describe("OutboundQueue", () => {
  it("writes straight through while the transport is not congested", () => {
    const { transport, queue } = setup(100, { chat: "dropOldest" });
    queue.send(f("a"), "chat", "msg");
    queue.sendEncoded(Buffer.from(f("b")), false, "chat", "msg");
    queue.sendEncoded(Buffer.from(f("c")), true, null, null);
    expect(transport.written).toEqual([f("a"), `enc:${f("b")}`, `bin:${f("c")}`]);
    expect(queue.heldBytes).toBe(0);
  });

  it("holds frames in order while congested, and keeps holding behind the first held frame", () => {
    const { transport, queue } = setup(1_000, { chat: "dropOldest" });
    transport.congested = true;
    queue.send(f("1"), "chat", "msg");
    transport.congested = false;
    // Not congested any more, but frame 1 waits: frame 2 must not overtake it.
    queue.send(f("2"), null, null);
    expect(transport.written).toEqual([]);
    expect(queue.heldBytes).toBe(20);
    expect(queue.heldFrames).toBe(2);
    queue.drained();
    expect(transport.written).toEqual([f("1"), f("2")]);
    expect(queue.heldBytes).toBe(0);
    queue.send(f("3"), "chat", "msg");
    expect(transport.written).toEqual([f("1"), f("2"), f("3")]);
  });

  it("drops the oldest dropOldest frames past the budget, never replies or disconnect-policy pushes", () => {
    const { transport, owner, queue } = setup(50, { chat: "dropOldest", strict: "disconnect" });
    transport.congested = true;
    transport.bufferedBytes = 10;
    queue.send(f("c1"), "chat", "msg");
    queue.send(f("reply1"), null, null);
    queue.send(f("c2"), "chat", "msg");
    queue.send(f("s1"), "strict", "msg");
    expect(owner.drops).toEqual([]);
    // 10 in the transport + 40 held = 50: at the budget. One more frame passes it: c1 goes.
    queue.send(f("c3"), "chat", "msg");
    expect(owner.drops).toEqual([{ topic: "chat", event: "msg", policy: "dropOldest", bytes: 10 }]);
    queue.send(f("c4"), "chat", "msg");
    expect(owner.drops.length).toBe(2);
    expect(owner.overs).toEqual([]);
    transport.congested = false;
    queue.drained();
    expect(transport.written).toEqual([f("reply1"), f("s1"), f("c3"), f("c4")]);
  });

  it("tells its owner when only undroppable frames are left past the budget", () => {
    const { transport, owner, queue } = setup(30, { chat: "dropOldest" });
    transport.congested = true;
    queue.send(f("c1"), "chat", "msg");
    queue.send(f("r1"), null, null);
    queue.send(f("s1"), "strict", "msg");
    expect(owner.overs).toEqual([]);
    queue.send(f("r2"), null, null);
    expect(owner.drops.map((d) => d.bytes)).toEqual([10]);
    expect(owner.overs).toEqual([]);
    queue.send(f("r3"), null, null);
    expect(owner.overs).toEqual([40]);
  });

  it("keeps only the latest frame of each keepLatest topic and event while held, in the order of the latest", () => {
    const { transport, owner, queue } = setup(10_000, { feed: "keepLatest" });
    transport.congested = true;
    queue.send(f("cpu1"), "feed", "cpu");
    queue.send(f("mem1"), "feed", "mem");
    queue.send(f("cpu2"), "feed", "cpu");
    queue.sendEncoded(Buffer.from(f("cpu3")), false, "feed", "cpu");
    queue.send(f("other"), "feed:2", "cpu");
    expect(owner.drops).toEqual([
      { topic: "feed", event: "cpu", policy: "keepLatest", bytes: 10 },
      { topic: "feed", event: "cpu", policy: "keepLatest", bytes: 10 },
    ]);
    expect(queue.heldFrames).toBe(3);
    transport.congested = false;
    queue.drained();
    expect(transport.written).toEqual([f("mem1"), `enc:${f("cpu3")}`, f("other")]);
    // Once written, a frame is no longer replaced.
    transport.congested = true;
    queue.send(f("cpu4"), "feed", "cpu");
    expect(owner.drops.length).toBe(2);
  });

  it("a drain writes until the transport is congested again and resumes on the next drain", () => {
    const { transport, queue } = setup(10_000, { chat: "dropOldest" });
    transport.congested = true;
    for (let i = 0; i < 5; i++) queue.send(f(`m${i}`), "chat", "msg");
    transport.congested = false;
    transport.congestAfter = 2;
    queue.drained();
    expect(transport.written).toEqual([f("m0"), f("m1")]);
    expect(queue.heldFrames).toBe(3);
    transport.congested = false;
    transport.congestAfter = Number.POSITIVE_INFINITY;
    queue.drained();
    expect(transport.written).toEqual([0, 1, 2, 3, 4].map((i) => f(`m${i}`)));
  });

  it("keeps dropping oldest first across drains and thousands of frames (compaction keeps the order)", () => {
    const { transport, owner, queue } = setup(200, { chat: "dropOldest" });
    const sent: string[] = [];
    for (let round = 0; round < 30; round++) {
      transport.congested = true;
      for (let i = 0; i < 100; i++) {
        const name = f(`${round}-${i}`);
        sent.push(name);
        queue.send(name, "chat", "msg");
      }
      transport.congested = false;
      transport.congestAfter = 7;
      queue.drained();
    }
    transport.congestAfter = Number.POSITIVE_INFINITY;
    transport.congested = false;
    queue.drained();
    // Every frame was either written or dropped, once; what was written keeps the sending order.
    expect(transport.written.length + owner.drops.length).toBe(sent.length);
    const positions = transport.written.map((w) => sent.indexOf(w));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(transport.written).size).toBe(transport.written.length);
    // The newest frames survive: the last 20 (200 bytes) were all written.
    expect(transport.written.slice(-20)).toEqual(sent.slice(-20));
  });

  it("clear forgets what is held", () => {
    const { transport, queue } = setup(1_000, { chat: "dropOldest" });
    transport.congested = true;
    queue.send(f("a"), "chat", "msg");
    queue.clear();
    expect(queue.heldBytes).toBe(0);
    transport.congested = false;
    queue.drained();
    expect(transport.written).toEqual([]);
  });
});

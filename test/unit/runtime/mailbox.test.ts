import { describe, expect, it } from "vitest";
import { Mailbox } from "../../../src/runtime/process/mailbox.js";
import { randomInt, seededRandom } from "./seeded-random.js";

describe("Mailbox", () => {
  it("takes messages first in, first out", () => {
    const mailbox = new Mailbox<string>();
    mailbox.push("a");
    mailbox.push("b");
    expect(mailbox.size).toBe(2);
    expect(mailbox.take()).toBe("a");
    mailbox.push("c");
    expect([mailbox.take(), mailbox.take()]).toEqual(["b", "c"]);
    expect(mailbox.size).toBe(0);
  });

  it("loses nothing across compactions: 10,000 messages pushed, then taken", () => {
    const mailbox = new Mailbox<number>();
    for (let i = 0; i < 10_000; i++) mailbox.push(i);
    const out: number[] = [];
    while (mailbox.size > 0) out.push(mailbox.take());
    expect(out).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it("loses nothing when pushes and takes interleave at random around the compaction threshold", () => {
    const random = seededRandom(7);
    const mailbox = new Mailbox<number>();
    let next = 0;
    let expected = 0;
    for (let step = 0; step < 50_000; step++) {
      if (random() < 0.52) {
        mailbox.push(next++);
      } else if (mailbox.size > 0) {
        expect(mailbox.take()).toBe(expected++);
      }
      if (step % 5_000 === 0) for (let burst = randomInt(random, 3_000); burst > 0; burst--) mailbox.push(next++);
    }
    expect(mailbox.size).toBe(next - expected);
    while (mailbox.size > 0) expect(mailbox.take()).toBe(expected++);
    expect(expected).toBe(next);
  });

  it("keeps undefined messages, telling emptiness by size", () => {
    const mailbox = new Mailbox<unknown>();
    mailbox.push(undefined);
    expect(mailbox.size).toBe(1);
    expect(mailbox.take()).toBeUndefined();
    expect(mailbox.size).toBe(0);
  });

  it("drops everything on clear", () => {
    const mailbox = new Mailbox<number>();
    for (let i = 0; i < 3_000; i++) mailbox.push(i);
    for (let i = 0; i < 1_500; i++) mailbox.take();
    mailbox.clear();
    expect(mailbox.size).toBe(0);
    mailbox.push(1);
    expect(mailbox.take()).toBe(1);
  });
});

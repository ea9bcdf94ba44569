// The Presence API on one node, through real processes: track, update, untrack, untrackAll, get, the
// fetch hook on lists and on every presence_diff, and the errors for misuse.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Presence,
  PresenceErrorCode,
  Process,
  PubSub,
  Runtime,
  Supervisor,
  type Pid,
  type Presences,
} from "../../../src/index.js";
import { settle } from "../../support/collector.js";

/** A channel stand-in: a process on a topic (the API needs only its pid and topic). */
class Owner extends Process {
  constructor(
    runtime: Runtime,
    readonly topic: string,
  ) {
    super(runtime);
  }
  protected handleMessage(): void {}
  leave(): void {
    this.stop();
  }
}

/** Records the presence_diff payloads broadcast on a topic (what subscribed channels would push). */
class DiffRecorder extends Process {
  readonly diffs: Array<{ joins: Presences; leaves: Presences }> = [];
  protected handleMessage(message: unknown): void {
    // A plain subscriber of the fastlane dispatcher receives the broadcast itself.
    const broadcast = message as { event?: string; payload?: unknown };
    if (broadcast.event === "presence_diff") this.diffs.push(JSON.parse(JSON.stringify(broadcast.payload)) as { joins: Presences; leaves: Presences });
  }
}

let runtime: Runtime;
let pubsub: PubSub;
let presence: Presence;
let supervisor: Pid;
const users: Record<string, { name: string }> = { ann: { name: "Ann" }, bob: { name: "Bob" } };

beforeEach(async () => {
  runtime = new Runtime({ node: "api" });
  pubsub = new PubSub({ runtime });
  presence = new Presence(pubsub, {
    broadcastPeriodMs: 10_000,
    fetch: (_topic, presences) => {
      for (const [key, group] of Object.entries(presences)) group.user = users[key] ?? null;
      return presences;
    },
  });
  supervisor = await Supervisor.start({ runtime, children: [pubsub.childSpec(), presence.childSpec()] });
});
afterEach(async () => {
  await Supervisor.stop(supervisor);
  await pubsub.stop();
});

describe("the Presence API", () => {
  it("tracks, updates and untracks, with fetched fields in lists, gets and every diff", async () => {
    const recorder = new DiffRecorder(runtime);
    pubsub.subscribe("room:api", recorder.pid);
    const ann = new Owner(runtime, "room:api");
    const ref = presence.track(ann, "ann", { status: "here" });
    expect(presence.list("room:api")).toEqual({ ann: { metas: [{ status: "here", phx_ref: ref }], user: { name: "Ann" } } });

    const next = presence.update(ann, "ann", (meta) => ({ ...meta, status: "away" }));
    expect(presence.get("room:api", "ann")).toEqual({ metas: [{ status: "away", phx_ref_prev: ref, phx_ref: next }], user: { name: "Ann" } });

    presence.untrack(ann, "ann");
    expect(presence.get("room:api", "ann")).toBeUndefined();
    await settle();
    expect(recorder.diffs).toEqual([
      { joins: { ann: { metas: [{ status: "here", phx_ref: ref }], user: { name: "Ann" } } }, leaves: {} },
      {
        joins: { ann: { metas: [{ status: "away", phx_ref_prev: ref, phx_ref: next }], user: { name: "Ann" } } },
        leaves: { ann: { metas: [{ status: "here", phx_ref: ref }], user: { name: "Ann" } } },
      },
      { joins: {}, leaves: { ann: { metas: [{ status: "away", phx_ref_prev: ref, phx_ref: next }], user: { name: "Ann" } } } },
    ]);
  });

  it("removes every presence of an owner with untrackAll, and when the owner exits", async () => {
    const bob = new Owner(runtime, "room:a");
    presence.tracker.track(bob.pid, "room:a", "bob", {});
    presence.tracker.track(bob.pid, "room:b", "bob", {});
    presence.tracker.untrackAll(bob.pid);
    expect(presence.list("room:a")).toEqual({});
    expect(presence.list("room:b")).toEqual({});

    presence.track(bob, 7, {});
    expect(Object.keys(presence.list("room:a"))).toEqual(["7"]);
    bob.leave();
    expect(presence.list("room:a")).toEqual({});
  });

  it("refuses misuse with typed errors", async () => {
    const ann = new Owner(runtime, "room:errors");
    presence.track(ann, "ann", {});
    expect(() => presence.track(ann, "ann", {})).toThrow(expect.objectContaining({ code: PresenceErrorCode.ALREADY_TRACKED }) as Error);
    expect(() => presence.update(ann, "nobody", {})).toThrow(expect.objectContaining({ code: PresenceErrorCode.BAD_ARGUMENT }) as Error);
    expect(() => presence.track(ann, "", {})).toThrow(expect.objectContaining({ code: PresenceErrorCode.BAD_ARGUMENT }) as Error);
    expect(() => presence.list("")).toThrow(expect.objectContaining({ code: PresenceErrorCode.BAD_ARGUMENT }) as Error);

    const idle = new Presence(pubsub, { name: "never-started" });
    expect(() => idle.list("room:errors")).toThrow(expect.objectContaining({ code: PresenceErrorCode.NOT_RUNNING }) as Error);
    expect(() => new Presence(pubsub, { fetch: "no" as unknown as undefined })).toThrow(
      expect.objectContaining({ code: PresenceErrorCode.BAD_ARGUMENT }) as Error,
    );
  });
});

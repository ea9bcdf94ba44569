// The dashboard on one node: the broadcast action and its refusals, what suspend refuses, P(e) counting
// crashes and refused joins, slow traffic showing in Q(t), and restarts counted in the supervision tree.
import { afterEach, describe, expect, it } from "vitest";
import { ClientError } from "../../../src/client/index.js";
import { Process, type ChildSpec, type Pid, type Runtime } from "../../../src/index.js";
import type { TreeNode } from "../../../src/dashboard/index.js";
import { closeClients, connectAdmin, connectClient, startDashboardNode, until, type DashboardNode } from "./dashboard-node.js";

const nodes: DashboardNode[] = [];

afterEach(async () => {
  await closeClients();
  for (const node of nodes.splice(0)) await node.stop();
});

async function node(options: Parameters<typeof startDashboardNode>[0] = {}): Promise<DashboardNode> {
  const started = await startDashboardNode(options);
  nodes.push(started);
  return started;
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ClientError);
  return (error as ClientError).response as { code: string; message: string };
};

function find(tree: TreeNode, id: string): TreeNode | undefined {
  if (tree.id === id) return tree;
  for (const child of tree.children) {
    const found = find(child, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe("the broadcast action", () => {
  it("reaches the clients joined to the topic", async () => {
    const n = await node();
    const room = connectClient(n.socketUrl).channel("room:news");
    const received: unknown[] = [];
    room.on("announcement", (payload) => received.push(payload));
    await room.join();
    const admin = await connectAdmin(n);
    const answer = (await admin.channel.push("broadcast", { topic: "room:news", event: "announcement", payload: { body: "maintenance at noon" } })) as { message: string };
    expect(answer.message).toMatch(/announcement/);
    await until(() => received.length === 1, "the broadcast at the client");
    expect(received).toEqual([{ body: "maintenance at noon" }]);
  });

  it.each([
    ["a protocol event", { topic: "room:news", event: "phx_reply", payload: {} }],
    ["a dashboard topic", { topic: "fenix:dashboard", event: "view", payload: {} }],
    ["a payload that is not an object", { topic: "room:news", event: "x", payload: [1, 2] }],
    ["an empty topic", { topic: "", event: "x", payload: {} }],
  ])("is refused for %s with FENIX_ERR_DASHBOARD_ACTION_REFUSED", async (_name, request) => {
    const n = await node();
    const admin = await connectAdmin(n);
    expect(await refusal(admin.channel.push("broadcast", request))).toMatchObject({ code: "FENIX_ERR_DASHBOARD_ACTION_REFUSED" });
  });
});

describe("suspend", () => {
  it("refuses the dashboard's own processes and unknown ones", async () => {
    const n = await node();
    const admin = await connectAdmin(n);
    await until(() => admin.latest()?.trees.length === 1, "the tree");
    const sampler = find(admin.latest()!.trees[0]!.tree, "sampler")!;
    const node_ = n.endpoint.node;
    expect(await refusal(admin.channel.push("suspend", { node: node_, pid: sampler.pid }))).toMatchObject({ code: "FENIX_ERR_DASHBOARD_ACTION_REFUSED" });
    expect(await refusal(admin.channel.push("suspend", { node: node_, pid: "<solo.424242>" }))).toMatchObject({ code: "FENIX_ERR_DASHBOARD_NOT_FOUND" });
    expect(await refusal(admin.channel.push("suspend", { node: node_ }))).toMatchObject({ code: "FENIX_ERR_DASHBOARD_ACTION_REFUSED" });
    expect(await refusal(admin.channel.push("nonsense", {}))).toMatchObject({ code: "FENIX_ERR_DASHBOARD_ACTION_REFUSED" });
  });
});

describe("P(e)", () => {
  it("counts channel crashes per handled message and refused joins per join", async () => {
    const n = await node();
    const admin = await connectAdmin(n);
    const socket = connectClient(n.socketUrl, { rejoinAfterMs: () => 60_000 });
    const room = socket.channel("room:faulty");
    await room.join();
    await room.push("msg", {});
    await room.push("crash", {}).catch(() => undefined);
    await socket.channel("room:closed", { refuse: true }).join().catch(() => undefined);
    await until(() => admin.views.some((v) => v.errors.crashes > 0) && admin.views.some((v) => v.errors.refusedJoins > 0), "the crash and the refusal counted");
    const crashView = admin.views.find((v) => v.errors.crashes > 0)!;
    expect(crashView.totals.crashPerMessage).toBeGreaterThan(0);
    expect(crashView.totals.crashPerMessage).toBeLessThanOrEqual(1);
    const refusedView = admin.views.find((v) => v.errors.refusedJoins > 0)!;
    expect(refusedView.totals.refusedJoinPerJoin).toBeGreaterThan(0);
    // Counts are per interval: a later interval without errors is back at 0.
    await until(() => admin.latest()!.errors.crashes === 0 && admin.latest()!.totals.crashPerMessage === 0, "a quiet interval");
  });
});

describe("the supervision tree", () => {
  class Flaky extends Process {
    protected override handleMessage(message: unknown): void {
      if (message === "crash") throw new Error("flaky worker crashed (dashboard test)");
    }
  }
  /** The running flaky worker (a new one after each restart). */
  let current: Pid | undefined;
  const flaky = (runtime: Runtime): ChildSpec[] => [{ id: "flaky", start: (parent) => (current = new Flaky(runtime, { link: parent }).pid) }];

  it("shows each child with the restarts its supervisor made", async () => {
    const n = await node({ children: flaky });
    const admin = await connectAdmin(n);
    await until(() => admin.latest()?.trees[0] !== undefined && find(admin.latest()!.trees[0]!.tree, "flaky") !== undefined, "the flaky worker in the tree");
    const before = find(admin.latest()!.trees[0]!.tree, "flaky")!;
    expect(before).toMatchObject({ kind: "worker", restarts: 0 });
    expect(before.pid).toBe(current!.toString());
    n.endpoint.runtime.send(current!, "crash");
    await until(() => (find(admin.latest()!.trees[0]!.tree, "flaky")?.restarts ?? 0) === 1, "the restart counted");
    const after = find(admin.latest()!.trees[0]!.tree, "flaky")!;
    expect(after.pid).not.toBe(before.pid);
    const root = admin.latest()!.trees[0]!.tree;
    expect(root).toMatchObject({ id: "endpoint", kind: "supervisor" });
    expect(find(root, "socket:/socket")).toMatchObject({ kind: "dynamic", count: 0 });
  });
});

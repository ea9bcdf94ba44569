// The dashboard across two endpoints linked by a memory bus: each node publishes its snapshot and the
// node serving the page merges them (connections, topics, topology), actions reach the node that owns
// the process (disconnect, suspend and resume, the frame trace), and a node that stops is dropped after
// three silent intervals.
import { afterEach, describe, expect, it } from "vitest";
import { ClientError } from "../../../src/client/index.js";
import { MemoryBus } from "../../../src/pubsub/index.js";
import type { DashboardView, SocketRow } from "../../../src/dashboard/index.js";
import { closeClients, connectAdmin, connectClient, startDashboardNode, until, type DashboardNode } from "./dashboard-node.js";

const nodes: DashboardNode[] = [];

afterEach(async () => {
  await closeClients();
  for (const node of nodes.splice(0)) await node.stop();
});

async function cluster(): Promise<[DashboardNode, DashboardNode]> {
  const bus = new MemoryBus();
  const a = await startDashboardNode({ bus, node: "a" });
  nodes.push(a);
  const b = await startDashboardNode({ bus, node: "b" });
  nodes.push(b);
  return [a, b];
}

const socketOn = (view: DashboardView | null | undefined, node: string, topic: string): SocketRow | undefined =>
  view?.sockets.find((s) => s.node === node && s.channels.some((c) => c.topic === topic));

describe("the dashboard on two nodes", () => {
  it("merges both nodes' connections, topics and topology on each node", async () => {
    const [a, b] = await cluster();
    const onA = connectClient(a.socketUrl).channel("room:shared");
    const onB = connectClient(b.socketUrl).channel("room:shared");
    const onlyB = connectClient(b.socketUrl).channel("room:b-only");
    await Promise.all([onA.join(), onB.join(), onlyB.join()]);

    for (const node of [a, b]) {
      await until(() => socketOn(node.dashboard.view(), "a", "room:shared") !== undefined && socketOn(node.dashboard.view(), "b", "room:b-only") !== undefined, `${node.endpoint.node}'s view of both nodes`);
      const view = node.dashboard.view()!;
      expect(view.node).toBe(node.endpoint.node);
      expect(view.nodes.map((n) => n.node)).toEqual(["a", "b"]);
      expect(view.totals.connections).toBe(3);
      expect(view.topics.find((t) => t.topic === "room:shared")?.subscribers).toBe(2);
      expect(view.topics.find((t) => t.topic === "room:b-only")?.subscribers).toBe(1);
      expect(view.edges).toEqual(
        expect.arrayContaining([
          { node: "a", topic: "room:shared", connections: 1 },
          { node: "b", topic: "room:shared", connections: 1 },
          { node: "b", topic: "room:b-only", connections: 1 },
        ]),
      );
      expect(view.trees.map((t) => t.node)).toEqual(["a", "b"]);
    }
  });

  it("adds both nodes' traffic to the message rates", async () => {
    const [a, b] = await cluster();
    const onA = connectClient(a.socketUrl).channel("room:busy");
    const onB = connectClient(b.socketUrl).channel("room:busy");
    await Promise.all([onA.join(), onB.join()]);
    const admin = await connectAdmin(a);
    let sending = true;
    const send = async (channel: typeof onA) => {
      while (sending) await channel.push("msg", { body: "x" }).catch(() => undefined);
    };
    const traffic = Promise.all([send(onA), send(onB)]);
    await until(() => {
      const rates = admin.latest()?.nodes.map((n) => n.rates.messagesIn) ?? [];
      return rates.length === 2 && rates.every((r) => r > 0);
    }, "client events counted on both nodes");
    sending = false;
    await traffic;
    const view = admin.latest()!;
    expect(view.totals.messagesIn).toBeCloseTo(view.nodes[0]!.rates.messagesIn + view.nodes[1]!.rates.messagesIn, 6);
  });

  it("disconnects a client of the other node from the page's node", async () => {
    const [a, b] = await cluster();
    const victim = connectClient(b.socketUrl);
    const closes: number[] = [];
    victim.onClose((event) => closes.push(event.code));
    await victim.channel("room:victim").join();
    const admin = await connectAdmin(a);
    await until(() => socketOn(admin.latest(), "b", "room:victim") !== undefined, "the victim in a's view");
    const row = socketOn(admin.latest(), "b", "room:victim")!;

    const answer = (await admin.channel.push("disconnect", { node: "b", pid: row.pid })) as { message: string };
    expect(answer.message).toMatch(/closed/i);
    await until(() => closes.length > 0, "the victim to see its connection close");
    expect(closes[0]).toBe(1001);
  });

  it("suspends a channel process of the other node: its queue grows in the view, then drains on resume", async () => {
    const [a, b] = await cluster();
    const channel = connectClient(b.socketUrl).channel("room:stuck");
    await channel.join();
    const admin = await connectAdmin(a);
    await until(() => socketOn(admin.latest(), "b", "room:stuck") !== undefined, "the channel in a's view");
    const channelPid = socketOn(admin.latest(), "b", "room:stuck")!.channels[0]!.pid;

    await admin.channel.push("suspend", { node: "b", pid: channelPid });
    const replies = [1, 2, 3].map(() => channel.push("msg", { body: "queued" }, { timeout: 5_000 }));
    await until(() => {
      const row = socketOn(admin.latest(), "b", "room:stuck");
      return row !== undefined && row.channels[0]!.suspended && row.channels[0]!.mailbox >= 3;
    }, "the suspended channel's mailbox in the view");
    expect(admin.latest()!.totals.mailboxMax).toBeGreaterThanOrEqual(3);

    await admin.channel.push("resume", { node: "b", pid: channelPid });
    await Promise.all(replies);
    await until(() => {
      const row = socketOn(admin.latest(), "b", "room:stuck");
      return row !== undefined && !row.channels[0]!.suspended && row.channels[0]!.mailbox === 0;
    }, "the resumed channel's mailbox to drain");
  });

  it("traces the frames of a connection on the other node", async () => {
    const [a, b] = await cluster();
    const channel = connectClient(b.socketUrl).channel("room:traced");
    await channel.join();
    const admin = await connectAdmin(a);
    await until(() => socketOn(admin.latest(), "b", "room:traced") !== undefined, "the connection in a's view");
    const pid = socketOn(admin.latest(), "b", "room:traced")!.pid;
    const frames: Array<{ direction: string; text: string | null }> = [];
    admin.channel.on("frames", (batch) => frames.push(...(batch as { frames: typeof frames }).frames));

    await admin.channel.push("trace", { node: "b", pid });
    await channel.push("msg", { body: "look at me" });
    await until(() => frames.some((f) => f.direction === "in" && f.text?.includes("look at me") === true), "the pushed frame in the trace");
    await until(() => frames.some((f) => f.direction === "out" && f.text?.includes("phx_reply") === true), "the reply in the trace");

    // Untraced, then traced again: the frame in between never shows (frames arrive in order, so once the
    // later one is here, the earlier one would have been too).
    await admin.channel.push("untrace", {});
    await channel.push("msg", { body: "not traced" });
    await admin.channel.push("trace", { node: "b", pid });
    await channel.push("msg", { body: "traced again" });
    await until(() => frames.some((f) => f.text?.includes("traced again") === true), "the frame after tracing again");
    expect(frames.some((f) => f.text?.includes("not traced") === true)).toBe(false);
  });

  it("answers an action on a node it does not know with FENIX_ERR_DASHBOARD_NOT_FOUND", async () => {
    const [a] = await cluster();
    const admin = await connectAdmin(a);
    const refused = await admin.channel.push("suspend", { node: "nowhere", pid: "<nowhere.1>" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).response).toMatchObject({ code: "FENIX_ERR_DASHBOARD_NOT_FOUND" });
    const gone = await admin.channel.push("disconnect", { node: "b", pid: "<b.99999>" }).catch((error: unknown) => error);
    expect((gone as ClientError).response).toMatchObject({ code: "FENIX_ERR_DASHBOARD_NOT_FOUND" });
  });

  it("drops a node that stopped after three silent intervals", async () => {
    const [a, b] = await cluster();
    await until(() => a.dashboard.view()?.nodes.length === 2, "both nodes in a's view");
    await b.stop();
    nodes.splice(nodes.indexOf(b), 1);
    await until(() => a.dashboard.view()?.nodes.length === 1, "b dropped from a's view", 3_000);
    expect(a.dashboard.view()!.nodes.map((n) => n.node)).toEqual(["a"]);
  });
});

/**
 * `WORKERS=2 npm start`: the chat demo on two cluster workers sharing one port, linked through the
 * primary, which keeps the rooms' history. Official clients land on both workers and make one chat; a
 * worker killed with SIGKILL is started again, its clients reconnect and carry on, and the history is
 * still there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ServerErrorCode, startCluster } from "../../../src/index.js";
import { NodeProcess } from "../../support/nodes/node-process.js";
import { closeAllClients } from "../../support/phoenix-client.js";
import { freePort } from "../../support/redis.js";
import { Nodes, enter, recentBodies, until, type Chatter } from "./support.js";

const nodes = new Nodes();
afterEach(async () => {
  await closeAllClients();
  await nodes.stopAll();
});

/** The node each of a chatter's tabs is on, as its presence metas say, seen by `viewer`. */
function nodesOf(viewer: Chatter, name: string): string[] {
  const entry = viewer.presences().find(([key]) => key === name);
  return entry === undefined ? [] : entry[1];
}

describe("the chat demo on cluster workers", () => {
  it("serves one chat from two workers and starts a killed worker again while its clients reconnect", async () => {
    const port = await freePort();
    const demo = await nodes.demo({ WORKERS: "2", PORT: String(port) });
    expect(demo.output).toMatch(/2 workers, linked through the cluster primary/);
    const url = `ws://127.0.0.1:${port}/socket`;
    const names = ["ann", "ben", "cat", "dan"];
    const people: Chatter[] = [];
    for (const name of names) people.push(await enter(url, name));
    await until(() => people.every((p) => p.online().join() === names.join()), "everyone to see everyone, across workers");
    const workerOf = new Map(people.map((p, i) => [p, nodesOf(people[0]!, names[i]!)[0]!]));
    expect(new Set(workerOf.values()).size).toBe(2);

    await people[0]!.say("one chat");
    await until(() => people.every((p) => p.bodies().includes("one chat")), "the message on both workers");

    const pids = new Map([...demo.output.matchAll(/worker (\d) \(pid (\d+)\) serves as node (\S+)/g)].map((m) => [m[3]!, Number(m[2])]));
    const victim = [...pids.keys()].find((node) => node.endsWith("/w1"))!;
    process.kill(pids.get(victim)!, "SIGKILL");
    await until(() => /worker 1 \(pid \d+, node \S+\) exited with signal SIGKILL; starting it again/.test(demo.output), "the primary to restart worker 1");
    await until(() => (demo.output.match(/worker 1 \(pid \d+\) serves/g) ?? []).length === 2, "worker 1 to serve again");

    // The clients of the killed worker reconnect (to either worker) and rejoin by themselves.
    const moved = people.filter((p) => workerOf.get(p) === victim);
    expect(moved.length).toBeGreaterThan(0);
    await moved[0]!.say("back again");
    await until(() => people.every((p) => p.bodies().includes("back again")), "a moved client's message everywhere", 15_000);
    await until(() => people.every((p) => p.online().join() === names.join()), "presence to settle again", 15_000);

    // The rooms' history lives in the primary: it outlives the killed worker, and a client joining now,
    // on either worker, has the whole conversation in its join reply.
    const late = await enter(url, "eve");
    expect(recentBodies(late)).toEqual(["one chat", "back again"]);
  });

  it("refuses bad options at once, and rejects in the primary when workers cannot start", async () => {
    await expect(startCluster({} as never)).rejects.toMatchObject({ code: ServerErrorCode.BAD_OPTION });
    await expect(startCluster({ workers: 0, worker: () => {} })).rejects.toMatchObject({ code: ServerErrorCode.BAD_OPTION, message: expect.stringMatching(/workers/) });
    const failing = await NodeProcess.program("failing", "test/support/nodes/failing-cluster.ts", {}, /(REJECTED \S+)/);
    expect(failing.url).toBe(`REJECTED ${ServerErrorCode.WORKER_FAILED}`);
    await failing.stop();
  });
});

/**
 * The cluster IPC adapter and its hub pass the adapter conformance suite in one process, over channels
 * that copy each message the way Node's "advanced" IPC serialization does (v8 serialize/deserialize, on
 * a later turn). The real channel between processes is exercised by the cluster tests.
 */
import { channel } from "../../support/ipc-channel.js";
import { describe, expect, it } from "vitest";
import { PubSub, PubSubErrorCode, Runtime } from "../../../src/index.js";
import { IpcAdapter, IpcHub, type IpcMessage } from "../../../src/pubsub/index.js";
import { adapterConformance } from "../../../src/testing/adapter.js";


describe("PubSub adapter conformance: cluster IPC", () => {
  const newCluster = () => {
    const hub = new IpcHub();
    return {
      adapter: () => {
        const [worker, primary] = channel();
        hub.attach(primary);
        return new IpcAdapter({ port: worker });
      },
    };
  };
  for (const c of adapterConformance({ newCluster, history: true })) it(c.name, c.run);
});

describe("IpcHub", () => {
  it("refuses a second worker with a node name already in use", async () => {
    const hub = new IpcHub();
    const [w1, p1] = channel();
    const [w2, p2] = channel();
    hub.attach(p1);
    hub.attach(p2);
    const first = new PubSub({ runtime: new Runtime({ node: "w" }), adapter: new IpcAdapter({ port: w1 }) });
    await first.start();
    const second = new PubSub({ runtime: new Runtime({ node: "w" }), adapter: new IpcAdapter({ port: w2 }) });
    await expect(second.start()).rejects.toMatchObject({ code: PubSubErrorCode.DUPLICATE_NODE });
    expect(hub.nodes()).toEqual(["w"]);
    await first.stop();
    await expect.poll(() => hub.nodes()).toEqual([]);
  });

  it("forgets a worker that exits, and tells the others", async () => {
    const hub = new IpcHub();
    const [w1, p1] = channel();
    const [w2, p2] = channel();
    hub.attach(p1);
    hub.attach(p2);
    const a = new PubSub({ runtime: new Runtime({ node: "a" }), adapter: new IpcAdapter({ port: w1 }) });
    const b = new PubSub({ runtime: new Runtime({ node: "b" }), adapter: new IpcAdapter({ port: w2 }) });
    await Promise.all([a.start(), b.start()]);
    await expect.poll(() => [...a.nodes()].sort()).toEqual(["a", "b"]);
    p2.closed = true;
    hub.detach(p2);
    await expect.poll(() => a.nodes()).toEqual(["a"]);
    await a.stop();
  });

  it("fails start() when no hub answers, and outside a process with an IPC channel", async () => {
    const [worker] = channel();
    const lonely = new PubSub({ runtime: new Runtime({ node: "x" }), adapter: new IpcAdapter({ port: worker, connectTimeoutMs: 50 }) });
    await expect(lonely.start()).rejects.toMatchObject({ code: PubSubErrorCode.ADAPTER_FAILED, message: expect.stringMatching(/did not answer/) });
    if (typeof process.send !== "function") {
      const outside = new PubSub({ runtime: new Runtime({ node: "y" }), adapter: new IpcAdapter() });
      await expect(outside.start()).rejects.toMatchObject({ code: PubSubErrorCode.ADAPTER_FAILED, message: expect.stringMatching(/needs an IPC channel/) });
    }
  });

  it("reports frames that arrive as objects (a channel without advanced serialization)", async () => {
    const [worker, primary] = channel();
    const errors: Error[] = [];
    const pubsub = new PubSub({ runtime: new Runtime({ node: "w" }), adapter: new IpcAdapter({ port: worker }), onError: (e) => errors.push(e) });
    primary.on("message", (m: IpcMessage) => {
      if (m.fenix === "pubsub/hello") {
        primary.send({ fenix: "pubsub/nodes", nodes: ["w", "v"] }, () => {});
        // What JSON serialization makes of a Uint8Array.
        primary.send({ fenix: "pubsub/frames", frames: [JSON.parse(JSON.stringify(new Uint8Array([1, 2]))) as Uint8Array] }, () => {});
      }
    });
    await pubsub.start();
    await expect.poll(() => errors.map((e) => (e as { code?: string }).code)).toEqual([PubSubErrorCode.BAD_FRAME]);
    expect(errors[0]!.message).toMatch(/serialization: "advanced"/);
    await pubsub.stop();
  });
});

// A client that stops reading is cut as a slow consumer: the metrics count the cut, the transport error
// and the disconnect under the error's code, and show the outbound queue while it grows.
import { afterEach, describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { enableMetrics, type Metrics } from "../../../src/metrics/index.js";
import { ClientErrors, closeRawResources, joinEcho, RawClient, serveRaw } from "../../support/raw-client.js";
import type { TestEndpoint } from "../../support/test-endpoint.js";
import { parseExposition, valueOf } from "./exposition.js";

const KiB = 1024;
let server: TestEndpoint | undefined;
let metrics: Metrics | undefined;

afterEach(async () => {
  await closeRawResources();
  metrics?.stop();
  await server?.stop();
});

describe("a slow consumer (maxBufferedBytes: 64 KiB)", () => {
  it("is counted once as a cut, a transport error and a disconnect, and its queue shows while it grows", async () => {
    server = await serveRaw({}, { maxBufferedBytes: 64 * KiB });
    metrics = enableMetrics(server.endpoint);
    const errors = new ClientErrors(server);
    const slow = await RawClient.connect(server.websocketUrl);
    await joinEcho(slow, "echo:firehose", "1");
    slow.pause();

    const body = "x".repeat(32 * KiB);
    let largestQueue = 0;
    // The kernel's socket buffers fill first (a few MiB on loopback); this bounds the broadcasts at 64 MiB.
    for (let i = 0; errors.all.length === 0 && i < 2_048; i++) {
      server.endpoint.broadcast("echo:firehose", "chunk", { i, body });
      await new Promise((resolve) => setImmediate(resolve));
      if (errors.all.length === 0) largestQueue = Math.max(largestQueue, valueOf(parseExposition(await metrics.scrape()), "fenix_outbound_buffered_bytes_max", { transport: "websocket" }));
    }
    expect((await errors.next()).error.code).toBe(ServerErrorCode.SLOW_CONSUMER);
    expect(largestQueue).toBeGreaterThan(0);
    expect(largestQueue).toBeLessThanOrEqual(64 * KiB + 33 * KiB);
    slow.resume();
    expect((await slow.closed()).code).toBe(1013);

    await expect
      .poll(async () => valueOf(parseExposition(await metrics!.scrape()), "fenix_socket_disconnects_total", { reason: ServerErrorCode.SLOW_CONSUMER }))
      .toBe(1);
    const samples = parseExposition(await metrics.scrape());
    expect(valueOf(samples, "fenix_slow_consumers_total", { path: "/socket", transport: "websocket" })).toBe(1);
    expect(valueOf(samples, "fenix_transport_errors_total", { transport: "websocket", code: ServerErrorCode.SLOW_CONSUMER })).toBe(1);
  });
});

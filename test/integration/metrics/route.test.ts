// The metrics route: served only when a path is given, Prometheus text with its content type, HEAD
// without a body, 405 for other methods, and a check that refuses (403) whom it does not trust — by
// default every peer that is not on this machine.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { enableMetrics, isLoopback, MetricsErrorCode, type Metrics } from "../../../src/metrics/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { parseExposition } from "./exposition.js";
import { RecordingLogger } from "./support.js";

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

const running: Array<{ server: TestEndpoint; metrics: Metrics[] }> = [];
afterEach(async () => {
  for (const { server, metrics } of running.splice(0)) {
    for (const m of metrics) m.stop();
    await server.stop();
  }
});

async function serve(...options: Parameters<typeof enableMetrics>[1][]): Promise<{ server: TestEndpoint; metrics: Metrics[]; logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const server = await startTestEndpoint({ logger });
  const metrics = options.map((o) => enableMetrics(server.endpoint, o));
  running.push({ server, metrics });
  return { server, metrics, logger };
}

/** A non-loopback IPv4 address of this machine, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;

describe("the metrics route", () => {
  it("answers GET with the Prometheus text format", async () => {
    const { server } = await serve({ path: "/metrics" });
    const res = await fetch(`${server.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROMETHEUS_TEXT);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    expect(text).toContain("# TYPE fenix_connections gauge");
    expect(text).toContain("# TYPE fenix_channel_handle_in_duration_seconds histogram");
    expect(parseExposition(text).length).toBeGreaterThan(0);
  });

  it("answers HEAD with the same headers and no body", async () => {
    const { server } = await serve({ path: "/metrics" });
    const res = await fetch(`${server.httpUrl}/metrics`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROMETHEUS_TEXT);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await res.text()).toBe("");
  });

  it("answers 405 with Allow for any other method", async () => {
    const { server } = await serve({ path: "/metrics" });
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await fetch(`${server.httpUrl}/metrics`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  it("is not served without a path", async () => {
    const { server, metrics } = await serve({});
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(404);
    expect(await metrics[0]!.scrape()).toContain("fenix_connections");
  });

  it("serves the same answers from metrics.handle mounted on a server of one's own", async () => {
    const { metrics } = await serve({});
    const own = createServer((req, res) => metrics[0]!.handle(req, res));
    await new Promise<void>((resolve) => own.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(own.address() as AddressInfo).port}/anything`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(PROMETHEUS_TEXT);
      expect((await fetch(url, { method: "POST" })).status).toBe(405);
    } finally {
      await new Promise((resolve) => own.close(resolve));
    }
  });

  it("answers 404 once the metrics are stopped", async () => {
    const { server, metrics } = await serve({ path: "/metrics" });
    metrics[0]!.stop();
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(404);
  });

  it("refuses with 403 the requests its check refuses, before looking at the method", async () => {
    // The check trusts a proxy's X-Forwarded-For, as one behind a reverse proxy would.
    const { server } = await serve({
      path: "/metrics",
      check: (req) => isLoopback(String(req.headers["x-forwarded-for"] ?? req.socket.remoteAddress)),
    });
    const url = `${server.httpUrl}/metrics`;
    expect((await fetch(url, { headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(403);
    expect((await fetch(url, { method: "POST", headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(403);
    expect((await fetch(url, { headers: { "x-forwarded-for": "::ffff:127.0.0.9" } })).status).toBe(200);
    expect((await fetch(url)).status).toBe(200);
  });

  it("waits for an asynchronous check", async () => {
    const { server } = await serve({ path: "/metrics", check: async (req) => req.headers.authorization === "Bearer s3cret" });
    const url = `${server.httpUrl}/metrics`;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
  });

  it("answers 500 and logs FENIX_ERR_METRICS_CHECK_FAILED when the check throws", async () => {
    const { server, logger } = await serve({
      path: "/metrics",
      check: () => {
        throw new Error("check exploded (test)");
      },
    });
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(500);
    const [line] = logger.withCode(MetricsErrorCode.CHECK_FAILED);
    expect(line?.level).toBe("error");
  });

  it.skipIf(externalAddress === undefined)("by default serves loopback peers and refuses the others with 403", async () => {
    const logger = new RecordingLogger();
    const server = await startTestEndpoint({ host: "0.0.0.0", logger });
    running.push({ server, metrics: [enableMetrics(server.endpoint, { path: "/metrics" })] });
    const port = new URL(server.httpUrl).port;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    const refused = await fetch(`http://${externalAddress}:${port}/metrics`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("fenix_");
  });
});

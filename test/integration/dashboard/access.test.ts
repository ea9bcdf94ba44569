// Who gets in: the page and the dashboard socket apply the same check — by default loopback requests no
// proxy forwarded; a custom check sees the address, the x-headers and the token (?token= on the page, the
// handshake token on the socket). A check that throws answers 500 and is logged. Also: the page's
// headers and assets, and enableDashboard's refusals.
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { DashboardErrorCode, enableDashboard, localOrToken } from "../../../src/dashboard/index.js";
import { Endpoint, TelemetryEvent, onTelemetry, silentLogger } from "../../../src/index.js";
import { closeClients, connectAdmin, startDashboardNode, type DashboardNode } from "./dashboard-node.js";

const nodes: DashboardNode[] = [];
const endpoints: Endpoint[] = [];

afterEach(async () => {
  await closeClients();
  for (const node of nodes.splice(0)) await node.stop();
  for (const endpoint of endpoints.splice(0)) await endpoint.stop();
});

async function node(options: Parameters<typeof startDashboardNode>[0] = {}): Promise<DashboardNode> {
  const started = await startDashboardNode(options);
  nodes.push(started);
  return started;
}

/** The HTTP status of a WebSocket upgrade to the dashboard socket (101 when accepted). */
function upgradeStatus(n: DashboardNode, options: { headers?: Record<string, string>; token?: string } = {}): Promise<number> {
  const protocols = ["phoenix", ...(options.token === undefined ? [] : [`base64url.bearer.phx.${Buffer.from(options.token).toString("base64").replace(/=+$/, "")}`])];
  const ws = new WebSocket(`${n.url.replace(/^http/, "ws")}${n.dashboard.socketPath}/websocket?vsn=2.0.0`, protocols, { headers: options.headers });
  return new Promise((resolve, reject) => {
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("error", reject);
  });
}

describe("the default check", () => {
  it("serves the page to this machine, with the socket path filled in and protective headers", async () => {
    const n = await node();
    const res = await fetch(`${n.url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('content="/dashboard/socket"');
    expect(html).toContain('src="/dashboard/assets/dashboard.js"');
    expect(html).not.toContain("%FENIX_DASHBOARD");
    expect((await fetch(`${n.url}/dashboard/`)).status).toBe(200);
  });

  it("refuses a request a proxy forwarded from another address: 403, for the page and the socket", async () => {
    const n = await node();
    const forwarded = { "x-forwarded-for": "203.0.113.7" };
    const res = await fetch(`${n.url}/dashboard`, { headers: forwarded });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/Forbidden/);
    expect(await upgradeStatus(n, { headers: forwarded })).toBe(403);
    expect(await upgradeStatus(n)).toBe(101);
  });

  it("serves the assets without a check, and nothing else under the path", async () => {
    const n = await node();
    const js = await fetch(`${n.url}/dashboard/assets/dashboard.js`, { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("/fenix/client.js");
    expect((await fetch(`${n.url}/dashboard/assets/dashboard.css`)).headers.get("content-type")).toMatch(/^text\/css/);
    expect((await fetch(`${n.url}/dashboard/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${n.url}/dashboard/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${n.url}/dashboard/other`)).status).toBe(404);
    expect((await fetch(`${n.url}/dashboard`, { method: "POST" })).status).toBe(405);
  });
});

describe("a custom check", () => {
  it("is given the token from the page URL, an Authorization header, or the socket handshake", async () => {
    const seen: Array<{ address: string | undefined; token: string | undefined }> = [];
    const n = await node({
      dashboard: {
        check: ({ address, token }) => {
          seen.push({ address, token });
          return token === "open sesame";
        },
      },
    });
    expect((await fetch(`${n.url}/dashboard`)).status).toBe(403);
    expect((await fetch(`${n.url}/dashboard?token=open%20sesame`)).status).toBe(200);
    expect((await fetch(`${n.url}/dashboard`, { headers: { authorization: "Bearer open sesame" } })).status).toBe(200);
    expect(await upgradeStatus(n)).toBe(403);
    expect(await upgradeStatus(n, { token: "open sesame" })).toBe(101);
    expect(seen[0]!.address).toMatch(/127\.0\.0\.1/);

    const admin = await connectAdmin(n, { authToken: "open sesame" });
    expect(admin.channel.state).toBe("joined");
  });

  it("localOrToken lets in this machine without a token and others with it", async () => {
    const n = await node({ dashboard: { check: localOrToken("pw") } });
    const forwarded = { "x-forwarded-for": "203.0.113.7" };
    expect((await fetch(`${n.url}/dashboard`)).status).toBe(200);
    expect((await fetch(`${n.url}/dashboard`, { headers: forwarded })).status).toBe(403);
    expect((await fetch(`${n.url}/dashboard?token=pw`, { headers: forwarded })).status).toBe(200);
    expect(await upgradeStatus(n, { headers: forwarded })).toBe(403);
    expect(await upgradeStatus(n, { headers: forwarded, token: "pw" })).toBe(101);
  });

  it("that throws answers the page 500, refuses the socket, and is logged as FENIX_ERR_DASHBOARD_CHECK_FAILED", async () => {
    const logged: unknown[] = [];
    const off = onTelemetry(TelemetryEvent.LOG, (e) => logged.push(e.meta?.error));
    try {
      const n = await node({
        dashboard: {
          check: () => {
            throw new Error("the check's database is down");
          },
        },
      });
      expect((await fetch(`${n.url}/dashboard`)).status).toBe(500);
      expect(await upgradeStatus(n)).toBe(403);
      expect(logged).toContainEqual(expect.objectContaining({ code: DashboardErrorCode.CHECK_FAILED }));
    } finally {
      off();
    }
  });
});

describe("enableDashboard", () => {
  it("refuses to be called after endpoint.start(), or twice on one endpoint", async () => {
    const started = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoints.push(started);
    await started.start();
    expect(() => enableDashboard(started)).toThrowError(expect.objectContaining({ code: DashboardErrorCode.BAD_OPTION }));

    const fresh = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoints.push(fresh);
    enableDashboard(fresh);
    expect(() => enableDashboard(fresh, { path: "/other" })).toThrowError(expect.objectContaining({ code: DashboardErrorCode.BAD_OPTION }));
    await expect(enableDashboard(new Endpoint({ logger: silentLogger }), { path: "/x" }).start()).rejects.toMatchObject({ code: DashboardErrorCode.BAD_OPTION });
  });

  it("starts its sampler by itself when the endpoint starts listening, in a supervisor of its own", async () => {
    const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoints.push(endpoint);
    const dashboard = enableDashboard(endpoint, { sampleMs: 50 });
    await endpoint.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(dashboard.view()?.node).toBe(endpoint.node);
    const tree = dashboard.view()!.trees[0]!.tree;
    const own = tree.children.find((c) => c.id === "fenix:dashboard");
    expect(own).toMatchObject({ kind: "supervisor", children: [expect.objectContaining({ id: "sampler", kind: "worker" })] });
  });
});

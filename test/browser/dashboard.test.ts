// End-to-end test of the dashboard in real Chromium: the page (on fenix/client, served by the endpoint)
// shows live charts while Node clients send messages, lists a client with its topic in the sockets table
// and the topology, disconnects it, broadcasts to its topic, suspends its channel, traces its frames;
// a request forwarded from another address is refused.
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Channel as ClientChannel, Socket as ClientSocket } from "../../src/client/index.js";
import { closeClients, connectClient, startDashboardNode, type DashboardNode } from "../integration/dashboard/dashboard-node.js";
import { chromiumSkipReason, launchChromium } from "../support/chromium.js";

const WAIT_MS = 15_000;
const TEST_MS = 60_000;

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) console.warn(`Browser tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(`the dashboard in Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let node: DashboardNode | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    node = await startDashboardNode({ node: "browser-test", dashboard: { sampleMs: 250 } });
    browser = (await launchChromium()) ?? undefined;
  }, TEST_MS);

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail" && context !== undefined) {
      const dir = await mkdtemp(join(tmpdir(), "fenix-dashboard-"));
      for (const [i, page] of context.pages().entries()) {
        const path = join(dir, `page-${i}.png`);
        await page.screenshot({ path, fullPage: true }).catch(() => undefined);
        console.warn(`"${task.name}" failed; the dashboard: ${path}`);
      }
    }
    await context?.close();
    context = undefined;
    await closeClients();
    const errors = pageErrors;
    pageErrors = [];
    expect(errors, "uncaught errors in the page").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  }, TEST_MS);

  /** Opens the dashboard; every confirmation dialog is accepted. */
  async function openDashboard(): Promise<Page> {
    if (!browser || !node) throw new Error("the suite's setup failed; see beforeAll");
    context = await browser.newContext({ viewport: { width: 1400, height: 1600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    const response = await page.goto(`${node.url}/dashboard`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.getByTestId("status").textContent(), { timeout: WAIT_MS }).toBe("connected");
    return page;
  }

  /** A Node client joined to a fresh topic. */
  async function joinedClient(): Promise<{ socket: ClientSocket; channel: ClientChannel; topic: string }> {
    const topic = `room:${randomUUID().slice(0, 8)}`;
    const socket = connectClient(node!.socketUrl);
    const channel = socket.channel(topic);
    await channel.join();
    return { socket, channel, topic };
  }

  const socketRow = (page: Page, topic: string) => page.getByTestId("socket-table").locator("tbody tr", { hasText: topic });
  const readout = (page: Page, chart: string, series: string) =>
    page
      .getByTestId(`readout-${chart}`)
      .locator(`[data-series="${series}"]`)
      .getAttribute("data-value")
      .then(Number);

  it(
    "draws live charts that move while clients send messages",
    async () => {
      const page = await openDashboard();
      const points = () => page.getByTestId("chart-rates").getAttribute("data-points").then(Number);
      const start = await points();
      const { channel } = await joinedClient();
      let sending = true;
      const traffic = (async () => {
        while (sending) await channel.push("msg", { body: "tick" }).catch(() => undefined);
      })();
      try {
        await expect.poll(() => readout(page, "rates", "messagesIn"), { timeout: WAIT_MS }).toBeGreaterThan(0);
        await expect.poll(() => readout(page, "rates", "broadcasts"), { timeout: WAIT_MS }).toBeGreaterThan(0);
        await expect.poll(() => readout(page, "connections", "connections"), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(1);
        await expect.poll(points, { timeout: WAIT_MS }).toBeGreaterThan(start + 2);
        for (const chart of ["connections", "rates", "queues", "errors"]) {
          expect(await page.getByTestId(`chart-${chart}`).locator("canvas").count(), `${chart} is drawn`).toBe(1);
        }
      } finally {
        sending = false;
        await traffic;
      }
    },
    TEST_MS,
  );

  it(
    "lists a connected client with its topic in the sockets and topics tables and the topology",
    async () => {
      const page = await openDashboard();
      const { topic } = await joinedClient();
      await expect.poll(() => socketRow(page, topic).count(), { timeout: WAIT_MS }).toBe(1);
      expect(await socketRow(page, topic).locator('[data-column="transport"]').textContent()).toBe("websocket");
      expect(await socketRow(page, topic).locator('[data-column="peer"]').textContent()).toMatch(/127\.0\.0\.1/);
      await expect.poll(() => page.getByTestId("topic-table").locator("tbody tr", { hasText: topic }).count(), { timeout: WAIT_MS }).toBe(1);
      await expect.poll(() => page.getByTestId("topology").locator(`g.topic[data-topic="${topic}"]`).count(), { timeout: WAIT_MS }).toBe(1);
      expect(await page.getByTestId("topology").locator(`path.edge[data-topic="${topic}"]`).getAttribute("data-node")).toBe("browser-test");

      // Search narrows the table to the matching rows.
      const other = await joinedClient();
      await expect.poll(() => socketRow(page, other.topic).count(), { timeout: WAIT_MS }).toBe(1);
      await page.getByTestId("socket-search").fill(topic);
      await expect.poll(() => page.getByTestId("socket-table").locator("tbody tr").count(), { timeout: WAIT_MS }).toBe(1);
      // The supervision tree shows the endpoint's tree and the dashboard's own supervisor.
      expect(await page.getByTestId("supervision").locator('g.tree-item[data-child="fenix:dashboard"]').count()).toBe(1);
    },
    TEST_MS,
  );

  it(
    "disconnects the selected client (after confirmation); the client sees its connection close",
    async () => {
      const page = await openDashboard();
      const { socket, topic } = await joinedClient();
      const closes: number[] = [];
      socket.onClose((event) => closes.push(event.code));
      await socketRow(page, topic).click();
      await expect.poll(() => page.getByTestId("detail").locator('[data-field="transport"]').textContent(), { timeout: WAIT_MS }).toBe("websocket");
      await page.getByTestId("disconnect").click();
      await expect.poll(() => closes, { timeout: WAIT_MS }).toEqual([1001]);
      await expect.poll(() => page.getByTestId("action-result").getAttribute("data-state"), { timeout: WAIT_MS }).toBe("ok");
    },
    TEST_MS,
  );

  it(
    "broadcasts to a topic from the form, and the client receives it",
    async () => {
      const page = await openDashboard();
      const { channel, topic } = await joinedClient();
      const received: unknown[] = [];
      channel.on("notice", (payload) => received.push(payload));
      await page.getByTestId("broadcast-topic").fill(topic);
      await page.getByTestId("broadcast-event").fill("notice");
      await page.getByTestId("broadcast-payload").fill('{"body": "hello from the dashboard <b>"}');
      await page.getByTestId("broadcast-send").click();
      await expect.poll(() => received, { timeout: WAIT_MS }).toEqual([{ body: "hello from the dashboard <b>" }]);
      await expect.poll(() => page.getByTestId("action-result").textContent(), { timeout: WAIT_MS }).toMatch(/notice/);

      await page.getByTestId("broadcast-event").fill("phx_close");
      await page.getByTestId("broadcast-send").click();
      await expect.poll(() => page.getByTestId("action-result").textContent(), { timeout: WAIT_MS }).toMatch(/FENIX_ERR_DASHBOARD_ACTION_REFUSED/);
    },
    TEST_MS,
  );

  it(
    "traces the selected connection's frames live, shown as text",
    async () => {
      const page = await openDashboard();
      const { channel, topic } = await joinedClient();
      await socketRow(page, topic).click();
      await page.getByTestId("trace-toggle").click();
      await expect.poll(() => page.getByTestId("trace-note").textContent(), { timeout: WAIT_MS }).toMatch(/tracing live/);
      await expect.poll(() => page.getByTestId("action-result").getAttribute("data-state"), { timeout: WAIT_MS }).toBe("ok");
      await channel.push("msg", { body: "<img src=x onerror=alert(1)>" });
      const frame = page.getByTestId("trace").locator('[data-direction="in"]', { hasText: "<img src=x onerror=alert(1)>" });
      await expect.poll(() => frame.count(), { timeout: WAIT_MS }).toBeGreaterThan(0);
      // Data is shown as text, never parsed as HTML.
      expect(await page.getByTestId("trace").locator("img").count()).toBe(0);
    },
    TEST_MS,
  );

  it(
    "suspends the client's channel (its queue grows in the table) and resumes it",
    async () => {
      const page = await openDashboard();
      const { channel, topic } = await joinedClient();
      await socketRow(page, topic).click();
      const channelRow = page.getByTestId("detail-channels").locator(`tr[data-topic="${topic}"]`);
      await channelRow.getByTestId("suspend").click();
      await expect.poll(() => channelRow.getByTestId("resume").count(), { timeout: WAIT_MS }).toBe(1);
      const replies = [1, 2, 3].map(() => channel.push("msg", { body: "waiting" }, { timeout: WAIT_MS }));
      await expect.poll(() => socketRow(page, topic).locator('[data-column="queue"]').textContent(), { timeout: WAIT_MS }).toMatch(/^3/);
      await channelRow.getByTestId("resume").click();
      await Promise.all(replies);
      await expect.poll(() => socketRow(page, topic).locator('[data-column="queue"]').textContent(), { timeout: WAIT_MS }).toBe("0");
    },
    TEST_MS,
  );

  it(
    "refuses the page to a request forwarded from another address (403)",
    async () => {
      if (!browser || !node) throw new Error("the suite's setup failed; see beforeAll");
      context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": "203.0.113.7" } });
      const page = await context.newPage();
      const response = await page.goto(`${node.url}/dashboard`);
      expect(response?.status()).toBe(403);
      expect(await page.textContent("body")).toMatch(/Forbidden/);
    },
    TEST_MS,
  );
});

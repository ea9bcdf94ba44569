// End-to-end test of the chat example's MQTT bridge: a person in real Chromium, on the chat page in a room,
// and an MQTT client (MQTT.js, in Node) whose username is its display name, on the topic `room/<room>`. The
// MQTT client's UTF-8 PUBLISH shows on the page under its username; the page's message reaches the MQTT
// subscriber as the JSON {name, body, at}; the MQTT client is in the page's presence list while connected
// and leaves it when it disconnects. Run once with MQTT 3.1.1 over TCP and once with MQTT 5 over WebSocket
// at `/mqtt` on the chat's HTTP port.
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startChatServer, type ChatServer } from "../../examples/chat/server.js";
import { silentLogger } from "../../src/index.js";
import { chromiumSkipReason, launchChromium } from "../support/chromium.js";
import { say, transcript } from "../support/chat-page.js";

/** How long a page or the MQTT client may take to see what the server sent; CI machines have two busy cores. */
const WAIT_MS = 15_000;
const TEST_MS = 60_000;

/** The two ways in for the MQTT client. */
const VARIANTS = [
  { label: "MQTT 3.1.1 over TCP", protocolVersion: 4, transport: "mqtt", url: (chat: ChatServer) => `mqtt://127.0.0.1:${chat.mqtt!.port}` },
  { label: "MQTT 5 over WebSocket", protocolVersion: 5, transport: "mqtt-ws", url: (chat: ChatServer) => `${chat.url.replace(/^http/, "ws")}/mqtt` },
] as const;

/** What the MQTT subscriber received: the topic, the payload parsed as JSON, and the MQTT 5 properties. */
interface Received {
  topic: string;
  json: unknown;
  properties: IPublishPacket["properties"];
}

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) console.warn(`Browser tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(`chat example in Chromium with MQTT clients${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let server: ChatServer | undefined;
  let browser: Browser | undefined;
  /** Contexts, pages and MQTT clients of the running test, released in afterEach. */
  let pages: { context: BrowserContext; page: Page; label: string }[] = [];
  let mqttClients: MqttClient[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger, mqtt: { port: 0 } }),
      launchChromium().then((launched) => launched ?? undefined),
    ]);
  }, TEST_MS);

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") await screenshot(task.name);
    await Promise.all(mqttClients.map((client) => client.endAsync(true).catch(() => undefined)));
    mqttClients = [];
    await Promise.all(pages.map(({ context }) => context.close()));
    pages = [];
    const errors = pageErrors;
    pageErrors = [];
    expect(errors, "uncaught errors in the page").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, TEST_MS);

  /** Opens the chat in a fresh context (its own storage and identity) and joins `room` as `name`. */
  async function joinChat(label: string, name: string, room: string): Promise<Page> {
    if (!browser || !server) throw new Error("the suite's setup failed; see beforeAll");
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => pageErrors.push(`${label}: ${error.message}`));
    pages.push({ context, page, label });
    await page.goto(`${server.url}/`);
    await page.getByTestId("name").fill(name);
    await page.getByTestId("room").fill(room);
    await page.getByTestId("join").click();
    await page.waitForSelector('[data-testid="composer"]:enabled');
    await expect.poll(() => page.getByTestId("status").textContent(), { timeout: WAIT_MS }).toBe("connected");
    return page;
  }

  /** Who the page lists as online, in the order shown. */
  const online = (page: Page): Promise<string[]> => page.getByTestId("online-person").allTextContents();

  /** Saves every open page of a failed test, so a CI failure can be looked at. */
  async function screenshot(testName: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "fenix-chat-mqtt-"));
    for (const { page, label } of pages) {
      const path = join(dir, `${label}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.warn(`"${testName}" failed; ${label}'s page: ${path}`);
    }
  }

  /**
   * Waits for an MQTT.js operation, failing fast and saying why when the server closes the connection
   * (MQTT.js with `reconnectPeriod: 0` would leave the operation pending until the test times out) or
   * does not answer within WAIT_MS.
   */
  async function answered<T>(client: MqttClient, what: string, operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error(`the server closed the MQTT connection while waiting for ${what}`));
      client.once("close", onClose);
      timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${WAIT_MS} ms`)), WAIT_MS);
    });
    try {
      return await Promise.race([operation, failed]);
    } finally {
      clearTimeout(timer);
      client.removeListener("close", onClose!);
    }
  }

  /** A room of its own per test, so no test sees another's messages (or a stored history). */
  const freshRoom = (): string => `mqtt-${randomUUID().slice(0, 8)}`;

  for (const variant of VARIANTS) {
    it(
      `chats both ways with an MQTT client on ${variant.label}, which is in the page's presence until it disconnects`,
      async () => {
        if (!server) throw new Error("the suite's setup failed; see beforeAll");
        const room = freshRoom();
        const topic = `room/${room}`;
        const username = `mo-${variant.transport}`;
        const page = await joinChat("ada", "ada", room);
        await expect.poll(() => online(page), { timeout: WAIT_MS }).toEqual(["ada"]);

        const client = await mqtt.connectAsync(variant.url(server), {
          username,
          protocolVersion: variant.protocolVersion,
          reconnectPeriod: 0,
          connectTimeout: WAIT_MS,
        });
        mqttClients.push(client);
        const received: Received[] = [];
        client.on("message", (messageTopic, payload, packet) =>
          received.push({ topic: messageTopic, json: JSON.parse(payload.toString("utf8")), properties: packet.properties }),
        );
        // SUBACK waits for the channel's join: from here the MQTT client is in the room.
        const granted = await answered(client, "SUBACK", client.subscribeAsync(topic, { qos: 1 }));
        expect(granted.map(({ qos }) => qos)).toEqual([1]);
        const bridged = server.endpoint.connections().filter((c) => c.channels.some((channel) => channel.topic === `room:${room}`));
        expect(bridged.map((c) => c.transport).sort()).toEqual([variant.transport, "websocket"].sort());

        // The page lists the MQTT client under its username.
        await expect.poll(() => online(page), { timeout: WAIT_MS }).toEqual(["ada", username]);
        expect(await page.getByTestId("online-count").textContent()).toBe("2 people online");

        // MQTT → page: the UTF-8 payload is the body, the username the sender's name.
        const fromMqtt = "grüße from MQTT 🦊";
        await answered(client, "PUBACK", client.publishAsync(topic, fromMqtt, { qos: 1 }));
        await expect.poll(() => transcript(page), { timeout: WAIT_MS }).toEqual([`${username}: ${fromMqtt}`]);

        // Page → MQTT: the subscriber receives the chat message as the JSON {name, body, at}.
        const fromPage = "hello back from the browser";
        const before = Date.now();
        await say(page, fromPage);
        await expect.poll(() => transcript(page), { timeout: WAIT_MS }).toEqual([`${username}: ${fromMqtt}`, `ada: ${fromPage}`]);
        // Everyone in the room gets each message, the MQTT sender included: its own first, then the page's.
        await expect.poll(() => received.length, { timeout: WAIT_MS }).toBe(2);
        expect(received.map((m) => m.topic)).toEqual([topic, topic]);
        const [own, reply] = received.map((m) => m.json as Record<string, unknown>);
        expect(own).toMatchObject({ name: username, body: fromMqtt });
        expect(Object.keys(reply!).sort()).toEqual(["at", "body", "name"]);
        expect(reply).toMatchObject({ name: "ada", body: fromPage });
        expect(reply!.at).toEqual(expect.any(Number));
        expect(reply!.at as number).toBeGreaterThanOrEqual(before);
        expect(reply!.at as number).toBeLessThanOrEqual(Date.now());
        // MQTT 5 subscribers also learn the channel event and the content type; MQTT 3.1.1 has no properties.
        if (variant.protocolVersion === 5) {
          expect(received[1]!.properties).toMatchObject({ userProperties: { event: "new_msg" }, contentType: "application/json" });
        } else {
          expect(received[1]!.properties).toBeUndefined();
        }

        // The MQTT client disconnects: it leaves the page's presence list.
        await client.endAsync();
        await expect.poll(() => online(page), { timeout: WAIT_MS }).toEqual(["ada"]);
        expect(await page.getByTestId("online-count").textContent()).toBe("1 person online");
      },
      TEST_MS,
    );
  }
});

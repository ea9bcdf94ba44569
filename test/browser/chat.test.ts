// End-to-end test of the chat example: real Chromium pages load the page from the example server, join a
// room through fenix/client and talk to each other. Each browser context is one person (its own storage,
// so its own identity); pages of one context are that person's tabs.
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startChatServer, type ChatServer } from "../../examples/chat/server.js";
import { chromiumSkipReason, launchChromium } from "../support/chromium.js";
import { say, transcript } from "../support/chat-page.js";
import { closeAllClients, connectSocket, join as joinChannel, push } from "../support/phoenix-client.js";

/** How long a page may take to show what the server sent; CI machines have two busy cores. */
const WAIT_MS = 15_000;
const TEST_MS = 60_000;

/** A page on the official phoenix client, served next to the chat page (which runs on fenix/client). */
const OFFICIAL_PAGE = join(dirname(fileURLToPath(import.meta.url)), "official-page");

/** A cookie that makes the test server refuse the browser's WebSocket upgrades. */
const NO_WEBSOCKET_COOKIE = { name: "fenix_test_no_websocket", value: "1" };
const NO_WEBSOCKET = /(?:^|;\s*)fenix_test_no_websocket=1(?:;|$)/;

const skipReason = chromiumSkipReason();

/**
 * Routes a page's socket WebSockets through the test: `goOffline` cuts them and refuses new ones (a
 * network outage as the page sees it), `goOnline` lets the next one through.
 */
async function cuttableWebSockets(page: Page): Promise<{ goOffline(): Promise<void>; goOnline(): void }> {
  let offline = false;
  const links: { close(): Promise<void> }[] = [];
  await page.context().routeWebSocket(/\/socket\/websocket/, (socket) => {
    if (offline) return void socket.close();
    const toServer = socket.connectToServer();
    links.push({ close: async () => void (await Promise.all([toServer.close(), socket.close()])) });
  });
  return {
    goOffline: async () => {
      offline = true;
      await Promise.all(links.splice(0).map((link) => link.close()));
    },
    goOnline: () => {
      offline = false;
    },
  };
}
if (skipReason !== undefined) console.warn(`Browser tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(`chat example in Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let server: ChatServer | undefined;
  let browser: Browser | undefined;
  /** Contexts and page errors of the running test, released in afterEach. */
  let contexts: { context: BrowserContext; page: Page; label: string }[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    // WebSocket upgrades of browsers that carry the NO_WEBSOCKET_COOKIE are refused (404), as a proxy that
    // breaks WebSockets would: those pages must fall back to LongPoll.
    server = await startChatServer({ port: 0, host: "127.0.0.1", websocket: (request) => !NO_WEBSOCKET.test(request.headers.cookie ?? "") });
    browser = (await launchChromium()) ?? undefined;
  }, TEST_MS);

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") await screenshot(task.name);
    await Promise.all([...new Set(contexts.map(({ context }) => context))].map((context) => context.close()));
    contexts = [];
    const errors = pageErrors;
    pageErrors = [];
    expect(errors, "uncaught errors in the page").toEqual([]);
  });

  afterAll(async () => {
    await closeAllClients();
    await browser?.close();
    await server?.stop();
  }, TEST_MS);

  /** Opens the chat in a fresh context: its own storage and connection, like a separate person. */
  async function openChat(label: string, query = "", options: { websocket?: boolean; path?: string } = {}): Promise<Page> {
    if (!browser || !server) throw new Error("the suite's setup failed; see beforeAll");
    const context = await browser.newContext();
    if (options.websocket === false) await context.addCookies([{ ...NO_WEBSOCKET_COOKIE, url: server.url }]);
    return openPage(context, label, `${server.url}/${options.path ?? query}`);
  }

  /** Opens the chat in another tab of `page`'s context: the same person. */
  async function openTab(page: Page, label: string): Promise<Page> {
    return openPage(page.context(), label, `${server!.url}/`);
  }

  async function openPage(context: BrowserContext, label: string, url: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => pageErrors.push(`${label}: ${error.message}`));
    contexts.push({ context, page, label });
    await page.goto(url);
    return page;
  }

  async function joinRoom(page: Page, name: string, room: string): Promise<void> {
    await page.getByTestId("name").fill(name);
    await page.getByTestId("room").fill(room);
    await page.getByTestId("join").click();
  }

  async function expectJoined(page: Page): Promise<void> {
    await page.waitForSelector('[data-testid="composer"]:enabled');
    await expect.poll(() => page.getByTestId("status").textContent(), { timeout: WAIT_MS }).toBe("connected");
    // The join reply names the node serving the page; the status shows it.
    expect(await page.getByTestId("status").getAttribute("data-node")).toBe(server!.endpoint.pubsub.nodeName);
  }

  async function expectTranscript(page: Page, lines: string[]): Promise<void> {
    await expect.poll(() => transcript(page), { timeout: WAIT_MS }).toEqual(lines);
  }

  /** Saves every open page of a failed test, so a CI failure can be looked at. */
  async function screenshot(testName: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "fenix-chat-"));
    for (const { page, label } of contexts) {
      const path = join(dir, `${label}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.warn(`"${testName}" failed; ${label}'s page: ${path}`);
    }
  }

  /** A room of its own per test, so no test sees another's messages (or a stored history). */
  const freshRoom = (): string => `test-${randomUUID().slice(0, 8)}`;

  it(
    "delivers each message to everyone in the room, sender included",
    async () => {
      const room = freshRoom();
      const [alice, bob] = await Promise.all([openChat("alice"), openChat("bob")]);
      await joinRoom(alice, "alice", room);
      await joinRoom(bob, "bob", room);
      await Promise.all([expectJoined(alice), expectJoined(bob)]);

      await say(alice, "hello bob");
      await expectTranscript(bob, ["alice: hello bob"]);
      await expectTranscript(alice, ["alice: hello bob"]);
      await expect.poll(() => alice.getByTestId("composer").inputValue()).toBe("");

      await bob.getByTestId("composer").fill("hi alice, good to see you");
      await bob.getByTestId("send").click();
      const both = ["alice: hello bob", "bob: hi alice, good to see you"];
      await expectTranscript(alice, both);
      await expectTranscript(bob, both);
    },
    TEST_MS,
  );

  it(
    "shows the room's last messages to a page that joins later",
    async () => {
      const room = freshRoom();
      const alice = await openChat("alice-first");
      await joinRoom(alice, "alice", room);
      await expectJoined(alice);
      await say(alice, "one");
      await expectTranscript(alice, ["alice: one"]);
      await say(alice, "two");
      await expectTranscript(alice, ["alice: one", "alice: two"]);

      // The join reply carries them: nothing is sent after it but live messages.
      const bob = await openChat("bob-later");
      await joinRoom(bob, "bob", room);
      await expectJoined(bob);
      await expectTranscript(bob, ["alice: one", "alice: two"]);
      await say(bob, "three");
      await expectTranscript(alice, ["alice: one", "alice: two", "bob: three"]);
      await expectTranscript(bob, ["alice: one", "alice: two", "bob: three"]);
    },
    TEST_MS,
  );

  it(
    "shows a tab that lost its connection every message sent meanwhile, once and in order",
    async () => {
      if (!server) throw new Error("the suite's setup failed; see beforeAll");
      const room = freshRoom();
      const ada = await openChat("ada-reconnecting");
      // ada's WebSockets go through the test, which can cut them and keep her offline.
      const network = await cuttableWebSockets(ada);
      await joinRoom(ada, "ada", room);
      await expectJoined(ada);
      // Someone else talks through the official client, from Node.
      const bob = (await connectSocket(`${server.url.replace(/^http/, "ws")}/socket`)).channel(`room:${room}`, { name: "bob" });
      expect((await joinChannel(bob)).status).toBe("ok");
      const bobSays = async (body: string) => expect((await push(bob, "new_msg", { body })).status).toBe("ok");
      await bobSays("before");
      await expectTranscript(ada, ["bob: before"]);
      await ada.getByTestId("message").first().evaluate((item) => (item.dataset.kept = "yes"));

      await network.goOffline();
      await expect.poll(() => ada.getByTestId("status").textContent(), { timeout: WAIT_MS }).toBe("reconnecting");
      // More than the 50 a join reply carries: only a recovery from ada's position brings them all.
      const missed = Array.from({ length: 60 }, (_, i) => `missed ${i + 1}`);
      for (const body of missed) await bobSays(body);

      network.goOnline();
      await expectJoined(ada);
      const expected = ["bob: before", ...missed.map((body) => `bob: ${body}`)];
      await expectTranscript(ada, expected);
      // Recovered: the page kept what it showed (the same element), and added the missed messages to it.
      expect(await ada.getByTestId("message").first().getAttribute("data-kept")).toBe("yes");

      await say(ada, "back again");
      await expectTranscript(ada, [...expected, "ada: back again"]);
      await bobSays("welcome back");
      await expectTranscript(ada, [...expected, "ada: back again", "bob: welcome back"]);
    },
    TEST_MS,
  );

  it(
    "chats between the page on fenix/client and a page on the official phoenix client",
    async () => {
      if (!server) throw new Error("the suite's setup failed; see beforeAll");
      const room = freshRoom();
      server.endpoint.static("/official", OFFICIAL_PAGE);
      const fenix = await openChat("fenix-client");
      await joinRoom(fenix, "fen", room);
      await expectJoined(fenix);
      const official = await openChat("official-client", "", { path: `official/index.html?room=${room}&name=phil` });
      await expect.poll(() => official.getByTestId("state").textContent(), { timeout: WAIT_MS }).toBe("joined");

      await say(fenix, "hello from fenix/client");
      await official.evaluate(() => (window as unknown as { say(body: string): Promise<unknown> }).say("hello from phoenix.js"));
      const both = ["fen: hello from fenix/client", "phil: hello from phoenix.js"];
      await expectTranscript(fenix, both);
      await expect.poll(() => official.getByTestId("messages").locator("li").allTextContents(), { timeout: WAIT_MS }).toEqual(both);
      // Presence agrees on both clients.
      await expect.poll(() => fenix.getByTestId("online-person").allTextContents(), { timeout: WAIT_MS }).toEqual(["fen", "phil"]);
      await expect.poll(() => official.getByTestId("online").locator("li").allTextContents(), { timeout: WAIT_MS }).toEqual(["fen×1", "phil×1"]);

      // The official page sends no identity: it may not take the name of a person on fenix/client.
      const impostor = await openChat("official-impostor", "", { path: `official/index.html?room=${room}&name=fen` });
      await expect.poll(() => impostor.getByTestId("state").textContent(), { timeout: WAIT_MS }).toBe('refused: {"reason":"name_taken","name":"fen"}');
    },
    TEST_MS,
  );

  it(
    "shows who is online, with the number of tabs of each person, and updates as people leave",
    async () => {
      const room = freshRoom();
      const [ann1, bob] = await Promise.all([openChat("ann-1"), openChat("bob")]);
      const ann2 = await openTab(ann1, "ann-2");
      for (const [page, name] of [[ann1, "ann"], [ann2, "ann"], [bob, "bob"]] as const) {
        await joinRoom(page, name, room);
        await expectJoined(page);
      }
      const online = (page: Page) => page.getByTestId("online-person").allTextContents();
      await expect.poll(() => online(bob), { timeout: WAIT_MS }).toEqual(["ann · 2 tabs", "bob"]);
      expect(await bob.getByTestId("online-count").textContent()).toBe("2 people online");

      await ann2.getByRole("button", { name: "Leave" }).click();
      await expect.poll(() => online(bob), { timeout: WAIT_MS }).toEqual(["ann", "bob"]);
      await bob.getByRole("button", { name: "Leave" }).click();
      await expect.poll(() => online(ann1), { timeout: WAIT_MS }).toEqual(["ann"]);
      expect(await ann1.getByTestId("online-count").textContent()).toBe("1 person online");
    },
    TEST_MS,
  );

  it(
    "falls back to LongPoll when the WebSocket upgrade is refused, and chats with a WebSocket tab",
    async () => {
      const room = freshRoom();
      const [polling, direct] = await Promise.all([openChat("polling", "", { websocket: false }), openChat("direct")]);
      await joinRoom(polling, "paula", room);
      await joinRoom(direct, "walt", room);
      await Promise.all([expectJoined(polling), expectJoined(direct)]);
      expect(await polling.getByTestId("status").getAttribute("data-transport")).toBe("longpoll");
      expect(await direct.getByTestId("status").getAttribute("data-transport")).toBe("websocket");

      await say(polling, "hello over long polling");
      await expectTranscript(direct, ["paula: hello over long polling"]);
      await say(direct, "hello over a WebSocket");
      const both = ["paula: hello over long polling", "walt: hello over a WebSocket"];
      await expectTranscript(polling, both);
      await expectTranscript(direct, both);
    },
    TEST_MS,
  );

  it(
    "shows the name limit while the name is typed, and disables Join past it",
    async () => {
      const page = await openChat("name-limit");
      expect(await page.getByTestId("name-hint").textContent()).toContain("Up to 32 characters");
      const counter = page.getByTestId("name-counter");
      const join = page.getByTestId("join");

      await page.getByTestId("name").fill("x".repeat(32));
      expect(await counter.textContent()).toBe("32/32");
      expect(await join.isEnabled()).toBe(true);

      await page.getByTestId("name").fill("x".repeat(34));
      expect(await counter.textContent()).toBe("34/32: 2 characters too many");
      expect(await join.isDisabled()).toBe(true);
      expect(await page.getByTestId("name").getAttribute("aria-invalid")).toBe("true");
      await page.getByTestId("name").press("Enter");
      expect(await page.getByTestId("error").isHidden()).toBe(true);
      expect(await page.getByTestId("status").textContent()).toBe("disconnected");

      // Counted in characters as the server counts them: 32 emoji (64 UTF-16 units) are a valid name.
      const emoji = "🦊".repeat(32);
      await page.getByTestId("name").fill(emoji);
      expect(await counter.textContent()).toBe("32/32");
      await joinRoom(page, emoji, freshRoom());
      await expectJoined(page);
    },
    TEST_MS,
  );

  it(
    "refuses a name someone else in the room uses, and says so on the join form",
    async () => {
      const room = freshRoom();
      const [ada, other] = await Promise.all([openChat("ada"), openChat("another-ada")]);
      await joinRoom(ada, "ada", room);
      await expectJoined(ada);

      for (const name of ["ada", "ADA"]) {
        await joinRoom(other, name, room);
        const error = other.getByTestId("error");
        await error.waitFor({ state: "visible" });
        expect(await error.textContent()).toBe(`Someone else in #${room} is called ada — pick another name.`);
        await other.getByTestId("join").waitFor({ state: "visible" });
        expect(await other.getByTestId("composer").isDisabled()).toBe(true);
      }
      const online = (page: Page) => page.getByTestId("online-person").allTextContents();
      expect(await online(ada)).toEqual(["ada"]);

      await joinRoom(other, "ada lovelace", room);
      await expectJoined(other);
      await expect.poll(() => online(ada), { timeout: WAIT_MS }).toEqual(["ada", "ada lovelace"]);

      // Another tab of the first browser is the same person: it shares the name.
      const adaAgain = await openTab(ada, "ada-tab-2");
      await joinRoom(adaAgain, "ada", room);
      await expectJoined(adaAgain);
      await expect.poll(() => online(other), { timeout: WAIT_MS }).toEqual(["ada · 2 tabs", "ada lovelace"]);
    },
    TEST_MS,
  );

  it(
    "goes back to the join form when a rejoin is refused because someone else took the name meanwhile",
    async () => {
      const room = freshRoom();
      const [ada, other] = await Promise.all([openChat("ada-offline"), openChat("new-ada")]);
      // ada's WebSockets go through the test, which can cut them and keep her offline.
      const network = await cuttableWebSockets(ada);
      await joinRoom(ada, "ada", room);
      await expectJoined(ada);

      await network.goOffline();
      await expect.poll(() => server!.presence.get(`room:${room}`, "ada"), { timeout: WAIT_MS }).toBeUndefined();
      await joinRoom(other, "ada", room);
      await expectJoined(other);

      network.goOnline();
      const error = ada.getByTestId("error");
      await error.waitFor({ state: "visible" });
      expect(await error.textContent()).toBe(`Someone else in #${room} is called ada — pick another name.`);
      await ada.getByTestId("join").waitFor({ state: "visible" });
      expect(await other.getByTestId("online-person").allTextContents()).toEqual(["ada"]);
    },
    TEST_MS,
  );

  it(
    "disables Send while the draft is over the limit, says why, and keeps the draft",
    async () => {
      const page = await openChat("long-message");
      await joinRoom(page, "carol", freshRoom());
      await expectJoined(page);
      const send = page.getByTestId("send");
      const counter = page.getByTestId("counter");

      await page.getByTestId("composer").fill("y".repeat(1900));
      expect(await counter.textContent()).toBe("100 characters left");
      expect(await send.isEnabled()).toBe(true);

      const draft = "y".repeat(2001);
      await page.getByTestId("composer").fill(draft);
      expect(await send.isDisabled()).toBe(true);
      expect(await counter.textContent()).toBe("1 character over the 2000-character limit: shorten the message to send it");
      expect(await counter.isVisible()).toBe(true);
      await page.getByTestId("composer").press("Enter");
      expect(await page.getByTestId("composer").inputValue()).toBe(draft);

      // Two emoji are two characters for the server, as for the counter.
      await page.getByTestId("composer").fill(`${"y".repeat(1998)}🦊🦊`);
      expect(await send.isEnabled()).toBe(true);
      await send.click();
      await expect.poll(() => transcript(page), { timeout: WAIT_MS }).toEqual([`carol: ${"y".repeat(1998)}🦊🦊`]);
      expect(await page.getByTestId("error").isHidden()).toBe(true);
    },
    TEST_MS,
  );

  it(
    "makes http(s) URLs in messages links that open in a new tab, and leaves other schemes as text",
    async () => {
      const page = await openChat("links");
      await joinRoom(page, "linus", freshRoom());
      await expectJoined(page);

      const body = "docs: https://example.com/a?b=1&c=2, and (see http://en.wikipedia.org/wiki/Ada_(programming_language)). not javascript:alert(1) nor data:text/html,hi nor www.example.org";
      await say(page, body);
      await expectTranscript(page, [`linus: ${body}`]);
      const links = await page.locator('[data-testid="message"] .body a').evaluateAll((anchors) =>
        anchors.map((a) => ({ href: a.getAttribute("href"), text: a.textContent, target: a.getAttribute("target"), rel: a.getAttribute("rel") })),
      );
      expect(links).toEqual([
        { href: "https://example.com/a?b=1&c=2", text: "https://example.com/a?b=1&c=2", target: "_blank", rel: "noopener noreferrer" },
        {
          href: "http://en.wikipedia.org/wiki/Ada_(programming_language)",
          text: "http://en.wikipedia.org/wiki/Ada_(programming_language)",
          target: "_blank",
          rel: "noopener noreferrer",
        },
      ]);

      await say(page, "javascript:alert(document.title='owned') JAVASCRIPT://example.com/%0aalert(1)");
      await expect.poll(() => transcript(page).then((lines) => lines.length), { timeout: WAIT_MS }).toBe(2);
      expect(await page.getByTestId("message").nth(1).locator("a").count()).toBe(0);
      expect(await page.title()).not.toBe("owned");
    },
    TEST_MS,
  );

  it(
    "renders message bodies as text, never as markup",
    async () => {
      const page = await openChat("markup");
      await joinRoom(page, "<b>dave</b>", freshRoom());
      await expectJoined(page);

      const body = `<img src="x" onerror="document.title='owned'"><em>hi</em>`;
      await say(page, body);
      await expectTranscript(page, [`<b>dave</b>: ${body}`]);
      expect(await page.locator('[data-testid="messages"] img, [data-testid="messages"] em').count()).toBe(0);
      expect(await page.title()).not.toBe("owned");
    },
    TEST_MS,
  );

  it(
    "preselects the room from ?room= and remembers the name on the next visit",
    async () => {
      const room = freshRoom();
      const page = await openChat("returning", `?room=${room}`);
      expect(await page.getByTestId("room").inputValue()).toBe(room);

      await page.getByTestId("name").fill("erin");
      await page.getByTestId("join").click();
      await expectJoined(page);

      await page.reload();
      expect(await page.getByTestId("name").inputValue()).toBe("erin");
      expect(await page.getByTestId("room").inputValue()).toBe(room);
    },
    TEST_MS,
  );
});

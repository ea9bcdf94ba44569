// The chat demo's dashboard wiring: `npm start` turns the dashboard and /metrics on (DASHBOARD=off leaves
// them out), for this machine only unless DASHBOARD_PASSWORD lets others in with it.
import { afterEach, describe, expect, it } from "vitest";
import { optionsFromEnv, startChatServer, type ChatServer } from "../../../examples/chat/server.js";
import { silentLogger } from "../../../src/index.js";

let chat: ChatServer | undefined;
afterEach(async () => {
  await chat?.stop();
  chat = undefined;
});

const forwarded = { "x-forwarded-for": "203.0.113.7" };

describe("the chat demo", () => {
  it("reads the dashboard switches from the environment", () => {
    expect(optionsFromEnv({}).dashboard).toEqual({});
    expect(optionsFromEnv({ DASHBOARD_PASSWORD: "pw" }).dashboard).toEqual({ password: "pw" });
    expect(optionsFromEnv({ DASHBOARD: "off", DASHBOARD_PASSWORD: "pw" }).dashboard).toBe(false);
  });

  it("serves the dashboard and the metrics to this machine, and refuses others without the password", async () => {
    chat = await startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger, dashboard: true });
    expect(chat.dashboardUrl).toBe(`${chat.url}/dashboard`);
    expect((await fetch(chat.dashboardUrl!)).status).toBe(200);
    expect((await fetch(`${chat.url}/metrics`)).status).toBe(200);
    expect((await fetch(chat.dashboardUrl!, { headers: forwarded })).status).toBe(403);
    expect((await fetch(`${chat.url}/metrics`, { headers: forwarded })).status).toBe(403);
  });

  it("lets other machines in with DASHBOARD_PASSWORD", async () => {
    chat = await startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger, dashboard: { password: "pw" } });
    expect((await fetch(`${chat.dashboardUrl!}?token=pw`, { headers: forwarded })).status).toBe(200);
    expect((await fetch(`${chat.url}/metrics`, { headers: { ...forwarded, authorization: "Bearer pw" } })).status).toBe(200);
    expect((await fetch(`${chat.dashboardUrl!}?token=nope`, { headers: forwarded })).status).toBe(403);
  });

  it("has no dashboard unless asked (tests of the chat run without one)", async () => {
    chat = await startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger });
    expect(chat.dashboardUrl).toBeUndefined();
    expect((await fetch(`${chat.url}/dashboard`)).status).toBe(404);
  });
});

/**
 * The default origin check over a real endpoint: a DNS-rebinding upgrade (a hostile page whose `Origin` and
 * `Host` both name the attacker's domain) is refused with 403, while loopback origins, the endpoint's
 * configured `hosts` and clients without an `Origin` are served.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { ClientErrors, closeRawResources, play, RawClient, refusedStatus, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

/** Proves a connection is served: a heartbeat gets its exact reply. */
async function expectServed(client: RawClient): Promise<void> {
  await play(
    client,
    `
    C→S [null,"hb","phoenix","heartbeat",{}]
    S→C [null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]
    `,
  );
}

const REBINDING = { Origin: "http://evil.example", Host: "evil.example" };

describe("checkOrigin: true against DNS rebinding", () => {
  it("refuses an upgrade whose Origin names the request's own Host when that host is not configured", async () => {
    const server = await serveRaw();
    const errors = new ClientErrors(server);
    expect(await refusedStatus(server.websocketUrl, { headers: REBINDING })).toBe(403);
    expect((await errors.next()).error.code).toBe(ServerErrorCode.ORIGIN_REFUSED);
    const port = new URL(server.httpUrl).port;
    expect(await refusedStatus(server.websocketUrl, { headers: { Origin: `http://evil.example:${port}`, Host: `evil.example:${port}` } })).toBe(403);
  });

  it("serves loopback origins and clients without an Origin when no hosts are configured", async () => {
    const server = await serveRaw();
    for (const Origin of ["http://127.0.0.1:5173", "http://localhost:4000", "http://[::1]"]) {
      await expectServed(await RawClient.connect(server.websocketUrl, { headers: { Origin } }));
    }
    await expectServed(await RawClient.connect(server.websocketUrl, { headers: { Host: "evil.example" } }));
  });

  it("serves a configured host, whatever the Host header, and still refuses the rebinding origin", async () => {
    const server = await serveRaw({ hosts: ["chat.example.com"] });
    await expectServed(await RawClient.connect(server.websocketUrl, { headers: { Origin: "https://chat.example.com", Host: "chat.example.com" } }));
    await expectServed(await RawClient.connect(server.websocketUrl, { headers: { Origin: "http://chat.example.com:8080" } }));
    expect(await refusedStatus(server.websocketUrl, { headers: REBINDING })).toBe(403);
  });

  it("lets a socket's own checkOrigin list replace the default", async () => {
    const server = await serveRaw({ hosts: ["chat.example.com"] }, { checkOrigin: ["https://evil.example"] });
    await expectServed(await RawClient.connect(server.websocketUrl, { headers: { Origin: "https://evil.example", Host: "evil.example" } }));
    expect(await refusedStatus(server.websocketUrl, { headers: { Origin: "https://chat.example.com" } })).toBe(403);
  });
});

// Connection-level behaviour over raw sockets: which handshakes are accepted (subprotocol, origins), the
// forced disconnect by socket id, and the idle timeout.
import { afterEach, describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { ClientErrors, closeRawResources, play, RawClient, refusedStatus, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

/** Proves a connection is served: a heartbeat gets its exact reply. */
async function expectHeartbeat(client: RawClient, ref = "hb"): Promise<void> {
  await play(
    client,
    `
    C→S [null,"${ref}","phoenix","heartbeat",{}]
    S→C [null,"${ref}","phoenix","phx_reply",{"status":"ok","response":{}}]
    `,
  );
}

describe("the handshake", () => {
  it("echoes the phoenix subprotocol when offered", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl, { protocols: ["phoenix"] });
    expect(client.protocol).toBe("phoenix");
    await expectHeartbeat(client);
  });

  it("selects no subprotocol when none is offered", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    expect(client.protocol).toBe("");
    await expectHeartbeat(client);
  });

  it("accepts a loopback origin, whatever its port, and a request without an Origin", async () => {
    const server = await serveRaw();
    const port = new URL(server.httpUrl).port;
    for (const origin of [`http://127.0.0.1:${port}`, "https://127.0.0.1:9"]) {
      await expectHeartbeat(await RawClient.connect(server.websocketUrl, { headers: { Origin: origin } }));
    }
    await expectHeartbeat(await RawClient.connect(server.websocketUrl));
  });

  it("accepts any origin with checkOrigin: false", async () => {
    const server = await serveRaw({ checkOrigin: false });
    await expectHeartbeat(await RawClient.connect(server.websocketUrl, { headers: { Origin: "https://elsewhere.example" } }));
  });

  it("accepts the origins of an allow-list and refuses the others", async () => {
    const server = await serveRaw({ checkOrigin: ["https://app.example.com", "//*.trusted.example"] });
    for (const origin of ["https://app.example.com", "https://a.trusted.example", "http://trusted.example"]) {
      await expectHeartbeat(await RawClient.connect(server.websocketUrl, { headers: { Origin: origin } }));
    }
    for (const origin of ["http://app.example.com", "https://app.example.com:8443", "https://evil.example", `http://127.0.0.1`]) {
      expect(await refusedStatus(server.websocketUrl, { headers: { Origin: origin } }), origin).toBe(403);
    }
  });

  it("accepts the socket's connect params and ids it by them", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl, { params: { user: "ann" } });
    await play(
      client,
      `
      C→S ["1","1","echo:p","phx_join",{}]
      S→C ["1","1","echo:p","phx_reply",{"status":"ok","response":{"joined":"echo:p","user":"ann"}}]
      `,
    );
  });
});

describe("the forced disconnect", () => {
  it("closes every connection with the socket id with 1001 and leaves the others open", async () => {
    const server = await serveRaw();
    const alice = await RawClient.connect(server.websocketUrl, { params: { user: "alice" } });
    const aliceAgain = await RawClient.connect(server.websocketUrl, { params: { user: "alice" } });
    const bob = await RawClient.connect(server.websocketUrl, { params: { user: "bob" } });
    const anonymous = await RawClient.connect(server.websocketUrl);

    server.endpoint.disconnect("user_socket:alice");
    expect(await alice.closed()).toEqual({ code: 1001, reason: "disconnected" });
    expect(await aliceAgain.closed()).toEqual({ code: 1001, reason: "disconnected" });
    await expectHeartbeat(bob);
    await expectHeartbeat(anonymous);
    await bob.expectSilence();
  });

  it("works from inside a channel, broadcasting disconnect on the id", async () => {
    const server = await serveRaw();
    const alice = await RawClient.connect(server.websocketUrl, { params: { user: "alice" } });
    const bob = await RawClient.connect(server.websocketUrl, { params: { user: "bob" } });
    await play(
      bob,
      `
      C→S ["1","1","echo:admin","phx_join",{}]
      S→C ["1","1","echo:admin","phx_reply",{"status":"ok","response":{"joined":"echo:admin","user":"bob"}}]
      C→S ["1","2","echo:admin","disconnect_me",{"id":"user_socket:alice"}]
      S→C ["1","2","echo:admin","phx_reply",{"status":"ok","response":{}}]
      `,
    );
    expect(await alice.closed()).toEqual({ code: 1001, reason: "disconnected" });
    await expectHeartbeat(bob);
  });
});

describe("the idle timeout (idleTimeoutMs: 200)", () => {
  it("closes a silent connection with 1001 and reports FENIX_ERR_SERVER_IDLE_TIMEOUT", async () => {
    const server = await serveRaw({}, { idleTimeoutMs: 200 });
    const errors = new ClientErrors(server);
    const client = await RawClient.connect(server.websocketUrl);
    expect(await client.closed()).toEqual({ code: 1001, reason: ServerErrorCode.IDLE_TIMEOUT });
    const { error } = await errors.next();
    expect(error.code).toBe(ServerErrorCode.IDLE_TIMEOUT);
    expect(error.status).toBe(1001);
  });

  it("keeps a connection that sends a heartbeat every 50 ms open past 400 ms", async () => {
    const server = await serveRaw({}, { idleTimeoutMs: 200 });
    const errors = new ClientErrors(server);
    const client = await RawClient.connect(server.websocketUrl);
    const started = Date.now();
    for (let n = 1; Date.now() - started < 450; n++) {
      await expectHeartbeat(client, String(n));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.isOpen).toBe(true);
    expect(errors.all).toEqual([]);
  });
});

// A fenix-client and the official phoenix client in one topic see each other's broadcasts.
import { afterEach, beforeEach, expect, it } from "vitest";
import { closeAllClients, connectSocket as connectPhoenix, join, push, recordEvent } from "../../support/phoenix-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { Recorder, channel, closeAll, connectSocket } from "./helpers.js";

let server: TestEndpoint;

beforeEach(async () => {
  server = await startTestEndpoint();
});

afterEach(async () => {
  await closeAll();
  await closeAllClients();
  await server.stop();
});

it("a fenix-client and an official client on one topic see each other's broadcasts", async () => {
  const fenixSocket = await connectSocket(server.socketUrl, { params: { user: "fenix" } });
  const fenix = channel(fenixSocket, "echo:mixed");
  await fenix.join();
  const fenixSeen = new Recorder<unknown>();
  fenix.on("shout", fenixSeen.record);

  const phoenixSocket = await connectPhoenix(server.socketUrl, { params: { user: "phx" } });
  const official = phoenixSocket.channel("echo:mixed");
  expect((await join(official)).status).toBe("ok");
  const officialSeen = recordEvent(official, "shout");

  await fenix.push("broadcast", { event: "shout", payload: { from: "fenix" } });
  expect((await push(official, "broadcast", { event: "shout", payload: { from: "phoenix" } })).status).toBe("ok");

  expect(await fenixSeen.waitFor(2)).toEqual([{ from: "fenix" }, { from: "phoenix" }]);
  expect(await officialSeen.waitFor(2)).toEqual([{ from: "fenix" }, { from: "phoenix" }]);
});

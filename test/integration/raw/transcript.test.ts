// The reference transcript (phoenix-protocol.md §3.13, without presence) replayed frame by frame over a raw
// V2 socket: join, push with broadcast, heartbeat, leave — every server frame compared as exact JSON text.
import { afterEach, describe, it } from "vitest";
import { closeRawResources, play, RawClient, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

describe("a V2 connection", () => {
  it("plays the join, push, heartbeat and leave transcript with exact frames in order", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await play(
      client,
      `
      C→S ["3","3","echo:42","phx_join",{"last_seen":17}]
      S→C ["3","3","echo:42","phx_reply",{"status":"ok","response":{"joined":"echo:42","user":null}}]
      C→S ["3","5","echo:42","broadcast",{"event":"new_msg","payload":{"body":"hi"}}]
      S→C [null,null,"echo:42","new_msg",{"body":"hi"}]
      S→C ["3","5","echo:42","phx_reply",{"status":"ok","response":{}}]
      C→S [null,"6","phoenix","heartbeat",{}]
      S→C [null,"6","phoenix","phx_reply",{"status":"ok","response":{}}]
      C→S ["3","8","echo:42","phx_leave",{}]
      S→C ["3","8","echo:42","phx_reply",{"status":"ok","response":{}}]
      S→C ["3","3","echo:42","phx_close",{}]
      `,
    );
    await client.expectSilence();
  });

  it("forgets a left topic: a later push to it is an unmatched topic", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await play(
      client,
      `
      C→S ["3","3","echo:42","phx_join",{}]
      S→C ["3","3","echo:42","phx_reply",{"status":"ok","response":{"joined":"echo:42","user":null}}]
      C→S ["3","4","echo:42","phx_leave",{}]
      S→C ["3","4","echo:42","phx_reply",{"status":"ok","response":{}}]
      S→C ["3","3","echo:42","phx_close",{}]
      C→S ["3","5","echo:42","ping",{}]
      S→C [null,"5","echo:42","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });
});

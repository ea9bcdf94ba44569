// How the connection process dispatches each inbound frame (phoenix-protocol.md §3.3–§3.9): unmatched topics,
// leaves, stale join_refs, duplicate joins, join ordering, channel termination and the channel limit.
import { afterEach, describe, it } from "vitest";
import { closeRawResources, joinEcho, play, RawClient, serveRaw, SILENCE_MS } from "../../support/raw-client.js";

afterEach(closeRawResources);

async function connect(socketOptions = {}): Promise<RawClient> {
  const server = await serveRaw({}, socketOptions);
  return RawClient.connect(server.websocketUrl);
}

describe("unmatched topics and leaves", () => {
  it("answers a join with no route with an unmatched-topic error and a null join_ref", async () => {
    await play(
      await connect(),
      `
      C→S ["1","1","nowhere:1","phx_join",{}]
      S→C [null,"1","nowhere:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });

  it("answers a push to a topic it has not joined with an unmatched-topic error and a null join_ref", async () => {
    await play(
      await connect(),
      `
      C→S ["7","2","echo:x","ping",{}]
      S→C [null,"2","echo:x","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });

  it("acknowledges a leave for an unknown topic, echoing its join_ref", async () => {
    await play(
      await connect(),
      `
      C→S ["9","3","echo:none","phx_leave",{}]
      S→C ["9","3","echo:none","phx_reply",{"status":"ok","response":{}}]
      `,
    );
  });
});

describe("join_refs", () => {
  it("drops a push with a stale join_ref without a reply", async () => {
    const client = await connect();
    await joinEcho(client, "echo:a", "2");
    // The channel answers in order, so had the stale push reached it, its reply would come before "4"'s.
    await play(
      client,
      `
      C→S ["1","3","echo:a","ping",{"stale":true}]
      C→S [null,"hb","phoenix","heartbeat",{}]
      S→C [null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]
      C→S ["2","4","echo:a","ping",{"stale":false}]
      S→C ["2","4","echo:a","phx_reply",{"status":"ok","response":{"stale":false}}]
      `,
    );
    await client.expectSilence();
  });

  it("ignores a leave with a stale join_ref: no reply, and the channel stays joined", async () => {
    const client = await connect();
    await joinEcho(client, "echo:a", "2");
    await play(
      client,
      `
      C→S ["1","3","echo:a","phx_leave",{}]
      C→S ["2","4","echo:a","ping",{}]
      S→C ["2","4","echo:a","phx_reply",{"status":"ok","response":{}}]
      `,
    );
    await client.expectSilence();
  });

  it("accepts a push with a null join_ref and stamps the reply with the channel's join_ref", async () => {
    const client = await connect();
    await joinEcho(client, "echo:a", "2");
    await play(
      client,
      `
      C→S [null,"3","echo:a","ping",{"x":1}]
      S→C ["2","3","echo:a","phx_reply",{"status":"ok","response":{"x":1}}]
      `,
    );
  });
});

describe("a duplicate join", () => {
  it("replies to the new join first, then closes the old join_ref; the old incarnation says nothing more", async () => {
    const client = await connect();
    await joinEcho(client, "echo:dup", "1");
    // Both answers of the old incarnation are still pending when the new join replaces it.
    await play(
      client,
      `
      C→S ["1","2","echo:dup","slow",{"ms":100}]
      C→S ["1","3","echo:dup","async_reply",{"ms":100}]
      C→S ["4","4","echo:dup","phx_join",{}]
      S→C ["4","4","echo:dup","phx_reply",{"status":"ok","response":{"joined":"echo:dup","user":null}}]
      S→C ["1","1","echo:dup","phx_close",{}]
      `,
    );
    await client.expectSilence(SILENCE_MS + 100);
    await play(
      client,
      `
      C→S ["4","5","echo:dup","ping",{}]
      S→C ["4","5","echo:dup","phx_reply",{"status":"ok","response":{}}]
      `,
    );
  });
  it("closes the old join_ref after the new join's error reply when the new join is refused", async () => {
    await play(
      await connect(),
      `
      C→S ["1","1","auth:d","phx_join",{"token":"secret"}]
      S→C ["1","1","auth:d","phx_reply",{"status":"ok","response":{}}]
      C→S ["2","2","auth:d","phx_join",{"token":"wrong"}]
      S→C ["2","2","auth:d","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]
      S→C ["1","1","auth:d","phx_close",{}]
      C→S ["2","3","auth:d","ping",{}]
      S→C [null,"3","auth:d","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });
});

describe("join ordering", () => {
  it("sends the join reply before anything the new channel pushes", async () => {
    await play(
      await connect(),
      `
      C→S ["1","1","echo:aj","phx_join",{"after_join":true}]
      S→C ["1","1","echo:aj","phx_reply",{"status":"ok","response":{"joined":"echo:aj","user":null}}]
      S→C ["1",null,"echo:aj","welcome",{"topic":"echo:aj"}]
      `,
    );
  });

  it("holds a topic's messages until its slow join finishes, while answering heartbeats at once", async () => {
    const client = await connect();
    await play(
      client,
      `
      C→S ["1","1","slow:1","phx_join",{"ms":300}]
      C→S ["1","2","slow:1","first",{"n":1}]
      C→S [null,"3","phoenix","heartbeat",{}]
      C→S ["1","4","slow:1","second",{"n":2}]
      S→C [null,"3","phoenix","phx_reply",{"status":"ok","response":{}}]
      S→C ["1","1","slow:1","phx_reply",{"status":"ok","response":{"slow":true}}]
      S→C ["1","2","slow:1","phx_reply",{"status":"ok","response":{"event":"first","payload":{"n":1}}}]
      S→C ["1","4","slow:1","phx_reply",{"status":"ok","response":{"event":"second","payload":{"n":2}}}]
      `,
    );
    await client.expectSilence();
  });

  it("handles a leave sent during a slow join after the join: join reply, leave reply, phx_close", async () => {
    await play(
      await connect(),
      `
      C→S ["1","1","slow:1","phx_join",{"ms":100}]
      C→S ["1","2","slow:1","phx_leave",{}]
      S→C ["1","1","slow:1","phx_reply",{"status":"ok","response":{"slow":true}}]
      S→C ["1","2","slow:1","phx_reply",{"status":"ok","response":{}}]
      S→C ["1","1","slow:1","phx_close",{}]
      `,
    );
  });

  // Per topic: joins of different topics run side by side, so their frames may interleave.
  it.each([
    ["crashy:1", '{"reason":"join crashed"}'],
    ["auth:1", '{"reason":"unauthorized"}'],
  ])("answers pushes queued behind a failed join of %s as unmatched topic", async (topic, response) => {
    await play(
      await connect(),
      `
      C→S ["1","1","${topic}","phx_join",{}]
      C→S ["1","2","${topic}","ping",{}]
      S→C ["1","1","${topic}","phx_reply",{"status":"error","response":${response}}]
      S→C [null,"2","${topic}","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });
});

describe("join outcomes", () => {
  it("replies with the channel's error to a refused join", async () => {
    await play(
      await connect(),
      `
      C→S ["1","1","auth:1","phx_join",{"token":"wrong"}]
      S→C ["1","1","auth:1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]
      C→S ["2","2","auth:1","phx_join",{"token":"secret"}]
      S→C ["2","2","auth:1","phx_reply",{"status":"ok","response":{}}]
      `,
    );
  });

  it("replies join crashed when the join throws", async () => {
    const client = await connect();
    await play(
      client,
      `
      C→S ["1","1","crashy:1","phx_join",{}]
      S→C ["1","1","crashy:1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]
      `,
    );
    await client.expectSilence();
  });
});

describe("channel termination", () => {
  it("sends phx_error with reason channel_crash and ref = join_ref when the channel crashes", async () => {
    const client = await connect();
    await joinEcho(client, "echo:c", "5");
    await play(
      client,
      `
      C→S ["5","6","echo:c","crash",{}]
      S→C ["5","5","echo:c","phx_error",{"reason":"channel_crash"}]
      C→S ["5","7","echo:c","ping",{}]
      S→C [null,"7","echo:c","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      `,
    );
  });

  it.each([
    ["normal", "phx_close", "{}"],
    ["shutdown", "phx_close", "{}"],
    ["boom", "phx_error", '{"reason":"channel_crash"}'],
  ])("on stop(%s) sends %s with ref = join_ref and no reply", async (reason, event, payload) => {
    const client = await connect();
    await joinEcho(client, "echo:s", "5");
    await play(
      client,
      `
      C→S ["5","6","echo:s","stop",{"reason":"${reason}"}]
      S→C ["5","5","echo:s","${event}",${payload}]
      `,
    );
    await client.expectSilence();
  });

  it("on a stop with a reply sends the reply, then phx_close", async () => {
    const client = await connect();
    await joinEcho(client, "echo:s", "5");
    await play(
      client,
      `
      C→S ["5","6","echo:s","stop_reply",{}]
      S→C ["5","6","echo:s","phx_reply",{"status":"ok","response":{"bye":true}}]
      S→C ["5","5","echo:s","phx_close",{}]
      `,
    );
    await client.expectSilence();
  });
});

describe("the channel limit (maxChannels)", () => {
  it("refuses a join past the limit with the join's join_ref, and accepts it again once a channel has left", async () => {
    const client = await connect({ maxChannels: 2 });
    await joinEcho(client, "echo:1", "1");
    await joinEcho(client, "echo:2", "2");
    await play(
      client,
      `
      C→S ["3","3","echo:3","phx_join",{}]
      S→C ["3","3","echo:3","phx_reply",{"status":"error","response":{"reason":"too many channels joined"}}]
      C→S ["1","4","echo:1","phx_leave",{}]
      S→C ["1","4","echo:1","phx_reply",{"status":"ok","response":{}}]
      S→C ["1","1","echo:1","phx_close",{}]
      C→S ["5","5","echo:3","phx_join",{}]
      S→C ["5","5","echo:3","phx_reply",{"status":"ok","response":{"joined":"echo:3","user":null}}]
      `,
    );
  });
});

// The slow-consumer limit (maxBufferedBytes): a client that stops reading while large broadcasts flow is
// closed with 1013 once its outbound queue passes the limit, and a reading client on the same topic keeps
// receiving every broadcast.
import { afterEach, describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { Bystander, ClientErrors, closeRawResources, joinEcho, RawClient, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

const KiB = 1024;
const PAYLOAD_BYTES = 128 * KiB;
/**
 * The paused client's bytes first fill the kernel's socket buffers (a few MiB on loopback) before the
 * server's queue grows at all, so the number of broadcasts needed varies; this bounds it at 128 MiB.
 */
const MAX_BROADCASTS = 1_024;

describe("a client that stops reading (maxBufferedBytes: 64 KiB)", () => {
  it("is closed with 1013 and FENIX_ERR_SERVER_SLOW_CONSUMER while a reading client gets every broadcast", async () => {
    const server = await serveRaw({}, { maxBufferedBytes: 64 * KiB });
    const errors = new ClientErrors(server);
    const reader = await Bystander.join(server, "echo:firehose");
    const slow = await RawClient.connect(server.websocketUrl);
    await joinEcho(slow, "echo:firehose", "1");
    slow.pause();

    const body = "x".repeat(PAYLOAD_BYTES);
    let sent = 0;
    // Lockstep with the reader: each broadcast is read before the next, so only the paused client falls behind.
    while (errors.all.length === 0 && sent < MAX_BROADCASTS) {
      server.endpoint.broadcast("echo:firehose", "chunk", { i: sent, body });
      expect(await reader.client.nextText()).toBe(`[null,null,"echo:firehose","chunk",{"i":${sent},"body":"${body}"}]`);
      sent++;
    }
    const { error } = await errors.next();
    expect(error.code).toBe(ServerErrorCode.SLOW_CONSUMER);
    expect(error.status).toBe(1013);

    // Reading again, the slow client gets what was queued before the limit — a gapless prefix — then the close.
    slow.resume();
    const received: number[] = [];
    for (;;) {
      const frame = await slow.next().catch(() => null);
      if (frame === null) break;
      if (frame.kind !== "text") throw new Error("expected text frames only");
      received.push((JSON.parse(frame.text) as [null, null, string, string, { i: number }])[4].i);
    }
    expect(await slow.closed()).toEqual({ code: 1013, reason: ServerErrorCode.SLOW_CONSUMER });
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThanOrEqual(sent);
    expect(received).toEqual(received.map((_, i) => i));

    await reader.expectServed();
    expect(errors.all).toHaveLength(1);
  });
});

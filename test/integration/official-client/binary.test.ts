// Binary payloads with the official phoenix client (V2 binary frames): an ArrayBuffer push, the binary
// reply to it, and a binary push and broadcast, all received as ArrayBuffers.
import { describe, expect, it } from "vitest";
import { useTestEndpoint, connectSocket, join, push, recordEvent } from "../../support/phoenix-client.js";

const server = useTestEndpoint();

const bytesOf = (value: unknown): number[] => {
  expect(value).toBeInstanceOf(ArrayBuffer);
  return [...new Uint8Array(value as ArrayBuffer)];
};

describe("binary payloads", () => {
  it("answers an ArrayBuffer push with a binary reply holding the reversed bytes", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:bytes");
    await join(channel);

    const reply = await push(channel, "binary", Uint8Array.from([1, 2, 3, 250, 0]).buffer);

    expect(reply.status).toBe("ok");
    expect(bytesOf(reply.response)).toEqual([0, 250, 3, 2, 1]);
  });

  it("delivers a binary push and a binary broadcast as ArrayBuffers, to the sender and other clients", async () => {
    const sender = await connectSocket(server.socketUrl);
    const other = await connectSocket(server.socketUrl);
    const senderChannel = sender.channel("echo:bytes-room");
    const otherChannel = other.channel("echo:bytes-room");
    await join(senderChannel);
    await join(otherChannel);
    const pushed = recordEvent(senderChannel, "binary_push");
    const senderBroadcasts = recordEvent(senderChannel, "binary_broadcast");
    const otherBroadcasts = recordEvent(otherChannel, "binary_broadcast");
    const otherPushes = recordEvent(otherChannel, "binary_push");

    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    expect((await push(senderChannel, "binary", bytes.buffer)).status).toBe("ok");

    const reversed = [...bytes].reverse();
    // The push and the broadcast to the sender were written before the reply.
    expect(bytesOf(pushed.values[0])).toEqual(reversed);
    expect(bytesOf(senderBroadcasts.values[0])).toEqual(reversed);
    const [broadcast] = await otherBroadcasts.waitFor(1);
    expect(bytesOf(broadcast)).toEqual(reversed);
    expect(otherPushes.count).toBe(0);
  });

  it("handles binary frames on a topic with non-ASCII characters (UTF-8 meta lengths)", async () => {
    const sender = await connectSocket(server.socketUrl);
    const other = await connectSocket(server.socketUrl);
    const topic = "echo:café-🎉-ünï";
    const senderChannel = sender.channel(topic);
    const otherChannel = other.channel(topic);
    await join(senderChannel);
    await join(otherChannel);
    const broadcasts = recordEvent(otherChannel, "binary_broadcast");

    const reply = await push(senderChannel, "binary", Uint8Array.from([1, 2, 3]).buffer);

    expect(reply.status).toBe("ok");
    expect(bytesOf(reply.response)).toEqual([3, 2, 1]);
    const [broadcast] = await broadcasts.waitFor(1);
    expect(bytesOf(broadcast)).toEqual([3, 2, 1]);
  });

  it("keeps JSON and binary traffic on one socket apart", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:mixed");
    await join(channel);

    const [json, binary] = await Promise.all([
      push(channel, "ping", { json: true }),
      push(channel, "binary", Uint8Array.from([9, 8]).buffer),
    ]);

    expect(json).toEqual({ status: "ok", response: { json: true } });
    expect(bytesOf(binary.response)).toEqual([8, 9]);
  });
});

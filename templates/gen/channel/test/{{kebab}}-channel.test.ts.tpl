/**
 * The {{pascal}} channel's tests, with fenix/testing: sockets and channels run in process, on the
 * application's own PubSub and supervised children, and no port is opened. `npm test` runs them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { channelTest, type ChannelTest } from "fenix/testing";
import { children } from "{{endpointImport}}";
import { pubsub } from "{{pubsubImport}}";
import { {{socketClass}} } from "{{socketImport}}";
import { {{pascal}}Channel } from "{{channelImport}}";

let kit: ChannelTest;

before(async () => {
  kit = await channelTest({{socketClass}}, { pubsub, children });
});
after(() => kit.stop());

describe("{{pascal}}Channel", () => {
  it("is routed from {{pattern}}", () => {
    assert.ok({{socketClass}}.channels.some(([pattern, channel]) => pattern === "{{pattern}}" && channel === {{pascal}}Channel));
  });

  it("answers ping with the payload", async () => {
    const channel = await (await kit.connect()).join("{{topic}}");
    await channel.push("ping", { hello: "there" }).assertReply("ok", { hello: "there" });
  });

  it("broadcasts shout to everyone on the topic", async () => {
    const first = await (await kit.connect()).join("{{topic}}");
    const second = await (await kit.connect()).join("{{topic}}");
    await first.push("shout", { hello: "all" }).assertReply("ok");
    await second.assertPush("shout", { hello: "all" });
    await first.assertBroadcast("shout", { hello: "all" });
  });

  it("answers an unknown event with an error", async () => {
    const channel = await (await kit.connect()).join("{{topic}}");
    await channel.push("nope", {}).assertReply("error");
  });
});

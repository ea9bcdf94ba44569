/**
 * The chat channel in process (fenix/testing) on a virtual clock, with the demo's own room directory and
 * presence, started once for a test file: for tests whose point is the room servers, not the wire.
 */
import { afterAll, beforeAll } from "vitest";
import { Presence, PubSub, Runtime, VirtualClock } from "../../src/index.js";
import { channelTest, type ChannelTest, type TestChannel } from "../../src/testing/index.js";
import { chatSocket } from "../../examples/chat/chat-socket.js";
import { RoomDirectory } from "../../examples/chat/room-directory.js";

/** A room's history push. */
export interface History {
  messages: Array<{ name: string; body: string; at: number }>;
}

/** The kit and room directory of the current test file, with helpers to join and talk. */
export interface ChatRooms {
  readonly kit: ChannelTest;
  readonly rooms: RoomDirectory;
  /** Joins `room:<room>` as `name` on a new connection; resolves with the channel and its history push. */
  joinWithHistory(room: string, name: string): Promise<{ channel: TestChannel; history: History }>;
  /** Pushes a message and asserts the ok reply. */
  say(channel: TestChannel, body: string): Promise<unknown>;
}

/** Starts the kit before the file's tests (the directory built with `options`) and stops it after them. */
export function useChatRooms(options?: ConstructorParameters<typeof RoomDirectory>[1]): ChatRooms {
  let kit: ChannelTest | undefined;
  let rooms: RoomDirectory | undefined;
  beforeAll(async () => {
    const pubsub = new PubSub({ runtime: new Runtime({ clock: new VirtualClock() }) });
    rooms = new RoomDirectory(pubsub, options);
    const presence = new Presence(pubsub);
    kit = await channelTest(chatSocket(rooms, presence), { pubsub, children: [pubsub.childSpec(), rooms.childSpec(), presence.childSpec()] });
  });
  afterAll(() => kit?.stop());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useChatRooms(): the kit runs only while the file's tests run");
    return value;
  };
  return {
    get kit() {
      return started(kit);
    },
    get rooms() {
      return started(rooms);
    },
    async joinWithHistory(room, name) {
      const channel = await (await started(kit).connect()).join(`room:${room}`, { name });
      const history = (await channel.assertPush("history")) as unknown as History;
      return { channel, history };
    },
    say: (channel, body) => channel.push("new_msg", { body }).assertReply("ok"),
  };
}

/**
 * `fenix/testing`: test helpers shipped to users. The channel test kit — connect a socket in process,
 * join, push and assert replies, pushes, broadcasts, closes and presences, on a virtual clock — and the
 * PubSub adapter conformance suite (also at `fenix/testing/adapter`).
 */
export { ChannelTest, channelTest } from "./channel-test.js";
export type { ChannelTestOptions, TestedSocketClass } from "./channel-test.js";
export type { ConnectParamValue, ConnectParams } from "./connect-params.js";
export { ConnectRefusedError, JoinRefusedError, TestingError, TestingErrorCode } from "./errors.js";
export type {
  EventMap,
  JoinReply,
  PushEvent,
  PushPayload,
  PushReply,
  ServerEvent,
  ServerEventPayload,
  TestPayload,
  UntypedEvents,
} from "./event-map.js";
export type { Arrival } from "./arrivals.js";
export type { LogRecord } from "./log-collector.js";
export { matches, mismatch } from "./match.js";
export type { Match, PartialMatch } from "./match.js";
export type { ReportedClientError } from "./test-endpoint.js";
export { TestChannel } from "./test-channel.js";
export type { TestChannelState } from "./test-channel.js";
export { TestPush } from "./test-push.js";
export type { ReplyResponse, TestReply } from "./test-push.js";
export { TestSocket } from "./test-socket.js";
export type { TestJoinResult } from "./test-socket.js";
export type { CloseInfo } from "./test-transport.js";
export { DEFAULT_TIMEOUTS } from "./timeouts.js";
export type { AssertOptions, RefuteOptions, Timeouts } from "./timeouts.js";
export { TopicSubscription } from "./topic-subscription.js";
export * from "./adapter.js";

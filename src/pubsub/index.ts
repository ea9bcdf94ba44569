/** The PubSub layer's public API. */
export type { AdapterHost, PubSubAdapter } from "./adapter.js";
export { PubSubError, PubSubErrorCode } from "./errors.js";
export { FASTLANE_DISPATCHER, FastlaneSubscription, InterceptedBroadcast, fastlaneDispatcher } from "./fastlane.js";
export type { FastlaneTarget } from "./fastlane.js";
export { MemoryAdapter, MemoryBus } from "./memory-adapter.js";
export { PubSub } from "./pubsub.js";
export type { BroadcastOptions, PubSubOptions, SubscribeOptions } from "./pubsub.js";
export { DEFAULT_DISPATCHER, defaultDispatcher } from "./subscriber.js";
export type { DispatchContext, Dispatcher, Subscriber } from "./subscriber.js";

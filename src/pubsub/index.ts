/** The PubSub layer's public API. */
export type { AdapterHost, PubSubAdapter } from "./adapter.js";
export type { HistoryQuery, HistoryRetention, HistoryStore, StoredEntry, StoredHistory, StreamPosition } from "./history/history-store.js";
export { TopicStreams, newEpoch } from "./history/topic-streams.js";
export type { TopicStreamsOptions } from "./history/topic-streams.js";
export { PubSubError, PubSubErrorCode } from "./errors.js";
export { MemoryAdapter, MemoryBus } from "./memory-adapter.js";
export type { MemoryBusOptions } from "./memory-adapter.js";
export { NODE_FRAME_VERSION } from "./node-frame.js";
export { PubSub } from "./pubsub.js";
export type { BroadcastOptions, HistoryMessage, HistoryPage, PubSubOptions, PubSubStatus, SubscribeOptions } from "./pubsub.js";
export { DEFAULT_DISPATCHER, FASTLANE_DISPATCHER, defaultDispatcher } from "./subscriber.js";
export type { DispatchContext, Dispatcher, Subscriber } from "./subscriber.js";
export { IpcAdapter, IpcHub } from "./ipc/index.js";
export type { IpcAdapterOptions, IpcHubOptions, IpcMessage, IpcPort } from "./ipc/index.js";

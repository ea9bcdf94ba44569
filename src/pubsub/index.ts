/** The PubSub layer's public API. */
export type { AdapterHost, PubSubAdapter } from "./adapter.js";
export { PubSubError, PubSubErrorCode } from "./errors.js";
export { MemoryAdapter, MemoryBus } from "./memory-adapter.js";
export { NODE_FRAME_VERSION } from "./node-frame.js";
export { PubSub } from "./pubsub.js";
export type { BroadcastOptions, PubSubOptions, PubSubStatus, SubscribeOptions } from "./pubsub.js";
export { DEFAULT_DISPATCHER, FASTLANE_DISPATCHER, defaultDispatcher } from "./subscriber.js";
export type { DispatchContext, Dispatcher, Subscriber } from "./subscriber.js";
export { IpcAdapter, IpcHub } from "./ipc/index.js";
export type { IpcAdapterOptions, IpcMessage, IpcPort } from "./ipc/index.js";

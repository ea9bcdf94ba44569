/** The cluster IPC adapter: workers of one machine linked through their primary, which keeps their shared history. */
export { IpcAdapter } from "./ipc-adapter.js";
export type { IpcAdapterOptions } from "./ipc-adapter.js";
export { IpcHub } from "./ipc-hub.js";
export type { IpcHubOptions } from "./ipc-hub.js";
export type { IpcMessage, IpcPort } from "./ipc-messages.js";

import { configDefaults, defineConfig } from "vitest/config";

/** The channel suite with the official client, run once per transport (see test/support/client-transport.ts). */
const CHANNEL_SUITE = "test/integration/channels/**/*.test.ts";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The browser bundle of fenix/client, which pages served in tests import.
    globalSetup: ["test/support/build-client.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "fenix",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/integration/channels/**"],
        },
      },
      { extends: true, test: { name: "channels:websocket", include: [CHANNEL_SUITE], provide: { transport: "websocket" } } },
      { extends: true, test: { name: "channels:longpoll", include: [CHANNEL_SUITE], provide: { transport: "longpoll" } } },
    ],
  },
});

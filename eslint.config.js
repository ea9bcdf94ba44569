// Lint configuration. Besides the usual TypeScript checks it enforces the one-way layer imports of
// src/ (see docs/architecture.md): a layer may import only from the layers listed for it below.
import tseslint from "typescript-eslint";

/**
 * Each src/ folder and the folders it may import from. Every layer may import src/errors and
 * src/telemetry (the event vocabulary, which imports nothing), except the client, which stays free of Node.
 */
const layers = {
  errors: [],
  runtime: [],
  protocol: [],
  pubsub: ["runtime", "protocol"],
  presence: ["runtime", "pubsub", "protocol"],
  server: ["runtime", "protocol", "pubsub", "presence"],
  mqtt: ["runtime", "protocol", "pubsub", "presence", "server"],
  telemetry: [],
  metrics: ["runtime", "protocol", "pubsub", "presence", "server", "mqtt", "telemetry"],
  dashboard: ["runtime", "protocol", "pubsub", "presence", "server", "mqtt", "telemetry", "metrics"],
  client: ["protocol"],
  testing: ["runtime", "protocol", "pubsub", "presence", "server", "mqtt", "telemetry"],
  cli: ["runtime", "protocol", "pubsub", "presence", "server", "mqtt", "telemetry", "metrics", "dashboard", "client", "testing"],
};

const layerRules = Object.entries(layers).map(([layer, allowed]) => {
  const shared = layer === "client" ? ["errors"] : ["errors", "telemetry"];
  const forbidden = Object.keys(layers).filter((l) => l !== layer && !shared.includes(l) && !allowed.includes(l));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: forbidden.flatMap((l) => [`../${l}/*`, `../../${l}/*`, `../../../${l}/*`, `**/src/${l}/*`]),
              message: `src/${layer} may import only from: ${allowed.join(", ") || "nothing outside itself"}.`,
            },
            {
              group: ["../index.js", "../../index.js"],
              message: "Layers import each other's modules directly, never the package entry point.",
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "bench/results/**", "examples/**/public/vendor/**", ".scratch/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": "error",
    },
  },
  ...layerRules,
  {
    // The command is written against the public API, as an application would be: entry points only.
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./(\\.\\./)?(runtime|protocol|pubsub|presence|server|mqtt|telemetry|metrics|dashboard|client|testing)/(?!index\\.js$|redis/index\\.js$)",
              message: "src/cli imports the public entry points only (../index.js, ../client/index.js, ../testing/index.js…).",
            },
          ],
        },
      ],
    },
  },
);

/**
 * The Fenix project a command runs in: found from the current folder upward by its package.json, whose
 * `"fenix"` section names the files the generators edit and the server command runs.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CliError, CliErrorCode } from "./errors.js";

/** The `"fenix"` section of a project's package.json, with its defaults. */
export interface ProjectConfig {
  /** The module that exports `createEndpoint()` (or an `endpoint`). @defaultValue `"src/endpoint.ts"` */
  readonly endpoint: string;
  /** The module `fenix server` runs. @defaultValue `"src/server.ts"` */
  readonly server: string;
  /** The socket `fenix gen channel` adds routes to. @defaultValue `"src/user-socket.ts"` */
  readonly socket: string;
  /** Where generated channels go. @defaultValue `"src/channels"` */
  readonly channels: string;
  /** Where generated tests go. @defaultValue `"test"` */
  readonly tests: string;
}

/** A project found on disk. */
export interface Project {
  /** The folder holding its package.json. */
  readonly root: string;
  readonly config: ProjectConfig;
}

const DEFAULTS: ProjectConfig = {
  endpoint: "src/endpoint.ts",
  server: "src/server.ts",
  socket: "src/user-socket.ts",
  channels: "src/channels",
  tests: "test",
};

/**
 * Finds the project `cwd` is in: the nearest package.json upward with a `"fenix"` section or a dependency
 * on `fenix`.
 * @throws CliError `FENIX_ERR_CLI_NOT_A_PROJECT` when there is none.
 */
export function findProject(cwd: string): Project {
  let dir = cwd;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      let parsed: Record<string, unknown> | null = null;
      try {
        parsed = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>;
      } catch {
        parsed = null;
      }
      const section = parsed?.fenix;
      const deps = { ...(parsed?.dependencies as object | undefined), ...(parsed?.devDependencies as object | undefined) };
      if (parsed !== null && (isObject(section) || "fenix" in deps) && parsed.name !== "fenix") {
        return { root: dir, config: { ...DEFAULTS, ...pickStrings(isObject(section) ? section : {}) } };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CliError(
        CliErrorCode.NOT_A_PROJECT,
        `No Fenix project here: no package.json with a "fenix" section or a fenix dependency in ${cwd} or above. ` +
          "Run it inside a project, or create one with `fenix new my_app`.",
      );
    }
    dir = parent;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pickStrings(section: Record<string, unknown>): Partial<ProjectConfig> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(DEFAULTS)) if (typeof section[key] === "string") out[key] = section[key];
  return out;
}

/** What {@link insertAtMarker} did. */
export type InsertOutcome = "inserted" | "present";

/**
 * Inserts `line` before the marker comment `// fenix:<marker>` of a project file, with the marker's
 * indentation, unless `present` says the file already holds it (generators are idempotent).
 * @throws CliError `FENIX_ERR_CLI_BAD_PROJECT_FILE` when the file or the marker is missing (the message
 * says what to add by hand).
 */
export function insertAtMarker(root: string, file: string, marker: string, line: string, present: (text: string) => boolean): InsertOutcome {
  const path = join(root, file);
  if (!existsSync(path)) {
    throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${file} does not exist; add this line to your code by hand:\n  ${line}`);
  }
  const text = readFileSync(path, "utf8");
  if (present(text)) return "present";
  const match = new RegExp(`^([ \\t]*)// fenix:${marker}\\b.*$`, "m").exec(text);
  if (match === null) {
    throw new CliError(
      CliErrorCode.BAD_PROJECT_FILE,
      `${file} has no "// fenix:${marker}" marker line, so the generator does not know where to add:\n  ${line}\nAdd it by hand (or put the marker back).`,
    );
  }
  const indent = match[1] ?? "";
  writeFileSync(path, `${text.slice(0, match.index)}${indent}${line}\n${text.slice(match.index)}`);
  return "inserted";
}

/** Reads a project file, or null when it does not exist. */
export function readProjectFile(root: string, file: string): string | null {
  const path = join(root, file);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/**
 * Packing Fenix as a user gets it: the repository's files are copied to a scratch folder outside the
 * repository (so the prepack build never touches the dist/ other tests serve), `npm pack` runs there —
 * its prepack script builds — and the tarball is what tests install into scratch applications.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** What a pack produced. */
export interface Packed {
  /** The tarball's absolute path. */
  readonly tarball: string;
  /** The files it holds, relative to the package root (`package/` stripped). */
  readonly files: readonly string[];
  /** A scratch folder for the test's own files; removed by {@link cleanup}. */
  readonly scratch: string;
}

/** The top-level entries of the repository a pack needs (what `files`, the build and npm read). */
const PACK_INPUTS = ["src", "scripts", "templates", "docs", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE"];

/** Packs the repository's working tree; the tarball lands in a new scratch folder. */
export async function packFenix(): Promise<Packed> {
  const scratch = mkdtempSync(join(tmpdir(), "fenix-pack-"));
  const copy = join(scratch, "fenix");
  for (const entry of PACK_INPUTS) cpSync(join(repoRoot, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"), "dir");
  const out = join(scratch, "out");
  mkdirSync(out);
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", out], { cwd: copy, maxBuffer: 64 * 1024 * 1024 });
  const report = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(out, readdirSync(out).find((name) => name.endsWith(".tgz"))!);
  return { tarball, files: report[0]!.files.map((f) => f.path), scratch };
}

/** Removes the scratch folder. */
export function cleanup(packed: Packed | undefined): void {
  if (packed !== undefined) rmSync(packed.scratch, { recursive: true, force: true });
}

/** The result of a finished command. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (never rejects on a failing exit code: the test asserts on it). */
export function runCommand(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: process.env.CI ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running command whose output is kept, and which resolves `waitFor` when a line matches. */
export interface RunningCommand {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output (stdout and stderr). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGTERM to the command's process group and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts a long-running command, such as a server. */
export function startCommand(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningCommand {
  // A process group of its own, so that stop() reaches npm's children (the server) too.
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding("utf8").on("data", onData);
  child.stderr!.setEncoding("utf8").on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match === null) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            cleanup();
            reject(new Error(`the command exited before printing ${pattern}; output:\n${output}`));
          }
        });
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          child.kill("SIGTERM");
        }
      }
      return exited;
    },
  };
}

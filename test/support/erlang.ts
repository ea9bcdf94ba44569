// Runs Erlang code from a test, for vectors made by the real term_to_binary, crypto:pbkdf2_hmac and
// crypto:mac rather than by our own reading of them. Locally a missing `erl` lets the tests skip; in CI it
// is an error, because the CI machines have Erlang/OTP installed.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Resolves to whether `erl` runs on this machine.
 *
 * @remarks
 * When it does not and `CI=true`, rejects with an error instead of resolving `false`. Use it with
 * top-level await so the answer can drive `describe.skipIf`.
 *
 * @example
 * ```ts
 * const erlang = await requireErlang();
 * describe.skipIf(!erlang)(`tokens from Erlang${erlang ? "" : " (skipped: erl is not installed)"}`, () => {});
 * ```
 */
export async function requireErlang(): Promise<boolean> {
  const present = await runErlang('io:format("ok")').then(
    (out) => out === "ok",
    () => false,
  );
  if (!present && process.env.CI === "true") throw new Error("erl (Erlang/OTP) is not installed; the token tests check Fenix against it.");
  if (!present) console.warn("erl (Erlang/OTP) is not installed; tests that compare with Erlang are skipped.");
  return present;
}

/**
 * Evaluates `body` — Erlang expressions separated by commas, without a final period — in a fresh `erl`
 * and resolves with what it printed. Rejects when it raises (with Erlang's report) or runs over `timeoutMs`.
 *
 * @example
 * ```ts
 * await runErlang('io:format("~s", [binary:encode_hex(term_to_binary(ok))])'); // "83640002...": see the bytes
 * ```
 */
export async function runErlang(body: string, timeoutMs = 20_000): Promise<string> {
  // The body goes through a file: a command-line argument is limited to 128 KiB.
  const dir = await mkdtemp(join(tmpdir(), "fenix-erl-"));
  const file = join(dir, "script.erl");
  await writeFile(file, `try begin ${body} end, halt(0) catch FenixClass:FenixReason:FenixStack -> io:format(standard_error, "~p:~p~n~p~n", [FenixClass, FenixReason, FenixStack]), halt(1) end.`);
  const boot = `{ok, B} = file:read_file(${JSON.stringify(file)}), {ok, T, _} = erl_scan:string(unicode:characters_to_list(B)), {ok, E} = erl_parse:parse_exprs(T), erl_eval:exprs(E, []).`;
  try {
    return await new Promise((resolve, reject) => {
      execFile("erl", ["-noshell", "-noinput", "-eval", boot], { cwd: dir, env: { ...process.env, ERL_CRASH_DUMP_SECONDS: "0" }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`erl failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An Erlang binary literal of `bytes`: `<<1,2,3>>`. */
export function erlangBinary(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  return `<<${Array.from(data).join(",")}>>`;
}

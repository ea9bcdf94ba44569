import { describe, expect, it } from "vitest";
import { FenixError } from "../../../src/errors/fenix-error.js";
import {
  formatExitReason,
  isCleanExit,
  isDownMessage,
  isExitMessage,
  isShutdownReason,
  shutdown,
} from "../../../src/runtime/process/exit-reason.js";
import { Pid, Ref } from "../../../src/runtime/process/pid.js";

const pid = new Pid(3, "n1");
const ref = new Ref(9);

describe("exit reasons", () => {
  it.each<[string, unknown, boolean, boolean]>([
    // name, reason, isShutdownReason, isCleanExit
    ["normal", "normal", false, true],
    ["shutdown", "shutdown", true, true],
    ["shutdown(detail)", shutdown("left"), true, true],
    ["plain { shutdown }", { shutdown: { code: 1000 } }, true, true],
    ["{ shutdown: undefined }", { shutdown: undefined }, true, true],
    ["{ shutdown } with another key", { shutdown: 1, extra: 2 }, false, false],
    ["kill", "kill", false, false],
    ["killed", "killed", false, false],
    ["noproc", "noproc", false, false],
    ["an Error", new Error("boom"), false, false],
    ["an Error carrying a shutdown field", Object.assign(new Error("x"), { shutdown: 1 }), false, false],
    ["undefined", undefined, false, false],
    ["null", null, false, false],
    ["an array", ["shutdown"], false, false],
    ["Normal (case matters)", "Normal", false, false],
    ["a number", 0, false, false],
  ])("%s", (_name, reason, shutdownReason, clean) => {
    expect(isShutdownReason(reason)).toBe(shutdownReason);
    expect(isCleanExit(reason)).toBe(clean);
  });

  it("builds a frozen shutdown reason", () => {
    const reason = shutdown("left");
    expect(reason).toEqual({ shutdown: "left" });
    expect(Object.isFrozen(reason)).toBe(true);
  });
});

describe("formatExitReason", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;

  it.each<[unknown, string]>([
    ["normal", "normal"],
    [new TypeError("bad input"), "TypeError: bad input"],
    [new FenixError("FENIX_ERR_RUNTIME_NOPROC", "gone"), "FenixError [FENIX_ERR_RUNTIME_NOPROC]: gone"],
    [shutdown("left"), "shutdown(left)"],
    [shutdown({ code: 1000 }), 'shutdown({"code":1000})'],
    [pid, "<n1.3>"],
    [ref, "#Ref<9>"],
    [{ reason: "timeout", ms: 5000 }, '{"reason":"timeout","ms":5000}'],
    [circular, "[object Object]"],
    [undefined, "undefined"],
    [42, "42"],
    [Symbol("why"), "Symbol(why)"],
  ])("formats %s as %s", (reason, text) => {
    expect(formatExitReason(reason)).toBe(text);
  });

  it("cuts long reasons to 1000 characters", () => {
    const text = formatExitReason("x".repeat(5000));
    expect(text).toHaveLength(1000);
    expect(text.endsWith("…")).toBe(true);
  });
});

describe("runtime messages", () => {
  it.each<[unknown, boolean]>([
    [{ type: "EXIT", from: pid, reason: "normal" }, true],
    [{ type: "EXIT", from: pid, reason: undefined }, true],
    [{ type: "EXIT", from: "<n1.3>", reason: "normal" }, false],
    [{ type: "EXIT", from: pid }, false],
    [{ type: "DOWN", ref, pid, reason: "normal" }, false],
    [null, false],
    ["EXIT", false],
  ])("isExitMessage(%j) is %s", (message, expected) => {
    expect(isExitMessage(message)).toBe(expected);
  });

  it.each<[unknown, boolean]>([
    [{ type: "DOWN", ref, pid, reason: "noproc" }, true],
    [{ type: "DOWN", ref: 9, pid, reason: "noproc" }, false],
    [{ type: "DOWN", ref, pid: 3, reason: "noproc" }, false],
    [{ type: "DOWN", ref, pid }, false],
    [{ type: "EXIT", from: pid, reason: "normal" }, false],
    [undefined, false],
  ])("isDownMessage(%j) is %s", (message, expected) => {
    expect(isDownMessage(message)).toBe(expected);
  });
});

describe("Pid and Ref", () => {
  it("print as <node.id> and #Ref<id>, also in JSON", () => {
    expect(pid.toString()).toBe("<n1.3>");
    expect(String(ref)).toBe("#Ref<9>");
    expect(JSON.stringify({ pid, ref })).toBe('{"pid":"<n1.3>","ref":"#Ref<9>"}');
  });
});

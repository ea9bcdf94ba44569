/**
 * Runs code that must fail with a ProtocolError and returns the error, so a test can check its code, close
 * code and message in plain expectations.
 */
import { expect } from "vitest";
import { ProtocolError } from "../../../src/protocol/errors.js";

/** Returns the ProtocolError `fn` throws; fails the test if it throws nothing or something else. */
export function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error("expected a ProtocolError, but nothing was thrown");
}

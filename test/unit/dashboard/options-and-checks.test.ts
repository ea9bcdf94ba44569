// enableDashboard's options refuse bad values with FENIX_ERR_DASHBOARD_BAD_OPTION; the ready-made
// checks let in loopback requests that no proxy forwarded, and (localOrToken) any request with the token.
import { describe, expect, it } from "vitest";
import { localOnly, localOrToken, type DashboardRequest } from "../../../src/dashboard/access-check.js";
import { resolveDashboardOptions, type DashboardOptions } from "../../../src/dashboard/dashboard-options.js";
import { DashboardError, DashboardErrorCode } from "../../../src/dashboard/errors.js";

describe("resolveDashboardOptions", () => {
  it("fills in the defaults", () => {
    expect(resolveDashboardOptions({})).toMatchObject({ path: "/dashboard", socketPath: "/dashboard/socket", check: localOnly, sampleMs: 1000, historyPoints: 300, maxRows: 500 });
    expect(resolveDashboardOptions({ path: "/admin/live/" }).socketPath).toBe("/admin/live/socket");
  });

  it.each<[string, DashboardOptions]>([
    ["a path without a leading slash", { path: "dashboard" }],
    ["the root path", { path: "/" }],
    ["a path with characters that need escaping", { path: '/dash"board' }],
    ["a path with an empty segment", { path: "/a//b" }],
    ["a check that is not a function", { check: true as unknown as DashboardOptions["check"] }],
    ["a sampling period under 50 ms", { sampleMs: 10 }],
    ["a sampling period that is not a number", { sampleMs: Number.NaN }],
    ["a fractional maxRows", { maxRows: 2.5 }],
    ["historyPoints of 0", { historyPoints: 0 }],
    ["a presence that is not a Presence", { presence: {} as DashboardOptions["presence"] }],
    ["an unknown option", { sampleMS: 100 } as DashboardOptions],
  ])("refuses %s", (_name, options) => {
    expect(() => resolveDashboardOptions(options)).toThrowError(expect.objectContaining({ code: DashboardErrorCode.BAD_OPTION }));
    expect(() => resolveDashboardOptions(options)).toThrow(DashboardError);
  });
});

const request = (address: string | undefined, xHeaders: Record<string, string> = {}, token?: string): DashboardRequest => ({ address, xHeaders, token });

describe("localOnly", () => {
  it.each([
    ["IPv4 loopback", request("127.0.0.1"), true],
    ["another 127/8 address", request("127.0.0.9"), true],
    ["IPv6 loopback", request("::1"), true],
    ["IPv4-mapped loopback", request("::ffff:127.0.0.1"), true],
    ["a LAN address", request("192.168.1.20"), false],
    ["a public address", request("203.0.113.7"), false],
    ["an unknown address", request(undefined), false],
    ["loopback forwarded by a proxy (x-forwarded-for)", request("127.0.0.1", { "x-forwarded-for": "203.0.113.7" }), false],
    ["loopback forwarded by a proxy (x-real-ip)", request("127.0.0.1", { "x-real-ip": "203.0.113.7" }), false],
    ["a token does not matter", request("203.0.113.7", {}, "secret"), false],
  ])("%s: %s", (_name, r, expected) => {
    expect(localOnly(r)).toBe(expected);
  });
});

describe("localOrToken", () => {
  const check = localOrToken("s3cret");
  it.each([
    ["loopback without a token", request("127.0.0.1"), true],
    ["a remote address with the token", request("203.0.113.7", {}, "s3cret"), true],
    ["a forwarded request with the token", request("127.0.0.1", { "x-forwarded-for": "203.0.113.7" }, "s3cret"), true],
    ["a remote address with a wrong token", request("203.0.113.7", {}, "s3cre"), false],
    ["a remote address without a token", request("203.0.113.7"), false],
  ])("%s", (_name, r, expected) => {
    expect(check(r)).toBe(expected);
  });
});

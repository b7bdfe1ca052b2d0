/**
 * The times a token must carry (`exp`, an `iat` not in the future, a bounded
 * lifetime) and the durations they are configured and reported in.
 */
import { describe, expect, test } from "bun:test";
import { CLOCK_SKEW_SECONDS, tokenTimesProblem } from "../../src/http/token-times";
import { formatDuration, parseDuration } from "../../src/lib/duration";

const NOW = 1_750_000_000;
const DAY = 86_400;
const rules = { now: NOW, maxAgeSeconds: DAY };

describe("tokenTimesProblem", () => {
  test("a token that expires within the bound is accepted, with or without iat", () => {
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + 300 }, rules)).toBeNull();
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + DAY }, rules)).toBeNull();
    expect(tokenTimesProblem({ exp: NOW + DAY }, rules)).toBeNull();
    // Issued an hour ago for a day: its lifetime, not what is left of it, is what counts.
    expect(tokenTimesProblem({ iat: NOW - 3600, exp: NOW - 3600 + DAY }, rules)).toBeNull();
  });

  test("a token without exp, or with an exp that is not a number, is refused", () => {
    expect(tokenTimesProblem({ iat: NOW }, rules)).toMatch(/no expiry \(exp\)/);
    expect(tokenTimesProblem({ iat: NOW, exp: "tomorrow" }, rules)).toMatch(/no expiry/);
  });

  test("an iat ahead of the clock is accepted within the skew, refused beyond it", () => {
    expect(tokenTimesProblem({ iat: NOW + 30, exp: NOW + 330 }, rules)).toBeNull();
    expect(tokenTimesProblem({ iat: NOW + CLOCK_SKEW_SECONDS, exp: NOW + 600 }, rules)).toBeNull();
    expect(tokenTimesProblem({ iat: NOW + CLOCK_SKEW_SECONDS + 1, exp: NOW + 600 }, rules)).toMatch(/issue time \(iat\) is in the future: at most 1 minute/);
    expect(tokenTimesProblem({ iat: NOW + 365 * DAY, exp: NOW + 365 * DAY + 300 }, rules)).toMatch(/in the future/);
  });

  test("a lifetime over the bound (plus the skew) is refused: exp − iat, or exp − now without iat", () => {
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + DAY + CLOCK_SKEW_SECONDS }, rules)).toBeNull();
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + DAY + CLOCK_SKEW_SECONDS + 1 }, rules)).toMatch(/valid for longer than the 24 hours/);
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + 25 * 3600 }, rules)).toMatch(/longer than the 24 hours/);
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + 100 * 365 * DAY }, rules)).toMatch(/longer/);
    expect(tokenTimesProblem({ exp: NOW + 25 * 3600 }, rules)).toMatch(/longer/);
    expect(tokenTimesProblem({ iat: NOW, exp: NOW + 31 * DAY }, { now: NOW, maxAgeSeconds: 30 * DAY })).toMatch(/longer than the 30 days/);
  });
});

describe("durations", () => {
  test("parse seconds, minutes, hours and days; anything else is not a duration", () => {
    expect(["45s", "90m", "24h", "30d", "3600", " 12h "].map(parseDuration)).toEqual([45, 5400, 86_400, 2_592_000, 3600, 43_200]);
    expect(["", "h", "1.5h", "-1h", "1w", "12 hours", "1e3"].map(parseDuration)).toEqual([null, null, null, null, null, null, null]);
  });

  test("format in the largest unit that divides whole", () => {
    expect([1, 60, 5400, 3600, 86_400, 172_800, 2_592_000, 90_061].map(formatDuration)).toEqual([
      "1 second",
      "1 minute",
      "90 minutes",
      "1 hour",
      "24 hours",
      "2 days",
      "30 days",
      "90061 seconds",
    ]);
  });
});

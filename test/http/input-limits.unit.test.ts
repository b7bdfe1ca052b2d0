import { describe, expect, test } from "bun:test";
import { ApiError, inputRefusedByDatabase } from "../../src/http/errors";
import { requestHeadBytes } from "../../src/http/header-limit";
import { isoTime, isStorableText } from "../../src/http/input";
import { parseJsonText } from "../../src/http/json-body";

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("times", () => {
  const at = isoTime("at");

  test("given times from year 0001 to 9999, when parsed, then they are Dates", () => {
    expect(at.parse("0001-01-01T00:00:00Z")).toEqual(new Date("0001-01-01T00:00:00.000Z"));
    expect(at.parse("9999-12-31T23:59:59.999Z")).toEqual(new Date("9999-12-31T23:59:59.999Z"));
    expect(at.parse("2025-03-15T12:42:07+02:00")).toEqual(new Date("2025-03-15T10:42:07.000Z"));
  });

  test("given year 0000, year 10000, or an offset that leaves the range, when parsed, then they are refused", () => {
    for (const value of ["0000-01-01T00:00:00Z", "0000-12-31T23:00:00-05:00", "+010000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"]) {
      expect({ value, ok: at.safeParse(value).success }).toEqual({ value, ok: false });
    }
  });

  test("given no zone, a day that does not exist, or not a time at all, when parsed, then they are refused", () => {
    for (const value of ["2025-03-15T10:42:07", "2025-02-30T00:00:00Z", "yesterday", ""]) expect(at.safeParse(value).success).toBe(false);
  });
});

describe("storable text", () => {
  test("given NUL or a lone surrogate, when checked, then Postgres could not store it", () => {
    for (const value of ["a\u0000b", "\ud800", "x\udc00", "\udc00\ud800"]) expect(isStorableText(value)).toBe(false);
  });

  test("given ordinary text and paired surrogates, when checked, then it is storable", () => {
    for (const value of ["", "Bonjour", "😀 emoji", "\u00ff"]) expect(isStorableText(value)).toBe(true);
  });
});

describe("JSON bodies", () => {
  test("given text nested past the bound, when read, then 400 JSON_TOO_DEEP before parsing", () => {
    const error = thrown(() => parseJsonText("[".repeat(100_000), 64));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("JSON_TOO_DEEP");
    expect((error as ApiError).status).toBe(400);
  });

  test("given malformed JSON within the bound, when read, then MALFORMED_JSON; valid JSON is parsed", () => {
    expect((thrown(() => parseJsonText('{"a":', 64)) as ApiError).code).toBe("MALFORMED_JSON");
    expect(parseJsonText('{"a":[[1]]}', 3)).toEqual({ a: [[1]] });
  });
});

describe("request head size", () => {
  test("given a request, when measured, then the request line and every header line count", () => {
    const request = new Request("http://localhost:3000/api/me?x=1", { headers: { "x-a": "12345" } });
    // "GET /api/me?x=1 HTTP/1.1\r\n" is 26 bytes; "x-a: 12345\r\n" 12.
    expect(requestHeadBytes(request)).toBe(26 + 12);
  });
});

describe("Postgres errors caused by request input", () => {
  const postgresError = (code: string) => Object.assign(new Error("boom"), { name: "PostgresError", code });

  test("given a data exception (class 22) or a value past Postgres's limits, when handled, then 400 VALIDATION_FAILED", () => {
    for (const code of ["22P02", "22P05", "22021", "22007", "22008", "22003", "2201X", "54000"]) {
      const refused = inputRefusedByDatabase(postgresError(code));
      expect({ code, status: refused?.apiError.status, apiCode: refused?.apiError.code }).toEqual({ code, status: 400, apiCode: "VALIDATION_FAILED" });
    }
  });

  test("given other Postgres errors or other errors, when handled, then they are not the caller's mistake", () => {
    expect(inputRefusedByDatabase(postgresError("23505"))).toBeNull();
    expect(inputRefusedByDatabase(postgresError("08006"))).toBeNull();
    expect(inputRefusedByDatabase(Object.assign(new Error("x"), { code: "22P02" }))).toBeNull();
  });
});

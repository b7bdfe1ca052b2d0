import { describe, expect, test } from "bun:test";
import { callingCodeOf, completePhone, looksLikeRecipient } from "../../src/lib/national-phone";

describe("callingCodeOf", () => {
  test.each([
    ["33612345678", "33"],
    ["+1 212 555 1234", "1"],
    ["79161234567", "7"],
    ["447700900123", "44"],
    ["351912345678", "351"],
    ["2250712345678", "225"],
    [null, null],
    ["12@lid", null],
  ])("%p → %p", (phone, code) => expect(callingCodeOf(phone)).toBe(code));
});

describe("completePhone: national digits take the country of the account's own number", () => {
  test.each([
    ["123456789", "33612345678", "33123456789"],
    ["06 12 34 56 78", "33612345678", "33612345678"],
    ["7700 900123", "447700900123", "447700900123"],
    ["2125551234", "12025550100", "12125551234"],
    ["+44 7700 900123", "33612345678", "447700900123"],
    ["0044 7700 900123", null, "447700900123"],
    ["33698765432", null, "33698765432"],
  ])("%p on an account %p → %p", (input, accountPhone, digits) => {
    expect(completePhone(input, accountPhone)).toEqual({ ok: true, digits });
  });

  test("national digits without a known account number: add the country code", () => {
    const result = completePhone("123456789", null);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain("add the country code");
  });

  test.each(["hello", "+12", "12-ab", "1234567890123456"])("%p is no phone", (input) => {
    expect(completePhone(input, "33612345678").ok).toBe(false);
    expect(looksLikeRecipient(input)).toBe(false);
  });
});

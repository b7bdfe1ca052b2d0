import { describe, expect, test } from "bun:test";
import { jsonDepthExceededAt } from "../../src/lib/json-depth";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

describe("JSON nesting within the bound", () => {
  test("given texts nesting exactly as deep as the bound, when scanned, then they pass", () => {
    expect(jsonDepthExceededAt(nested(64), 64)).toBeNull();
    expect(jsonDepthExceededAt(nestedObjects(64), 64)).toBeNull();
    expect(jsonDepthExceededAt('{"a":[{"b":[1,2]},{"c":{}}],"d":[]}', 4)).toBeNull();
  });

  test("given bare values and empty text, when scanned, then they nest nothing", () => {
    for (const text of ["", "1", "null", '"x"', "true"]) expect(jsonDepthExceededAt(text, 0)).toBeNull();
  });

  test("given brackets inside strings, when scanned, then they do not count", () => {
    expect(jsonDepthExceededAt(JSON.stringify({ a: "[[[[{{{{" }), 1)).toBeNull();
    expect(jsonDepthExceededAt(JSON.stringify(["}}}]]] [[[{{{"]), 1)).toBeNull();
  });

  test("given escaped quotes and backslashes inside strings, when scanned, then the string ends at its real closing quote", () => {
    // "a\"[[[" is one string; "\\" ends with an escaped backslash, so the quote after it closes it.
    expect(jsonDepthExceededAt(JSON.stringify({ a: 'x"[[[', b: "\\", c: '\\"{{{' }), 1)).toBeNull();
    expect(jsonDepthExceededAt(`["\\\\", [[1]]]`, 2)).toBe(8);
  });
});

describe("JSON nesting past the bound", () => {
  test("given one level more than the bound, when scanned, then the offset of the opening bracket is answered", () => {
    expect(jsonDepthExceededAt(nested(65), 64)).toBe(64);
    expect(jsonDepthExceededAt(`{"a":"[[[[", "b":[[[1]]]}`, 3)).toBe(19);
  });

  test("given stray closing brackets first, when scanned, then they do not make room for deeper nesting", () => {
    expect(jsonDepthExceededAt(`]]]]]]${nested(3)}`, 2)).toBe(8);
  });

  test("given 100,000 levels, when scanned, then it stops at the bound without recursion", () => {
    const arrays = nested(100_000);
    const objects = nestedObjects(100_000);
    expect(jsonDepthExceededAt(arrays, 64)).toBe(64);
    expect(jsonDepthExceededAt(objects, 64)).toBe(64 * 5);
    // Even a bound that lets it all through is one linear pass, not a stack of calls.
    expect(jsonDepthExceededAt(arrays, 100_000)).toBeNull();
    expect(jsonDepthExceededAt("[".repeat(1_000_000), 999_999)).toBe(999_999);
  });

  test("given an unterminated string, when scanned, then the rest is string and nothing past it counts", () => {
    expect(jsonDepthExceededAt(`["${"[".repeat(1000)}`, 1)).toBeNull();
  });
});

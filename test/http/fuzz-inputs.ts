/**
 * Hostile inputs for the fuzz test: values for path and query parameters
 * (already percent-encoded, since a lone surrogate cannot be written through
 * `encodeURIComponent`), raw JSON fragments for body fields, whole bodies and
 * header variants, and a seeded random source so every run sends the same
 * requests.
 */

export interface Hostile {
  kind: string;
  /** Path or query: the percent-encoded text. JSON: the raw JSON text of the value. */
  text: string;
}

const DEEP = 100_000;
export const DEEP_ARRAY = "[".repeat(DEEP) + "]".repeat(DEEP);
export const DEEP_OBJECT = '{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP);

/** Strings every parameter and text field gets (JSON-escaped in bodies, percent-encoded in URLs). */
export const STRINGS: [string, string][] = [
  ["nul", "a\u0000b"],
  ["only-nul", "\u0000"],
  ["year-0000", "0000-01-01T00:00:00Z"],
  ["year-0000-offset", "0000-12-31T23:00:00+05:00"],
  ["year-10000", "+010000-01-01T00:00:00Z"],
  ["year-10000-plain", "10000-01-01T00:00:00Z"],
  ["year-9999-offset-past-end", "9999-12-31T23:59:59-23:59"],
  ["feb-30", "2025-02-30T00:00:00Z"],
  ["huge-integer", "99999999999999999999999999"],
  ["past-int64", "9223372036854775808"],
  ["past-safe-integer", "9007199254740993"],
  ["exponent", "1e400"],
  ["negative", "-1"],
  ["nan", "NaN"],
  ["empty", ""],
  ["space", " "],
  ["long", "x".repeat(5000)],
  // Incompressible, past what a Postgres b-tree index entry may hold (about 2,700 bytes).
  ["long-random", Array.from({ length: 500 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join("")],
  ["nil-uuid", "00000000-0000-0000-0000-000000000000"],
  ["quote", "' or 1=1 --"],
  ["emoji", "😀"],
  ["json-text", '{"a":[1,2]}'],
  ["deep-json-text", "[".repeat(2000)],
];

/** Lone surrogates (CESU-8 bytes, invalid UTF-8) and broken escapes: only writable percent-encoded. */
const RAW_PARAMS: Hostile[] = [
  { kind: "lone-high-surrogate", text: "%ED%A0%80" },
  { kind: "lone-low-surrogate", text: "x%ED%B0%80" },
  { kind: "invalid-utf8", text: "%FF%FE" },
  { kind: "bare-percent", text: "%" },
  { kind: "truncated-escape", text: "%E0%A4%A" },
  { kind: "encoded-nul", text: "%00" },
];

export const PARAM_VALUES: Hostile[] = [...STRINGS.map(([kind, value]) => ({ kind, text: encodeURIComponent(value) })), ...RAW_PARAMS];

/** Every JSON type, odd numbers, hostile strings and 100,000-deep nesting, as raw JSON text. */
export const JSON_VALUES: Hostile[] = [
  { kind: "null", text: "null" },
  { kind: "true", text: "true" },
  { kind: "false", text: "false" },
  { kind: "zero", text: "0" },
  { kind: "minus-one", text: "-1" },
  { kind: "fraction", text: "1.5" },
  { kind: "max-double", text: "1.7976931348623157e308" },
  { kind: "overflow-number", text: "1e400" },
  { kind: "big-integer", text: "123456789012345678901234567890" },
  { kind: "empty-array", text: "[]" },
  { kind: "array-of-null", text: "[null]" },
  { kind: "array-of-strings", text: '["a","b"]' },
  { kind: "empty-object", text: "{}" },
  { kind: "object", text: '{"a":1}' },
  { kind: "lone-high-surrogate", text: '"\\ud800"' },
  { kind: "lone-low-surrogate", text: '"x\\udc00"' },
  { kind: "deep-array", text: DEEP_ARRAY },
  { kind: "deep-object", text: DEEP_OBJECT },
  ...STRINGS.map(([kind, value]) => ({ kind: `string-${kind}`, text: JSON.stringify(value) })),
];

/** Whole request bodies. */
export const BODIES: { kind: string; body: string | Uint8Array }[] = [
  ...JSON_VALUES.filter((v) => !v.kind.startsWith("string-")).map((v) => ({ kind: `body-${v.kind}`, body: v.text })),
  { kind: "body-string", body: '"hello"' },
  { kind: "body-empty", body: "" },
  { kind: "body-unterminated-deep", body: "[".repeat(DEEP) },
  { kind: "body-deep-inside-string", body: JSON.stringify({ a: "[".repeat(DEEP) }) },
  { kind: "body-raw-nul", body: '{"a":"x\u0000y"}' },
  { kind: "body-invalid-utf8", body: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d]) },
  { kind: "body-nul-bytes", body: new Uint8Array(64) },
  { kind: "body-truncated", body: '{"a":' },
];

/** Header variants (fetch only sends Latin-1 values without CR, LF or NUL). */
export const HEADER_VARIANTS: { kind: string; headers: Record<string, string> }[] = [
  { kind: "latin1-request-id", headers: { "x-request-id": "\u00ff\u00fe" } },
  { kind: "long-request-id", headers: { "x-request-id": "r".repeat(2000) } },
  { kind: "idempotency-latin1", headers: { "idempotency-key": "\u00e9t\u00e9" } },
  { kind: "idempotency-long", headers: { "idempotency-key": "k".repeat(300) } },
  { kind: "last-event-id-huge", headers: { "last-event-id": "99999999999999999999-99999999999999999999" } },
  { kind: "last-event-id-year-0000", headers: { "last-event-id": "0000-01-01T00:00:00Z" } },
  { kind: "content-type-utf16", headers: { "content-type": "application/json; charset=utf-16" } },
  { kind: "content-type-latin1", headers: { "content-type": "application/json\u00ff" } },
  { kind: "content-type-empty-boundary", headers: { "content-type": "multipart/form-data; boundary=" } },
  { kind: "many-headers", headers: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x-filler-${i}`, "v".repeat(50)])) },
  { kind: "header-past-app-limit", headers: { "x-big": "b".repeat(20_000) } },
];

/** mulberry32: a small deterministic random source. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Paths to every leaf of a JSON value (objects and arrays walked), for field-by-field replacement. */
export function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const inner = entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  return prefix.length > 0 ? [prefix, ...inner] : inner;
}

const MARK = "__FUZZ_VALUE__";

/** `value` with the node at `path` replaced by raw JSON text. */
export function replaceAt(value: unknown, path: readonly (string | number)[], rawJson: string): string {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = MARK;
  return JSON.stringify(copy).replace(JSON.stringify(MARK), () => rawJson);
}

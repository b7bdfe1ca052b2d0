/**
 * @module event-store/storable
 * Text that JSON allows and Postgres cannot store: U+0000 (refused by `text`
 * and by `jsonb`, even as the escape `\u0000`) and unpaired UTF-16 surrogates
 * (no UTF-8 form; `jsonb` refuses their `\ud800` escapes). Pure.
 *
 * - In data and metadata (values and object keys), each such code unit
 *   becomes U+FFFD, and the note says how many and where.
 * - In stream ids and dedupe keys, each becomes the six characters of its
 *   JSON escape (`\u0000`, `\ud83d`): two different ids must stay two, or a
 *   second fact would be taken for a copy of the first.
 */

/** One code unit Postgres cannot store: NUL, a high surrogate not followed by a low one, a low one not preceded by a high one. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");
/**
 * What `JSON.stringify` writes for them: it always escapes NUL and unpaired
 * surrogates (and never a paired one), so JSON text without these sequences
 * needs no care. `\\u0000` (an escaped backslash) matches too: a false alarm
 * only costs the careful path.
 */
const UNSTORABLE_IN_JSON = /\\u0000|\\ud[89a-f]/;

export const REPLACEMENT_CHARACTER = "\uFFFD";
/** Paths kept in a note; the count covers every replacement. */
const PATHS_KEPT = 20;

/** How many characters were replaced, and where (JSON pointers, the first 20). */
export interface ReplacementNote {
  replaced: number;
  paths: string[];
}

export const isStorable = (text: string): boolean => !UNSTORABLE.test(text);

/** True when JSON text written by `JSON.stringify` may hold what Postgres cannot store. */
export const jsonNeedsCare = (json: string): boolean => UNSTORABLE_IN_JSON.test(json);

/** A stream id or dedupe key Postgres can store: each unstorable code unit as its JSON escape (`\u0000`). */
export function storableId(id: string): string {
  if (isStorable(id)) return id;
  return id.replace(UNSTORABLE_ALL, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Text as the log stores it in data and metadata: each unstorable code unit as U+FFFD. */
export function storableText(text: string): string {
  return isStorable(text) ? text : text.replace(UNSTORABLE_ALL, REPLACEMENT_CHARACTER);
}

/** `storableId`, counting in `note` under `path` when it changed something. */
export function noteStorableId(id: string, path: string, note: ReplacementNote): string {
  if (isStorable(id)) return id;
  record(note, path, count(id));
  return storableId(id);
}

function count(text: string): number {
  return text.match(UNSTORABLE_ALL)?.length ?? 0;
}

function record(note: ReplacementNote, path: string, replaced: number) {
  note.replaced += replaced;
  if (note.paths.length < PATHS_KEPT) note.paths.push(path);
}

function replaceText(text: string, path: string, note: ReplacementNote): string {
  if (isStorable(text)) return text;
  record(note, path, count(text));
  return text.replace(UNSTORABLE_ALL, REPLACEMENT_CHARACTER);
}

const pointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

type Container = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Container => typeof value === "object" && value !== null;
/** Objects without a prototype, so a `__proto__` key is a plain key, as JSON.parse makes it. */
const emptyLike = (value: Container): Container => (Array.isArray(value) ? [] : (Object.create(null) as Record<string, unknown>));

/**
 * A copy of a JSON value (what `JSON.parse` returns: no Dates, no
 * undefined) with every unstorable code unit of its strings and keys
 * replaced by U+FFFD, counted in `note` with its JSON pointer under `at`.
 * Iterative, so any depth of nesting is walked without recursion. Two keys
 * of one object that become equal keep both members: the later one gets
 * more U+FFFD until it is unique.
 */
export function replaceUnstorable(root: unknown, at: string, note: ReplacementNote): unknown {
  const stack: [Container, Container, string][] = [];
  const child = (value: unknown, path: string): unknown => {
    if (typeof value === "string") return replaceText(value, path, note);
    if (!isContainer(value)) return value;
    const copy = emptyLike(value);
    stack.push([value, copy, path]);
    return copy;
  };
  const out = child(root, at);
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const [source, target, path] = frame;
    if (Array.isArray(source)) {
      const list = target as unknown[];
      for (let i = 0; i < source.length; i++) list.push(child(source[i], `${path}/${i}`));
      continue;
    }
    const members = target as Record<string, unknown>;
    for (const [key, value] of Object.entries(source)) {
      let name = key;
      if (!isStorable(key)) {
        name = key.replace(UNSTORABLE_ALL, REPLACEMENT_CHARACTER);
        while (Object.hasOwn(members, name) || Object.hasOwn(source, name)) name += REPLACEMENT_CHARACTER;
        record(note, `${path}/${pointer(name)}`, count(key));
      }
      members[name] = child(value, `${path}/${pointer(name)}`);
    }
  }
  return out;
}

/**
 * @module lib/json-depth
 * How deep a JSON text nests, found before parsing it. One pass over the text
 * counts `[` and `{` against `]` and `}` outside strings (a string is skipped
 * with `indexOf` to its closing quote, escaped quotes included), and stops at
 * the first bracket past the bound. No recursion and no parse, so a
 * 100,000-deep body costs a scan up to its first bracket past the bound; the
 * whole scan of a body is linear in its length. The text need not be valid
 * JSON: the parser judges that afterwards. Pure.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The offset of the first `[` or `{` that opens a level deeper than
 * `maxDepth`, or null when the text nests `maxDepth` levels or fewer
 * (`[]` is one level, `[[1]]` two, a bare value none).
 */
export function jsonDepthExceededAt(text: string, maxDepth: number): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) return i;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) {
      // Never below zero: stray closers in invalid JSON cannot buy room for more openers.
      depth--;
    }
  }
  return null;
}

/** The index of the quote closing the string opened at `open` (the text's length when it never closes). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return text.length;
    // A quote is escaped when an odd number of backslashes precede it. The count stops at the
    // previous quote at the latest, so all the counting over one string is linear in its length.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

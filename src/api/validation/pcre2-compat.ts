/**
 * HAProxy compiles an L7 rule's REGEX value with PCRE2 (8-bit, not UTF, and without auto-capture: only
 * named groups capture), while the API checks the value with JavaScript's RegExp, which accepts patterns
 * PCRE2 refuses. `pcre2Problem` finds those differences, measured against the HAProxy 2.6 / PCRE2 10.42
 * build the amphora agent runs, so such a value is refused at the API instead of failing `haproxy -c`
 * later. It is a scanner, not a PCRE2 parser: a value it passes may still be refused by PCRE2 (for
 * example a variable-length lookbehind), but every value it refuses is one PCRE2 refuses.
 */

/** Letters PCRE2 reads after `\` outside a character class; any other letter is an error there. */
const ESCAPE_LETTERS = new Set('aAbBcCdDeEfgGhHkKnNopPQrRsStvVwWxXzZ');
/** Letters PCRE2 reads after `\` inside a character class. */
const CLASS_ESCAPE_LETTERS = new Set('abcdDeEfghHnopPQrsStvVwWx');
/** Escapes that stand for a set of characters, which cannot be the end of a range in a class. */
const TYPE_ESCAPES = new Set('dDsSwWhHvVpP');
const POSIX_CLASSES = new Set([
  'alnum',
  'alpha',
  'ascii',
  'blank',
  'cntrl',
  'digit',
  'graph',
  'lower',
  'print',
  'punct',
  'space',
  'upper',
  'word',
  'xdigit',
]);
/** Largest code point an 8-bit, non-UTF pattern can name with `\x{..}` or `\o{..}`. */
const MAX_CODE_POINT = 0xff;

/** Thrown inside the scanner; `pcre2Problem` turns it into its answer. */
class Refused extends Error {}

/** Names of the named groups, the only groups that capture (and so can be referred back to) in HAProxy. */
function capturingGroups(pattern: string): string[] {
  // Escaped characters are blanked first so that `\(?<x>` is not read as a group.
  const plain = pattern.replace(/\\[\s\S]/g, '__');
  return [...plain.matchAll(/\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/g)].map((m) => (m[1] ?? m[2])!);
}

interface Escape {
  /** Index just after the escape. */
  next: number;
  /** Whether it stands for a set of characters (`\d`, `\w`, `\p{..}`...). */
  isType: boolean;
}

/** The text between `open` at `from` and the matching `close`, and the index after it. */
function braced(pattern: string, from: number, close: string, what: string): [string, number] {
  const end = pattern.indexOf(close, from + 1);
  if (end < 0) throw new Refused(`${what} has no closing ${close}`);
  return [pattern.slice(from + 1, end), end + 1];
}

function checkCodePoint(digits: string, radix: 16 | 8, what: string): void {
  const value = Number.parseInt(digits, radix);
  if (!/^[0-9a-fA-F]+$/.test(digits) || Number.isNaN(value)) throw new Refused(`${what} is malformed`);
  if (value > MAX_CODE_POINT) throw new Refused(`${what} names a character above \\x{ff}`);
}

/** A back reference by number must name one of the (named) capturing groups. */
function checkGroupNumber(n: number, groups: string[], text: string): void {
  if (n < 1 || n > groups.length)
    throw new Refused(`${text} refers to group ${n}, but only named groups capture and there are ${groups.length}`);
}

/** The escape starting with the backslash at `i`. */
function readEscape(pattern: string, i: number, inClass: boolean, groups: string[]): Escape {
  const c = pattern[i + 1];
  if (c === undefined) throw new Refused('it ends with a lone backslash');
  const plain = (next: number, isType = false): Escape => ({ next, isType });
  if (/[0-9]/.test(c)) {
    if (inClass || c === '0') return plain(i + 2);
    const digits = /^[0-9]+/.exec(pattern.slice(i + 1))![0];
    const n = Number(digits);
    // PCRE2 reads \1..\9 (and \8, \9 forms) as back references, longer numbers too when such a group exists;
    // anything else is an octal character.
    if (n < 10 || /^[89]/.test(digits) || n <= groups.length) checkGroupNumber(n, groups, `\\${digits}`);
    return plain(i + 1 + digits.length);
  }
  if (!/[A-Za-z]/.test(c)) return plain(i + 2);
  if (!(inClass ? CLASS_ESCAPE_LETTERS : ESCAPE_LETTERS).has(c))
    throw new Refused(`PCRE2 does not accept \\${c}${inClass ? ' in a character class' : ''}`);
  const after = pattern[i + 2];
  switch (c) {
    case 'c':
      if (after === undefined || after < ' ' || after > '~') throw new Refused('\\c is not followed by a character');
      return plain(i + 3);
    case 'x': {
      if (after !== '{') return plain(i + 2);
      const [digits, next] = braced(pattern, i + 2, '}', '\\x{');
      checkCodePoint(digits, 16, `\\x{${digits}}`);
      return plain(next);
    }
    case 'o': {
      if (after !== '{') throw new Refused('\\o is not followed by {');
      const [digits, next] = braced(pattern, i + 2, '}', '\\o{');
      checkCodePoint(digits, 8, `\\o{${digits}}`);
      return plain(next);
    }
    case 'p':
    case 'P':
      if (after === '{') return plain(braced(pattern, i + 2, '}', `\\${c}{`)[1], true);
      if (after === undefined || !/[A-Za-z]/.test(after)) throw new Refused(`\\${c} is not followed by a property`);
      return plain(i + 3, true);
    case 'N':
      if (pattern.startsWith('{U+', i + 2)) throw new Refused('\\N{U+...} needs a UTF pattern');
      return plain(i + 2);
    case 'k':
    case 'g':
      return inClass ? plain(i + 2) : readReference(pattern, i, c, groups);
    default:
      return plain(i + 2, TYPE_ESCAPES.has(c));
  }
}

/** `\k<name>` / `\k{name}` / `\k'name'` and `\g` references: the group must exist. */
function readReference(pattern: string, i: number, kind: 'k' | 'g', groups: string[]): Escape {
  const after = pattern[i + 2];
  const closer = after === '<' ? '>' : after === '{' ? '}' : after === "'" ? "'" : undefined;
  let ref: string;
  let next: number;
  if (closer) [ref, next] = braced(pattern, i + 2, closer, `\\${kind}${after}`);
  else if (kind === 'g' && after !== undefined && /[-+0-9]/.test(after)) {
    ref = /^[-+]?[0-9]*/.exec(pattern.slice(i + 2))![0];
    next = i + 2 + ref.length;
  } else throw new Refused(`\\${kind} is not followed by a group name or number`);
  const text = pattern.slice(i, next);
  if (/^[A-Za-z_]\w*$/.test(ref)) {
    if (!groups.includes(ref)) throw new Refused(`${text} refers to no named group`);
  } else if (/^[0-9]+$/.test(ref)) checkGroupNumber(Number(ref), groups, text);
  else if (/^-[0-9]+$/.test(ref)) checkGroupNumber(-Number(ref), groups, text);
  // `+n` (a group further on) is left to PCRE2.
  return { next, isType: false };
}

/** The character class opening at `start`; returns the index after its closing `]`. */
function readClass(pattern: string, start: number, groups: string[]): number {
  let j = start + 1;
  if (pattern[j] === '^') j++;
  // \E outside \Q...\E is ignored, so it does not stop a following `]` from being the class's first character.
  while (pattern.startsWith('\\E', j)) j += 2;
  // PCRE2 reads a `]` right after `[` or `[^` as a literal (JavaScript reads `[]` as an empty class).
  if (pattern[j] === ']') j++;
  let previous: 'none' | 'char' | 'type' = 'none';
  while (j < pattern.length) {
    const c = pattern[j]!;
    if (c === ']') return j + 1;
    if (c === '-' && previous !== 'none' && j + 1 < pattern.length && pattern[j + 1] !== ']') {
      // A range: neither end may be a set of characters.
      const end = pattern[j + 1] === '\\' ? readEscape(pattern, j + 1, true, groups) : { next: j + 2, isType: false };
      if (previous === 'type' || end.isType)
        throw new Refused(
          `the range "${pattern.slice(j - 1, end.next)}" in a character class has a class escape as an end`,
        );
      j = end.next;
      previous = 'none';
      continue;
    }
    if (c === '[' && /[:.=]/.test(pattern[j + 1] ?? '')) {
      const kind = pattern[j + 1]!;
      const end = pattern.indexOf(`${kind}]`, j + 2);
      if (end >= 0) {
        if (kind !== ':') throw new Refused('PCRE2 does not support POSIX collating elements ([. .] or [= =])');
        const name = pattern.slice(j + 2, end).replace(/^\^/, '');
        if (!POSIX_CLASSES.has(name)) throw new Refused(`[:${name}:] is not a POSIX class PCRE2 knows`);
        j = end + 2;
        previous = 'type';
        continue;
      }
    }
    if (c === '\\') {
      if (pattern[j + 1] === 'Q') {
        const end = pattern.indexOf('\\E', j + 2);
        j = end < 0 ? pattern.length : end + 2;
        previous = 'char';
        continue;
      }
      const escape = readEscape(pattern, j, true, groups);
      j = escape.next;
      previous = escape.isType ? 'type' : 'char';
      continue;
    }
    j++;
    previous = 'char';
  }
  throw new Refused('a character class is not closed (PCRE2 reads a "]" right after "[" or "[^" as a literal)');
}

/**
 * Why PCRE2, as HAProxy uses it, would refuse `pattern`, or undefined when this scanner sees no reason.
 * `pattern` has already been accepted by JavaScript's RegExp.
 */
export function pcre2Problem(pattern: string): string | undefined {
  const groups = capturingGroups(pattern);
  try {
    let i = 0;
    while (i < pattern.length) {
      const c = pattern[i];
      if (c === '\\' && pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 2;
      } else if (c === '\\') i = readEscape(pattern, i, false, groups).next;
      else if (c === '[') i = readClass(pattern, i, groups);
      else i++;
    }
    return undefined;
  } catch (err) {
    if (err instanceof Refused) return err.message;
    throw err;
  }
}

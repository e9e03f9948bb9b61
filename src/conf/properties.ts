/**
 * A parser for Java `.properties` text with the rules of `java.util.Properties.load`:
 *
 * - Natural lines end at `\n`, `\r` or `\r\n`. Leading blanks (space, tab, form feed) are skipped.
 * - A line whose first non-blank character is `#` or `!` is a comment; blank lines are ignored.
 *   Both only count at the start of a logical line (a continued line is never a comment).
 * - A line ending in an odd number of backslashes continues on the next line; the backslash is
 *   dropped, and so are the leading blanks of the next line. An even number is literal text.
 * - The key ends at the first unescaped `=`, `:` or blank. Blanks around the separator are
 *   skipped, and one `=` or `:` after blanks still counts as the separator.
 * - Escapes: `\t \n \r \f`, `\uXXXX`; any other `\x` stands for `x` (so `\=`, `\:`, `\ `, `\#`,
 *   `\\`). A malformed `\u` escape is reported as a problem and the line is skipped.
 * - Everything after the separator is the value, including `#`, `;` and `,`.
 * - Keys and values are trimmed (as Alluxio does when it merges them).
 * - A key repeated in the same file: the later line wins, silently.
 */

export interface PropEntry {
  key: string;
  value: string;
  /** 1-based line number where the logical line starts. */
  line: number;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f';

function skipBlanks(s: string, from = 0): number {
  let i = from;
  while (i < s.length && isBlank(s[i])) i++;
  return i;
}

function trailingBackslashes(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n;
}

/** Java's String.trim: strips every character up to and including U+0020 at both ends. */
function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

class MalformedEscape extends Error {}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') { out += c; continue; }
    i++;
    if (i >= s.length) break; // a lone trailing backslash stands for nothing
    const e = s[i]!;
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new MalformedEscape();
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

/** Split a logical line into its raw (still escaped) key and value. */
function splitKeyValue(line: string): [string, string] {
  let end = 0;
  let valueStart = line.length;
  let hasSeparator = false;
  let escaped = false;
  for (; end < line.length; end++) {
    const c = line[end]!;
    if (!escaped && (c === '=' || c === ':')) { valueStart = end + 1; hasSeparator = true; break; }
    if (!escaped && isBlank(c)) { valueStart = end + 1; break; }
    escaped = c === '\\' ? !escaped : false;
  }
  while (valueStart < line.length) {
    const c = line[valueStart]!;
    if (!isBlank(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return [line.slice(0, end), line.slice(valueStart)];
}

/**
 * Parse `.properties` text. `file` only names the source in problems (`file:line: ...`).
 * Entries come in the order of each key's last occurrence.
 */
export function parseProperties(text: string, file: string): { entries: PropEntry[]; problems: string[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // tolerate a UTF-8 BOM
  const lines = src.split(/\r\n|\r|\n/);
  const byKey = new Map<string, PropEntry>();
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let cur = lines[i]!.slice(skipBlanks(lines[i]!));
    if (cur === '' || cur[0] === '#' || cur[0] === '!') continue;
    const start = i + 1;
    let logical = '';
    for (;;) {
      if (trailingBackslashes(cur) % 2 === 0) { logical += cur; break; }
      logical += cur.slice(0, -1);
      if (i + 1 >= lines.length) break; // a continuation at end of input is dropped
      i++;
      cur = lines[i]!.slice(skipBlanks(lines[i]!));
    }
    const [rawKey, rawValue] = splitKeyValue(logical);
    let key: string;
    let value: string;
    try {
      key = javaTrim(unescape(rawKey));
      value = javaTrim(unescape(rawValue));
    } catch (e) {
      if (!(e instanceof MalformedEscape)) throw e;
      problems.push(`${file}:${start}: malformed \\uXXXX escape`);
      continue;
    }
    byKey.delete(key); // keep the position of the last occurrence
    byKey.set(key, { key, value, line: start });
  }
  return { entries: [...byKey.values()], problems };
}

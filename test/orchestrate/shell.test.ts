import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { quote, toShell } from '../../src/orchestrate/shell.js';

/** [input, exact quoted form] for every awkward input. */
const CASES: [string, string][] = [
  ['plain', 'plain'],
  ['/opt/alluxio/bin/alluxio', '/opt/alluxio/bin/alluxio'],
  ['a_b@c%d+e=f:g,h.i/j-k', 'a_b@c%d+e=f:g,h.i/j-k'],
  ['', "''"],
  ['two words', "'two words'"],
  [' leading and trailing ', "' leading and trailing '"],
  ['tab\there', "'tab\there'"],
  ["it's", "'it'\\''s'"],
  ["'", "''\\'''"],
  ["''", "''\\'''\\'''"],
  ['"double"', `'"double"'`],
  ['$HOME', "'$HOME'"],
  ['${x:-y}', "'${x:-y}'"],
  ['$(id)', "'$(id)'"],
  ['`id`', "'`id`'"],
  ['back\\slash', "'back\\slash'"],
  ['\\', "'\\'"],
  ['line1\nline2', "'line1\nline2'"],
  ['trailing newline\n', "'trailing newline\n'"],
  ['*', "'*'"],
  ['*.properties', "'*.properties'"],
  ['?', "'?'"],
  ['[abc]', "'[abc]'"],
  ['~', "'~'"],
  ['~/x', "'~/x'"],
  ['a;b', "'a;b'"],
  ['a&&b', "'a&&b'"],
  ['a|b', "'a|b'"],
  ['a>b', "'a>b'"],
  ['<in', "'<in'"],
  ['(sub)', "'(sub)'"],
  ['{a,b}', "'{a,b}'"],
  ['#comment', "'#comment'"],
  ['!', "'!'"],
  ['héllo', "'héllo'"],
  ['日本語', "'日本語'"],
  ['emoji 🚀', "'emoji 🚀'"],
  ['-rf', '-rf'],
  ['--flag=value with space', "'--flag=value with space'"],
  ['-', '-'],
  ['=', '='],
  ['KEY=value', 'KEY=value'],
  ['a=b c', "'a=b c'"],
  ["mixed 'quotes' and \"quotes\" $ ` \\", "'mixed '\\''quotes'\\'' and \"quotes\" $ ` \\'"],
  // More of the same kinds: the quote character at either end, control characters, other
  // non-ASCII (spaces that are not ASCII, combining marks, right-to-left), leading dashes.
  ["'start", "''\\''start'"],
  ["end'", "'end'\\'''"],
  ['carriage\rreturn', "'carriage\rreturn'"],
  ['\n', "'\n'"],
  ['crlf\r\n', "'crlf\r\n'"],
  ['bell\u0007', "'bell\u0007'"],
  ['$', "'$'"],
  ['$$', "'$$'"],
  ['$1', "'$1'"],
  ['$"x"', `'$"x"'`],
  ["$'x'", "'$'\\''x'\\'''"],
  ['`echo $(id)`', "'`echo $(id)`'"],
  ['\u00a0nbsp', "'\u00a0nbsp'"],
  ['e\u0301', "'e\u0301'"],
  ['\u05e9\u05dc\u05d5\u05dd', "'\u05e9\u05dc\u05d5\u05dd'"],
  ['\ufeffbom', "'\ufeffbom'"],
  ['-n', '-n'],
  ['-e', '-e'],
  ['--', '--'],
  ['-x y', "'-x y'"],
  ["-'", "'-'\\'''"],
];

test('quote: exact output for every awkward input', () => {
  for (const [input, want] of CASES) assert.equal(quote(input), want, JSON.stringify(input));
});

test('quote: a NUL byte cannot be passed to a shell and is refused', () => {
  assert.throws(() => quote('a\0b'), UsageError);
  assert.throws(() => toShell(['echo', 'a\0b']), UsageError);
});

test('quote round trip: sh prints each quoted argument back unchanged', () => {
  for (const [input] of CASES) {
    const got = execFileSync('sh', ['-c', `printf '%s' ${quote(input)}`], { encoding: 'utf8' });
    assert.equal(got, input, JSON.stringify(input));
  }
});

test("toShell round trip: sh -c 'printf \"%s\\n\" \"$@\"' _ <quoted args> gives argv back", () => {
  const args = CASES.map(([input]) => input);
  // NUL-separated so that arguments containing newlines stay unambiguous.
  const cmd = toShell(['sh', '-c', 'printf "%s\\0" "$@"', '_', ...args]);
  const out = execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), args);
  // And the exact form asked for, one line per argument, for the newline-free cases.
  const simple = args.filter((a) => !a.includes('\n'));
  const out2 = execFileSync('sh', ['-c', toShell(['sh', '-c', 'printf "%s\\n" "$@"', '_', ...simple])], { encoding: 'utf8' });
  assert.deepEqual(out2.split('\n').slice(0, -1), simple);
});

test('toShell: exact strings', () => {
  const table: [readonly string[], string][] = [
    [['echo'], 'echo'],
    [['echo', 'a b', "c'd", ''], "echo 'a b' 'c'\\''d' ''"],
    [['rm', '-rf', '/tmp/x y/*'], "rm -rf '/tmp/x y/*'"],
    [['tar', '-x', '-C', '/opt/alluxio'], 'tar -x -C /opt/alluxio'],
    [[], ''],
    // A first word that reads as an assignment stays a command name.
    [['A=b', 'c'], "'A=b' c"],
    [['env', 'A=b', 'c'], 'env A=b c'],
  ];
  for (const [argv, want] of table) assert.equal(toShell(argv), want, JSON.stringify(argv));
});

test('there is one quoting function: no hand-made shell quoting anywhere else in src/', () => {
  const root = path.resolve(fileURLToPath(import.meta.url), '../../../../src');
  const shell = path.join(root, 'orchestrate', 'shell.ts');
  // The POSIX escape of a single quote ('\''), as it reads in a template or double-quoted
  // string literal, and in a single-quoted one.
  const escapes = [String.raw`'\\''`, String.raw`\'\\\'\'`];
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.ts') && f !== shell) {
        const text = fs.readFileSync(f, 'utf8');
        if (escapes.some((x) => text.includes(x))) offenders.push(path.relative(root, f));
      }
    }
  };
  assert.ok(fs.existsSync(shell), `${shell} (the test runs from dist/test and reads the sources)`);
  walk(root);
  assert.deepEqual(offenders, [], 'quote with src/orchestrate/shell.ts quote()/toShell() instead');
});

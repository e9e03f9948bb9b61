import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { UsageError } from '../../src/errors.js';
import { quote, sequence, toShell, withEnv } from '../../src/orchestrate/shell.js';

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

test('sequence joins commands with &&; no command is `true`', () => {
  assert.equal(sequence(['mkdir', '-p', '/a b'], ['touch', '/a b/c']), "mkdir -p '/a b' && touch '/a b/c'");
  assert.equal(sequence(['true']), 'true');
  assert.equal(sequence(), 'true');
  const out = execFileSync('sh', ['-c', sequence(['printf', '%s', 'one '], ['printf', '%s', "two's"])], { encoding: 'utf8' });
  assert.equal(out, "one two's");
});

test('withEnv prefixes env K=V; values need no escaping of their own', () => {
  assert.deepEqual(withEnv({ A: '1', B_2: 'x y' }, ['sh', '-c', 'echo "$A $B_2"']), ['env', 'A=1', 'B_2=x y', 'sh', '-c', 'echo "$A $B_2"']);
  assert.equal(toShell(withEnv({ ALLUXIO_HOME: '/opt/a l' }, ['bin/alluxio', 'format'])), "env 'ALLUXIO_HOME=/opt/a l' bin/alluxio format");
  assert.deepEqual(withEnv({}, ['x']), ['env', 'x']);
  const out = execFileSync('sh', ['-c', toShell(withEnv({ V: "it's $x" }, ['sh', '-c', 'printf %s "$V"']))], { encoding: 'utf8' });
  assert.equal(out, "it's $x");
  assert.throws(() => withEnv({ 'BAD-NAME': 'x' }, ['true']), UsageError);
  assert.throws(() => withEnv({ '': 'x' }, ['true']), UsageError);
});

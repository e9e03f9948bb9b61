import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../src/conf/index.js';

type Row = [name: string, text: string, entries: Array<[key: string, value: string, line: number]>, problems?: string[]];

const F = 'site.properties';

const ROWS: Row[] = [
  ['equals separator', 'a=b', [['a', 'b', 1]]],
  ['colon separator', 'a:b', [['a', 'b', 1]]],
  ['whitespace separator', 'a b', [['a', 'b', 1]]],
  ['tab separator', 'a\tb', [['a', 'b', 1]]],
  ['blanks around =', 'a  =  b', [['a', 'b', 1]]],
  ['blanks around :', 'a \t:\t b', [['a', 'b', 1]]],
  ['first separator wins, later = is value', 'a=b=c', [['a', 'b=c', 1]]],
  ['colon in value', 'a=h1:19998', [['a', 'h1:19998', 1]]],
  ['whitespace then = is one separator', 'a = = b', [['a', '= b', 1]]],
  ['key only', 'a', [['a', '', 1]]],
  ['key and = only', 'a=', [['a', '', 1]]],
  ['leading blanks skipped', '   \t a=b', [['a', 'b', 1]]],
  ['value trimmed', 'a=  b c  ', [['a', 'b c', 1]]],
  ['# comment line', '# a=b\nc=d', [['c', 'd', 2]]],
  ['! comment line', '! a=b\nc=d', [['c', 'd', 2]]],
  ['indented comment line', '   # a=b', []],
  ['inline # is part of the value', 'a=b # not a comment', [['a', 'b # not a comment', 1]]],
  ['; and , in values', 'a=h1:1;h2:2,h3:3', [['a', 'h1:1;h2:2,h3:3', 1]]],
  ['blank lines ignored', '\n\n  \na=b\n\n', [['a', 'b', 4]]],
  ['CRLF line ends', 'a=b\r\nc=d\r\n', [['a', 'b', 1], ['c', 'd', 2]]],
  ['CR line ends', 'a=b\rc=d', [['a', 'b', 1], ['c', 'd', 2]]],
  ['continuation', 'a=b\\\nc', [['a', 'bc', 1]]],
  ['continuation drops leading blanks', 'a=b,\\\n    c,\\\n\t d', [['a', 'b,c,d', 1]]],
  ['continuation keeps blanks before the backslash', 'a=b \\\n  c', [['a', 'b c', 1]]],
  ['line number is where the logical line starts', 'x=1\na=b\\\nc\nd=e', [['x', '1', 1], ['a', 'bc', 2], ['d', 'e', 4]]],
  ['even trailing backslashes: no continuation', 'a=b\\\\\nc=d', [['a', 'b\\', 1], ['c', 'd', 2]]],
  ['three trailing backslashes: continuation', 'a=b\\\\\\\nc', [['a', 'b\\c', 1]]],
  ['continued line starting with # is not a comment', 'a=b\\\n#c', [['a', 'b#c', 1]]],
  ['comment line ending in backslash does not continue', '# x\\\na=b', [['a', 'b', 2]]],
  ['continuation into a blank line ends the line', 'a=b\\\n\nc=d', [['a', 'b', 1], ['c', 'd', 3]]],
  ['continuation at end of input is dropped', 'a=b\\', [['a', 'b', 1]]],
  ['continuation in the key', 'al\\\n  luxio=1', [['alluxio', '1', 1]]],
  ['escape \\t', 'a=x\\ty', [['a', 'x\ty', 1]]],
  ['escape \\n', 'a=x\\ny', [['a', 'x\ny', 1]]],
  ['escape \\r', 'a=x\\ry', [['a', 'x\ry', 1]]],
  ['escape \\f', 'a=x\\fy', [['a', 'x\fy', 1]]],
  ['escape \\\\', 'a=x\\\\y', [['a', 'x\\y', 1]]],
  ['escape \\uXXXX', 'a=\\u0041\\u00e9', [['a', 'Aé', 1]]],
  ['escape \\uXXXX upper-case hex', 'a=\\u00E9', [['a', 'é', 1]]],
  ['escaped = in key', 'a\\=b=c', [['a=b', 'c', 1]]],
  ['escaped : in key', 'a\\:b:c', [['a:b', 'c', 1]]],
  ['escaped space in key', 'a\\ b c', [['a b', 'c', 1]]],
  ['escaped # at line start is a key', '\\#a=b', [['#a', 'b', 1]]],
  ['escaped ! at line start is a key', '\\!a=b', [['!a', 'b', 1]]],
  ['other escapes stand for the character', 'a=\\q\\z\\,', [['a', 'qz,', 1]]],
  ['escaped backslash before separator', 'a\\\\=b', [['a\\', 'b', 1]]],
  ['escaped space at value start is kept then trimmed', 'a=\\ b', [['a', 'b', 1]]],
  ['duplicate key: later wins, no problem', 'a=1\nb=2\na=3', [['b', '2', 2], ['a', '3', 3]]],
  ['BOM is ignored', '\ufeffa=b', [['a', 'b', 1]]],
  ['form feed is a blank', '\fa\f=\fb', [['a', 'b', 1]]],
  ['empty key', '=b', [['', 'b', 1]]],
  ['malformed \\u: too short', 'x=1\na=\\u12', [['x', '1', 1]], [`${F}:2: malformed \\uXXXX escape`]],
  ['malformed \\u: not hex', 'a=\\u12G4\nb=2', [['b', '2', 2]], [`${F}:1: malformed \\uXXXX escape`]],
  ['malformed \\u in key, reported at the start line', 'c=\\\n\\uzzzz', [], [`${F}:1: malformed \\uXXXX escape`]],
  ['real seed workflow file', [
    '# masters',
    'alluxio.master.hostname=m1.example.com',
    'alluxio.master.mount.table.root.ufs=/mnt/shared/ufs',
    'alluxio.master.embedded.journal.addresses=m1:19200,m2:19200,\\',
    '    m3:19200',
    '# alluxio.zookeeper.enabled=true',
  ].join('\n'), [
    ['alluxio.master.hostname', 'm1.example.com', 2],
    ['alluxio.master.mount.table.root.ufs', '/mnt/shared/ufs', 3],
    ['alluxio.master.embedded.journal.addresses', 'm1:19200,m2:19200,m3:19200', 4],
  ]],
];

for (const [name, text, entries, problems = []] of ROWS) {
  test(`parseProperties: ${name}`, () => {
    const r = parseProperties(text, F);
    assert.deepEqual(r.entries.map((e) => [e.key, e.value, e.line]), entries);
    assert.deepEqual(r.problems, problems);
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { isValidHost, parseHostsFile, parseHostsText } from '../../src/conf/index.js';

const F = '/opt/alluxio/conf/workers';

function problemsOf(fn: () => unknown): readonly string[] {
  try { fn(); } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

const OK: Array<[name: string, text: string, hosts: string[]]> = [
  ['empty file', '', []],
  ['one host', 'w1', ['w1']],
  ['several hosts, file order', 'w2\nw1\nw3\n', ['w2', 'w1', 'w3']],
  ['comments and blank lines', '# workers\n\nw1\n   # indented comment\n\nw2\n', ['w1', 'w2']],
  ['trailing comment', 'w1   # rack 1\nw2#rack2', ['w1', 'w2']],
  ['surrounding blanks', '  w1  \n\tw2\t', ['w1', 'w2']],
  ['CRLF', 'w1\r\nw2\r\n', ['w1', 'w2']],
  ['FQDN, IPv4, IPv6, bracketed IPv6', 'w1.rack-2.example.com\n10.0.0.7\n::1\n[fe80::1]\n', ['w1.rack-2.example.com', '10.0.0.7', '::1', 'fe80::1']],
  ['localhost', 'localhost', ['localhost']],
  ['trailing dot', 'w1.example.com.', ['w1.example.com.']],
];
for (const [name, text, hosts] of OK) {
  test(`parseHostsText: ${name}`, () => assert.deepEqual(parseHostsText(text, F), hosts));
}

const BAD: Array<[name: string, text: string, problems: string[]]> = [
  ['two hosts on a line', 'w1 w2', [`${F}:1: "w1 w2" has more than one host; put one host per line`]],
  ['host and port', 'w1\nw2 22 # ssh', [`${F}:2: "w2 22" has more than one host; put one host per line`]],
  ['underscore', 'bad_host', [`${F}:1: "bad_host" is not a valid host name or IP address`]],
  ['leading hyphen', '-w1', [`${F}:1: "-w1" is not a valid host name or IP address`]],
  ['bad IPv4', '10.0.0.256', [`${F}:1: "10.0.0.256" is not a valid host name or IP address`]],
  ['short IPv4', '10.0.0', [`${F}:1: "10.0.0" is not a valid host name or IP address`]],
  ['host:port', 'w1:22', [`${F}:1: "w1:22" is not a valid host name or IP address`]],
  ['empty label', 'w1..example.com', [`${F}:1: "w1..example.com" is not a valid host name or IP address`]],
  ['bad bracketed IPv6', '[w1]', [`${F}:1: "[w1]" is not a valid host name or IP address`]],
  ['duplicate', 'w1\nw2\nw1', [`${F}:3: duplicate host "w1" (first listed on line 1)`]],
  ['duplicate ignores case', 'W1.example.com\nw1.EXAMPLE.com', [`${F}:2: duplicate host "w1.EXAMPLE.com" (first listed on line 1)`]],
  ['duplicate IPv6 with and without brackets', '::1\n[::1]', [`${F}:2: duplicate host "[::1]" (first listed on line 1)`]],
  ['every problem at once', '# hosts\nw1\nw1\nw 2\nbad_one\nw1', [
    `${F}:3: duplicate host "w1" (first listed on line 2)`,
    `${F}:4: "w 2" has more than one host; put one host per line`,
    `${F}:5: "bad_one" is not a valid host name or IP address`,
    `${F}:6: duplicate host "w1" (first listed on line 2)`,
  ]],
];
for (const [name, text, problems] of BAD) {
  test(`parseHostsText error: ${name}`, () => assert.deepEqual(problemsOf(() => parseHostsText(text, F)), problems));
}

test('isValidHost: label length limit', () => {
  assert.equal(isValidHost('a'.repeat(63)), true);
  assert.equal(isValidHost('a'.repeat(64)), false);
});

test('parseHostsFile: reads a file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-hosts-'));
  try {
    const f = path.join(dir, 'masters');
    fs.writeFileSync(f, 'm1\nm2 # second\n');
    assert.deepEqual(parseHostsFile(f), ['m1', 'm2']);
    fs.writeFileSync(f, 'm1\nm1\n');
    assert.deepEqual(problemsOf(() => parseHostsFile(f)), [`${f}:2: duplicate host "m1" (first listed on line 1)`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parseHostsFile: missing file names it, with a hint', () => {
  const f = path.join(os.tmpdir(), 'no-such-dir-alluxio-test', 'workers');
  try { parseHostsFile(f); assert.fail('expected a ConfigError'); } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, [`${f} does not exist`]);
    assert.equal(e.hint, 'create workers with one host name or IP address per line ("#" starts a comment)');
  }
});

test('parseHostsFile: a directory is a ConfigError', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-hosts-'));
  try {
    assert.deepEqual(problemsOf(() => parseHostsFile(dir)), [`${dir}: cannot read the file (EISDIR)`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

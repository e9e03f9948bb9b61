import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { hostPatternsMatch, parseSshConfig, resolveHost, type HostConfig } from '../../src/orchestrate/sshConfig.js';
import { tmpDir } from './helpers.js';

/** A temp home with .ssh/ and the given files (relative to home). */
function home(files: Record<string, string> = {}): string {
  const h = tmpDir('alluxio-sshcfg-');
  fs.mkdirSync(path.join(h, '.ssh'), { mode: 0o700 });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(h, f)), { recursive: true });
    fs.writeFileSync(path.join(h, f), text);
  }
  return h;
}

function resolve(text: string, host: string, h = home()): HostConfig {
  return resolveHost(parseSshConfig(text, path.join(h, '.ssh', 'config'), { home: h }), host, { user: 'me', home: h });
}

test('hostPatternsMatch table: *, ?, negation, case', () => {
  const rows: [string[], string, boolean][] = [
    [['*'], 'anything', true],
    [['m1'], 'm1', true],
    [['m1'], 'm10', false],
    [['m?'], 'm1', true],
    [['m?'], 'm10', false],
    [['m*'], 'm10', true],
    [['*.example.com'], 'a.example.com', true],
    [['*.example.com'], 'example.com', false],
    [['M1'], 'm1', true],
    [['10.0.0.*'], '10.0.0.7', true],
    [['10.0.0.*'], '10.0.1.7', false],
    [['*', '!m2'], 'm1', true],
    [['*', '!m2'], 'm2', false],
    [['!m2', '*'], 'm2', false],
    [['!m2'], 'm1', false], // a negation alone matches nothing
    [['a', 'b', 'c'], 'b', true],
    [['a.b'], 'aXb', false], // dots are literal
  ];
  for (const [pats, host, want] of rows) assert.equal(hostPatternsMatch(pats, host), want, `${pats.join(' ')} vs ${host}`);
});

test('resolveHost: defaults without a config (user, port 22, default keys that exist, in order)', () => {
  const h = home({ '.ssh/id_rsa': 'x', '.ssh/id_ed25519': 'x' });
  assert.deepEqual(resolveHost(undefined, 'm1', { user: 'me', home: h }), {
    host: 'm1', hostName: 'm1', user: 'me', port: 22,
    identityFiles: [path.join(h, '.ssh/id_ed25519'), path.join(h, '.ssh/id_rsa')],
  });
  assert.deepEqual(resolveHost(undefined, 'm1', { user: 'me', home: home() }).identityFiles, []);
});

test('resolveHost table: first value wins, Host * defaults, negation, keyword case, = syntax, quotes, comments', () => {
  const text = [
    '# global comment',
    'Host m1 m2',
    '  HostName 10.0.0.%h-suffix',
    '  User alice',
    '  Port 2222',
    'Host m1',
    '  User bob              # first value wins: still alice',
    '  ConnectTimeout 7',
    'Host *.lab !bad.lab',
    '  USER=carol',
    '  port = 2200',
    '  IdentityFile "~/.ssh/my key"',
    '  StrictHostKeyChecking accept-new',
    '  UserKnownHostsFile ~/.ssh/known_hosts.lab',
    'Host *',
    '  User dave',
    '  Port 22',
    '  StrictHostKeyChecking yes',
    '  ProxyJump bastion',
  ].join('\n');
  const h = home();
  const k = (f: string) => path.join(h, f);
  const rows: [string, Partial<HostConfig>][] = [
    ['m1', { hostName: '10.0.0.m1-suffix', user: 'alice', port: 2222, connectTimeoutSec: 7, strictHostKeyChecking: 'yes' }],
    ['m2', { hostName: '10.0.0.m2-suffix', user: 'alice', port: 2222, strictHostKeyChecking: 'yes' }],
    ['w1.lab', { hostName: 'w1.lab', user: 'carol', port: 2200, identityFiles: [k('.ssh/my key')], strictHostKeyChecking: 'accept-new', userKnownHostsFile: k('.ssh/known_hosts.lab') }],
    ['bad.lab', { hostName: 'bad.lab', user: 'dave', port: 22, strictHostKeyChecking: 'yes' }],
    ['other', { hostName: 'other', user: 'dave', port: 22, identityFiles: [], strictHostKeyChecking: 'yes' }],
  ];
  const cfg = parseSshConfig(text, k('.ssh/config'), { home: h });
  for (const [host, want] of rows) {
    const got = resolveHost(cfg, host, { user: 'me', home: h });
    for (const [key, v] of Object.entries(want)) assert.deepEqual(got[key as keyof HostConfig], v, `${host}.${key}`);
    assert.equal(got.host, host);
    assert.deepEqual(got.notes, [`${k('.ssh/config')}:19: ProxyJump is not supported; connecting directly`]);
  }
});

test('resolveHost: IdentityFile accumulates in order, tokens %h %u %d %r %p %n %%, ~ expansion, none skipped', () => {
  const h = home();
  const got = resolve([
    'Host m1',
    '  HostName real-m1',
    '  User remote',
    '  Port 2022',
    '  IdentityFile ~/.ssh/%h_%u',
    '  IdentityFile %d/keys/%r@%n:%p',
    '  IdentityFile /k/100%%',
    '  IdentityFile none',
    '  IdentityFile ~/.ssh/%h_%u',
    'Host *',
    '  IdentityFile ~/.ssh/id_all',
  ].join('\n'), 'm1', h);
  assert.deepEqual(got.identityFiles, [
    path.join(h, '.ssh/real-m1_me'),
    path.join(h, 'keys/remote@m1:2022'),
    '/k/100%',
    path.join(h, '.ssh/id_all'),
  ]);
});

test('resolveHost: with IdentityFile in the config the default keys are not added', () => {
  const h = home({ '.ssh/id_ed25519': 'x' });
  assert.deepEqual(resolve('Host *\n IdentityFile /k/one\n', 'm1', h).identityFiles, ['/k/one']);
  assert.deepEqual(resolve('Host other\n IdentityFile /k/one\n', 'm1', h).identityFiles, [path.join(h, '.ssh/id_ed25519')]);
});

test('parseSshConfig: Include (relative to ~/.ssh, globs, nested, inside Host blocks)', () => {
  const h = home({
    '.ssh/config': 'Include conf.d/*.conf\nHost m1\n  Include ~/.ssh/m1-extra\nHost *\n  User fallback\n',
    '.ssh/conf.d/10-a.conf': 'Host a\n  User from-a\n  Include nested\n',
    '.ssh/conf.d/20-b.conf': 'Host b\n  Port 2202\n',
    '.ssh/conf.d/.hidden.conf': 'Host a\n  User hidden\n',
    '.ssh/conf.d/ignored.txt': 'Host b\n  Port 1\n',
    '.ssh/nested': 'Port 2201\n',
    '.ssh/m1-extra': 'User m1-user\nHost zzz\n  Port 9\n',
  });
  const file = path.join(h, '.ssh/config');
  const cfg = parseSshConfig(fs.readFileSync(file, 'utf8'), file, { home: h });
  const r = (host: string) => resolveHost(cfg, host, { user: 'me', home: h });
  assert.equal(r('a').user, 'from-a');
  assert.equal(r('a').port, 2201);
  assert.equal(r('b').port, 2202);
  assert.equal(r('b').user, 'fallback');
  assert.equal(r('m1').user, 'm1-user');
  // `Host zzz` inside a file included from `Host m1` only applies when both match.
  assert.equal(r('zzz').port, 22);
  assert.equal(r('c').user, 'fallback');
  // Entries know where they came from.
  assert.ok(cfg.entries.some((e) => e.file === path.join(h, '.ssh/nested') && e.line === 1));
});

test('parseSshConfig: Include of a missing file is ignored; a loop is refused', () => {
  const h = home({ '.ssh/loop': 'Include loop\n' });
  assert.equal(resolve('Include does-not-exist\nHost *\n User u\n', 'x', h).user, 'u');
  assert.throws(() => parseSshConfig('Include loop\n', path.join(h, '.ssh/config'), { home: h }),
    (e: unknown) => e instanceof ConfigError && /nested too deeply/.test(e.message));
});

test('parseSshConfig: Match blocks are ignored with a warning', () => {
  const h = home();
  const file = path.join(h, '.ssh/config');
  const cfg = parseSshConfig('Match host m1 exec "true"\n  User matched\nHost m1\n  Port 2022\n', file, { home: h });
  assert.deepEqual(cfg.warnings, [`${file}:1: Match blocks are not supported; the lines up to the next Host or Match are ignored`]);
  const r = resolveHost(cfg, 'm1', { user: 'me', home: h });
  assert.equal(r.user, 'me');
  assert.equal(r.port, 2022);
});

test('parseSshConfig: every bad value is reported at once with file:line', () => {
  const file = '/h/.ssh/config';
  assert.throws(() => parseSshConfig('Host a\n Port x\n ConnectTimeout soon\n StrictHostKeyChecking maybe\n User "unterminated\nHost\n', file, { home: '/h' }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 5
      && e.problems[0] === '/h/.ssh/config:2: bad Port "x" (expected 1-65535)'
      && e.problems[1] === '/h/.ssh/config:3: bad ConnectTimeout "soon" (expected whole seconds)'
      && e.problems[2] === '/h/.ssh/config:4: bad StrictHostKeyChecking "maybe" (expected yes, no, accept-new or ask)'
      && e.problems[3] === '/h/.ssh/config:5: unterminated quote'
      && e.problems[4] === '/h/.ssh/config:6: Host needs at least one pattern');
});

test('parseSshConfig: StrictHostKeyChecking synonyms; unknown keywords are accepted and ignored', () => {
  const rows: [string, HostConfig['strictHostKeyChecking']][] = [['yes', 'yes'], ['true', 'yes'], ['no', 'no'], ['off', 'no'], ['false', 'no'], ['ask', 'ask'], ['Accept-New', 'accept-new']];
  for (const [v, want] of rows) assert.equal(resolve(`StrictHostKeyChecking ${v}\nForwardAgent yes\nSendEnv LANG LC_*\n`, 'x').strictHostKeyChecking, want, v);
});

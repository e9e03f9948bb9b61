/**
 * URI authorities (src/client/uri.ts) against Alluxio's Authority.fromString (reference section 5):
 * the regexes are tried in order zk@list, single host:port, multi list (",", ";" or "+"),
 * zk@name, ebj@name; anything else is an UnknownAuthority, never an exception - except an
 * overflowing single-master port, where Integer.parseInt throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { type Authority, authorityOverrides, parseAlluxioUri, parseAuthority } from '../../src/client/uri.js';

const unknown = (raw: string): Authority => ({ kind: 'unknown', raw });

const AUTHORITIES: Array<[name: string, raw: string | undefined | null, expected: Authority]> = [
  // none
  ['empty', '', { kind: 'none' }],
  ['undefined', undefined, { kind: 'none' }],
  ['null', null, { kind: 'none' }],
  // single master
  ['single host', 'localhost:19998', { kind: 'single', host: 'localhost', port: 19998 }],
  ['single IPv4', '10.0.0.1:19998', { kind: 'single', host: '10.0.0.1', port: 19998 }],
  ['single FQDN', 'm1.example.com:200', { kind: 'single', host: 'm1.example.com', port: 200 }],
  ['single: "+" is allowed in the host', 'a+b:1', { kind: 'single', host: 'a+b', port: 1 }],
  ['single: port with leading zeros (parseInt)', 'h:019998', { kind: 'single', host: 'h', port: 19998 }],
  ['single: port not range-checked', 'h:532423', { kind: 'single', host: 'h', port: 532423 }],
  ['single: largest int port', 'h:2147483647', { kind: 'single', host: 'h', port: 2147483647 }],
  ['single: case-sensitive zk@ (ZK@ is a host)', 'ZK@a:1', { kind: 'single', host: 'ZK@a', port: 1 }],
  ['single: ebj@host:port is a host, not a logical name', 'ebj@a:1', { kind: 'single', host: 'ebj@a', port: 1 }],
  // multi master
  ['comma list', 'h1:19998,h2:19998', { kind: 'multi', addresses: ['h1:19998', 'h2:19998'] }],
  ['semicolon list', 'h1:19998;h2:19998;h3:19998', { kind: 'multi', addresses: ['h1:19998', 'h2:19998', 'h3:19998'] }],
  ['plus list', 'h1:1+h2:2', { kind: 'multi', addresses: ['h1:1', 'h2:2'] }],
  ['mixed delimiters', 'h1:1;h2:2+h3:3,h4:4', { kind: 'multi', addresses: ['h1:1', 'h2:2', 'h3:3', 'h4:4'] }],
  ['multi: duplicates kept', 'h:1,h:1', { kind: 'multi', addresses: ['h:1', 'h:1'] }],
  ['multi: port not range-checked', 'h1:532423,h2:1', { kind: 'multi', addresses: ['h1:532423', 'h2:1'] }],
  // ZooKeeper
  ['zk@ one server', 'zk@zk1:2181', { kind: 'zookeeper', addresses: ['zk1:2181'] }],
  ['zk@ comma list', 'zk@zk1:2181,zk2:2181,zk3:2181', { kind: 'zookeeper', addresses: ['zk1:2181', 'zk2:2181', 'zk3:2181'] }],
  ['zk@ ";" and "+" normalised', 'zk@zk1:2181;zk2:2181+zk3:2181', { kind: 'zookeeper', addresses: ['zk1:2181', 'zk2:2181', 'zk3:2181'] }],
  // logical names
  ['zk@name', 'zk@my-cluster', { kind: 'logical', type: 'zk', name: 'my-cluster' }],
  ['zk@name with dot and underscore', 'zk@ns_1.prod', { kind: 'logical', type: 'zk', name: 'ns_1.prod' }],
  ['ebj@name', 'ebj@cluster_1', { kind: 'logical', type: 'ebj', name: 'cluster_1' }],
  // unknown (no exception)
  ['host without port', 'localhost', unknown('localhost')],
  ['"localhost:" (empty port)', 'localhost:', unknown('localhost:')],
  ['trailing comma', 'h1:19998,h2:19998,', unknown('h1:19998,h2:19998,')],
  ['trailing semicolon after one host', 'h1:1;', unknown('h1:1;')],
  ['lone comma', ',', unknown(',')],
  ['two commas', ',,', unknown(',,')],
  ['mixed valid and invalid entries', 'h1:1,h2', unknown('h1:1,h2')],
  ['hosts without ports', 'h1,h2', unknown('h1,h2')],
  ['non-numeric port', 'h:port', unknown('h:port')],
  ['two colons', 'h:1:2', unknown('h:1:2')],
  ['IPv6 in brackets', '[::1]:19998', unknown('[::1]:19998')],
  ['IPv6 list in brackets', '[fe80::1]:1,[fe80::2]:2', unknown('[fe80::1]:1,[fe80::2]:2')],
  ['bare IPv6', '::1', unknown('::1')],
  ['zk@ alone', 'zk@', unknown('zk@')],
  ['ebj@ alone', 'ebj@', unknown('ebj@')],
  ['zk@ list with a port-less entry', 'zk@zk1:2181,zk2', unknown('zk@zk1:2181,zk2')],
  ['zk@ list with a trailing ";"', 'zk@zk1:2181;', unknown('zk@zk1:2181;')],
  ['logical name with a bad character', 'zk@a b', unknown('zk@a b')],
  ['trailing blank after the port', 'h:1 ', unknown('h:1 ')],
];

for (const [name, raw, expected] of AUTHORITIES) {
  test(`parseAuthority: ${name} (${JSON.stringify(raw)})`, () => {
    assert.deepEqual(parseAuthority(raw), expected);
  });
}

test('parseAuthority: an overflowing single-master port is an error, as Integer.parseInt throws', () => {
  for (const raw of ['h:2147483648', 'h:99999999999', 'h:123456789012345678901234']) {
    assert.throws(() => parseAuthority(raw), UsageError, raw);
    assert.throws(() => parseAlluxioUri(`alluxio://${raw}/p`), UsageError, raw);
  }
});

const URIS: Array<[uri: string, expected: { authority: Authority; path: string }]> = [
  ['alluxio://h1:19998,h2:19998/p', { authority: { kind: 'multi', addresses: ['h1:19998', 'h2:19998'] }, path: '/p' }],
  ['alluxio://h1:19998;h2:19998/p', { authority: { kind: 'multi', addresses: ['h1:19998', 'h2:19998'] }, path: '/p' }],
  ['alluxio://zk@zk1:2181;zk2:2181/p/q', { authority: { kind: 'zookeeper', addresses: ['zk1:2181', 'zk2:2181'] }, path: '/p/q' }],
  ['alluxio://zk@prod/p', { authority: { kind: 'logical', type: 'zk', name: 'prod' }, path: '/p' }],
  ['alluxio://ebj@prod/p', { authority: { kind: 'logical', type: 'ebj', name: 'prod' }, path: '/p' }],
  ['alluxio://localhost:19998/a/b.txt', { authority: { kind: 'single', host: 'localhost', port: 19998 }, path: '/a/b.txt' }],
  ['alluxio://h:1', { authority: { kind: 'single', host: 'h', port: 1 }, path: '/' }],
  ['alluxio://h1:1;h2:2/', { authority: { kind: 'multi', addresses: ['h1:1', 'h2:2'] }, path: '/' }],
  ['alluxio://localhost/p', { authority: unknown('localhost'), path: '/p' }],
  ['alluxio://[::1]:19998/p', { authority: unknown('[::1]:19998'), path: '/p' }],
  ['alluxio:///p', { authority: { kind: 'none' }, path: '/p' }],
  ['alluxio:/p', { authority: { kind: 'none' }, path: '/p' }],
  ['alluxio://', { authority: { kind: 'none' }, path: '/' }],
  ['ALLUXIO://h:1/p', { authority: { kind: 'single', host: 'h', port: 1 }, path: '/p' }],
  ['/p', { authority: { kind: 'none' }, path: '/p' }],
  ['/', { authority: { kind: 'none' }, path: '/' }],
  ['/a:b', { authority: { kind: 'none' }, path: '/a:b' }],
];

for (const [uri, expected] of URIS) {
  test(`parseAlluxioUri: ${uri}`, () => {
    assert.deepEqual(parseAlluxioUri(uri), expected);
  });
}

for (const uri of ['hdfs://x/p', 'file:///p', 's3a://bucket/p', 'foo:bar']) {
  test(`parseAlluxioUri: ${uri} is a UsageError naming the scheme`, () => {
    assert.throws(() => parseAlluxioUri(uri), (e: unknown) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
      assert.match(e.message, new RegExp(`scheme "${uri.slice(0, uri.indexOf(':'))}" is not supported`));
      return true;
    });
  });
}

const OVERRIDES: Array<[raw: string, expected: Record<string, string>]> = [
  ['', {}],
  ['m1:19998', { 'alluxio.master.hostname': 'm1', 'alluxio.master.rpc.port': '19998', 'alluxio.master.rpc.addresses': 'm1:19998' }],
  ['m1:19998;m2:19998+m3:19998', { 'alluxio.master.rpc.addresses': 'm1:19998,m2:19998,m3:19998' }],
  ['zk@zk1:2181;zk2:2181', { 'alluxio.zookeeper.enabled': 'true', 'alluxio.zookeeper.address': 'zk1:2181,zk2:2181' }],
];

for (const [raw, expected] of OVERRIDES) {
  test(`authorityOverrides: ${JSON.stringify(raw)}`, () => {
    assert.deepEqual(authorityOverrides(parseAuthority(raw)), expected);
  });
}

for (const raw of ['zk@prod', 'ebj@prod', 'localhost', 'localhost:', 'h1:1,', '[::1]:19998']) {
  test(`authorityOverrides: ${JSON.stringify(raw)} is a UsageError`, () => {
    assert.throws(() => authorityOverrides(parseAuthority(raw)), (e: unknown) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
      assert.ok(e.message.includes(raw), e.message);
      return true;
    });
  });
}

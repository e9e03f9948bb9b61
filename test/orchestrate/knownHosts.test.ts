import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { checkHostKey, knownHostsLine, knownHostsName, knownKeyTypes, type HostKeyVerdict } from '../../src/orchestrate/knownHosts.js';

// Fake key blobs: only their bytes matter to the lookup.
const K1 = Buffer.from('key-one-ed25519').toString('base64');
const K2 = Buffer.from('key-two-ed25519').toString('base64');
const R1 = Buffer.from('key-rsa').toString('base64');

/** A hashed host field as `ssh-keygen -H` writes it: |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
function hashed(name: string, salt = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const M: HostKeyVerdict = { kind: 'match' };
const U: HostKeyVerdict = { kind: 'unknown' };
const X = (line: number, extra: { revoked?: boolean } = {}): HostKeyVerdict => ({ kind: 'mismatch', line, file: 'kh', ...extra });

test('knownHostsName / knownHostsLine: plain name, [host]:port when the port is not 22', () => {
  assert.equal(knownHostsName('M1.example.com', 22), 'm1.example.com');
  assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
  assert.equal(knownHostsLine('m1', 22, 'ssh-ed25519', K1), `m1 ssh-ed25519 ${K1}`);
  assert.equal(knownHostsLine('127.0.0.1', 40022, 'ssh-ed25519', K1), `[127.0.0.1]:40022 ssh-ed25519 ${K1}`);
});

test('checkHostKey table: plain, lists, wildcards, negation, ports, hashed, mismatch, revoked, CA', () => {
  const rows: { name: string; text: string; host: string; port: number; type?: string; key?: string; want: HostKeyVerdict }[] = [
    { name: 'empty file', text: '', host: 'm1', port: 22, want: U },
    { name: 'plain match', text: `m1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: 'host names are case-insensitive', text: `M1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: 'comment and blank lines are skipped, line numbers count them', text: `# c\n\nm1 ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: X(3) },
    { name: 'other host only', text: `m2 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: U },
    { name: 'comma list', text: `m0,m1,10.0.0.1 ssh-ed25519 ${K1}\n`, host: '10.0.0.1', port: 22, want: M },
    { name: 'wildcard', text: `*.example.com ssh-ed25519 ${K1}\n`, host: 'm1.example.com', port: 22, want: M },
    { name: 'question mark', text: `m? ssh-ed25519 ${K1}\n`, host: 'm7', port: 22, want: M },
    { name: 'negation excludes', text: `*.example.com,!bad.example.com ssh-ed25519 ${K1}\n`, host: 'bad.example.com', port: 22, want: U },
    { name: 'non-22 port needs [host]:port', text: `m1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 2222, want: U },
    { name: '[host]:port entry', text: `[m1]:2222 ssh-ed25519 ${K1}\n`, host: 'm1', port: 2222, want: M },
    { name: '[host]:port entry does not apply to another port', text: `[m1]:2222 ssh-ed25519 ${K2}\n`, host: 'm1', port: 2223, want: U },
    { name: '[host]:port entry does not apply to port 22', text: `[m1]:2222 ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: U },
    { name: 'wildcard with port', text: `[10.0.0.*]:2222 ssh-ed25519 ${K1}\n`, host: '10.0.0.5', port: 2222, want: M },
    { name: 'hashed plain name', text: `${hashed('m1')} ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: 'hashed other name', text: `${hashed('m2')} ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: U },
    { name: 'hashed [host]:port', text: `${hashed('[127.0.0.1]:2222')} ssh-ed25519 ${K1}\n`, host: '127.0.0.1', port: 2222, want: M },
    { name: 'hashed mismatch names the line', text: `m0 ssh-ed25519 ${K1}\n${hashed('m1')} ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: X(2) },
    { name: 'changed key of the same type', text: `m1 ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: X(1) },
    { name: 'first mismatching line is named', text: `x ssh-rsa ${R1}\nm1 ssh-ed25519 ${K2}\nm1 ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: X(2) },
    { name: 'any matching line wins over a different key of the same type', text: `m1 ssh-ed25519 ${K2}\nm1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: 'only another key type known: unknown (as OpenSSH)', text: `m1 ssh-rsa ${R1}\n`, host: 'm1', port: 22, want: U },
    { name: 'rsa match', text: `m1 ssh-rsa ${R1}\n`, host: 'm1', port: 22, type: 'ssh-rsa', key: R1, want: M },
    { name: 'revoked key is a mismatch even with a matching line', text: `m1 ssh-ed25519 ${K1}\n@revoked * ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: X(2, { revoked: true }) },
    { name: 'revoked other key does not matter', text: `@revoked * ssh-ed25519 ${K2}\nm1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: 'revoked for another host does not matter', text: `@revoked m2 ssh-ed25519 ${K1}\nm1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
    { name: '@cert-authority lines are ignored', text: `@cert-authority * ssh-ed25519 ${K2}\n`, host: 'm1', port: 22, want: U },
    { name: 'CRLF line ends and trailing comments', text: `m1 ssh-ed25519 ${K1} root@m1\r\n`, host: 'm1', port: 22, want: M },
    { name: 'malformed lines are skipped', text: `m1 ssh-ed25519\ngarbage\nm1 ssh-ed25519 ${K1}\n`, host: 'm1', port: 22, want: M },
  ];
  for (const r of rows) {
    assert.deepEqual(checkHostKey(r.text, r.host, r.port, r.type ?? 'ssh-ed25519', r.key ?? K1, 'kh'), r.want, r.name);
  }
});

test('checkHostKey: the file defaults to known_hosts in a mismatch', () => {
  assert.deepEqual(checkHostKey(`m1 ssh-ed25519 ${K2}\n`, 'm1', 22, 'ssh-ed25519', K1), { kind: 'mismatch', line: 1, file: 'known_hosts' });
});

test('knownKeyTypes lists the recorded key types for the host, in file order', () => {
  const text = `m1 ssh-rsa ${R1}\n${hashed('m1')} ecdsa-sha2-nistp256 ${K2}\nm2 ssh-ed25519 ${K1}\n@revoked m1 ssh-ed25519 ${K1}\nm1 ssh-rsa ${R1}\n`;
  assert.deepEqual(knownKeyTypes(text, 'm1', 22), ['ssh-rsa', 'ecdsa-sha2-nistp256']);
  assert.deepEqual(knownKeyTypes(text, 'm3', 22), []);
});

test('a line written by knownHostsLine is found again', () => {
  for (const port of [22, 2222]) {
    const text = `${knownHostsLine('Host-A', port, 'ssh-ed25519', K1)}\n`;
    assert.deepEqual(checkHostKey(text, 'host-a', port, 'ssh-ed25519', K1), M);
    assert.deepEqual(checkHostKey(text, 'host-a', port, 'ssh-ed25519', K2, 'f').kind, 'mismatch');
  }
});

/**
 * known_hosts lookup (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), pure: text in, verdict out.
 *
 * Supported: plain host patterns (comma lists, `*`/`?` wildcards, `!` negation), hashed names
 * (`|1|base64(salt)|base64(HMAC-SHA1(salt, name))`), the `[host]:port` form for ports other
 * than 22, `@revoked` (a revoked key is refused) and `@cert-authority` (ignored: we do not do
 * host certificates).
 */
import { createHmac } from 'node:crypto';
import { globToRegExp } from './sshConfig.js';

export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  /** `line` is 1-based. `revoked` is set when the key is listed under `@revoked`. */
  | { kind: 'mismatch'; line: number; file: string; revoked?: boolean };

/** The name a host is recorded under: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** A plain known_hosts line for the key (what `accept-new` appends). */
export function knownHostsLine(host: string, port: number, keyType: string, keyBase64: string): string {
  return `${knownHostsName(host, port)} ${keyType} ${keyBase64}`;
}

interface Entry {
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const f = raw.split(/\s+/);
    let marker: Entry['marker'] = '';
    if (f[0]!.startsWith('@')) {
      const m = f.shift()!.toLowerCase();
      if (m !== '@revoked' && m !== '@cert-authority') continue; // unknown marker: skip the line, as OpenSSH does
      marker = m;
    }
    if (f.length < 3) continue;
    out.push({ line: i + 1, marker, hosts: f[0]!, keyType: f[1]!, key: Buffer.from(f[2]!, 'base64') });
  }
  return out;
}


function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hmac]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const want = Buffer.from(parts[3]!, 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && want.equals(got);
}

/** Whether the host field of a line names `name` (already in `[host]:port` form if needed). */
function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatch(hosts, name);
  let positive = false;
  for (const pat of hosts.split(',')) {
    if (pat === '') continue;
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    if (globToRegExp(p, 'i').test(name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/**
 * Look the offered key up. A line with the same key type and the same key matches (several
 * keys of one type may be listed); otherwise a line for the host with the same key type but
 * another key is a mismatch (the first such line is named). A revoked key is a mismatch wherever it appears for the host. Keys of other types
 * leave the verdict `unknown`, as in OpenSSH (the caller prefers the known types while
 * negotiating, so a host normally offers the recorded type).
 */
export function checkHostKey(knownHostsText: string, host: string, port: number, keyType: string, keyBase64: string, file = 'known_hosts'): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const key = Buffer.from(keyBase64, 'base64');
  let mismatch: number | undefined;
  let matched = false;
  for (const e of parse(knownHostsText)) {
    if (e.marker === '@cert-authority') continue;
    if (!hostsMatch(e.hosts, name)) continue;
    if (e.marker === '@revoked') {
      if (e.key.equals(key)) return { kind: 'mismatch', line: e.line, file, revoked: true };
      continue;
    }
    if (e.keyType !== keyType) continue;
    if (e.key.equals(key)) matched = true;
    else if (mismatch === undefined) mismatch = e.line;
  }
  if (matched) return { kind: 'match' };
  if (mismatch !== undefined) return { kind: 'mismatch', line: mismatch, file };
  return { kind: 'unknown' };
}

/** Key types recorded for the host (plain and hashed entries, not revoked/CA), in file order. */
export function knownKeyTypes(knownHostsText: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types: string[] = [];
  for (const e of parse(knownHostsText)) {
    if (e.marker !== '') continue;
    if (hostsMatch(e.hosts, name) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/**
 * Host key checking during the handshake, as OpenSSH does it: the key the host offers must be
 * recorded for it in known_hosts (the user's file, then the system files; parsed by
 * knownHosts.ts); a revoked or changed key is always refused; an unknown key is refused under
 * 'strict' and recorded under 'accept-new'.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ParsedKey } from 'ssh2';
import { SshError } from '../../errors.js';
import { checkHostKey, knownHostsLine, knownHostsName, knownKeyTypes, type HostKeyVerdict } from '../knownHosts.js';
import { quote } from '../shell.js';
import { ssh2 } from './lib.js';
import type { HostSettings } from './settings.js';

/** ssh2's default host key algorithms, to reorder when known_hosts already records a type. */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

function readIfExists(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

/** `[-p port ]user@host`: what to type to reach the host with ssh (for hints). */
export function sshTarget(s: HostSettings): string {
  return `${s.cfg.port !== 22 ? `-p ${s.cfg.port} ` : ''}${s.cfg.user}@${s.host}`;
}

export class HostKeyCheck {
  /** Set when verify() refused the key (or could not record it): why, for the operator. */
  failure: SshError | undefined;
  /** Whether the host offered a key at all (the handshake got that far). */
  seen = false;
  /** Host key algorithms to offer, the types already recorded for the host first. */
  readonly algorithms: string[];
  private readonly files: string[];

  constructor(private readonly s: HostSettings) {
    this.files = [s.knownHostsFile, ...s.globalKnownHostsFiles];
    // Prefer host key types already recorded, so a host with several keys offers the known one.
    const known = this.files.flatMap((f) => knownKeyTypes(readIfExists(f), s.cfg.hostName, s.cfg.port));
    const preferred = known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => HOST_KEY_ALGOS.includes(a));
    this.algorithms = [...new Set([...preferred, ...HOST_KEY_ALGOS])];
  }

  /** ssh2's hostVerifier: whether to go on with this key. */
  verify(blob: Buffer): boolean {
    const { host, cfg, knownHostsFile: knownFile } = this.s;
    this.seen = true;
    const name = knownHostsName(cfg.hostName, cfg.port);
    const parsed = ssh2().utils.parseKey(blob);
    const type = parsed instanceof Error ? blobKeyType(blob) : (Array.isArray(parsed) ? (parsed[0] as ParsedKey).type : parsed.type);
    const b64 = blob.toString('base64');
    const fp = fingerprint(blob);
    const verdicts: HostKeyVerdict[] = this.files.map((f) => checkHostKey(readIfExists(f), cfg.hostName, cfg.port, type, b64, f));
    const revoked = verdicts.find((v) => v.kind === 'mismatch' && v.revoked === true);
    if (revoked !== undefined && revoked.kind === 'mismatch') {
      return this.refuse(`host key ${type} ${fp} for ${name} is revoked (@revoked at ${revoked.file}:${revoked.line}); refusing to connect`,
        `the host needs a new host key; then record it with \`ssh ${sshTarget(this.s)}\``);
    }
    if (verdicts.some((v) => v.kind === 'match')) return true;
    const changed = verdicts.find((v) => v.kind === 'mismatch');
    if (changed !== undefined && changed.kind === 'mismatch') {
      const aliasName = knownHostsName(host, cfg.port);
      const defaultFile = path.join(os.homedir(), '.ssh', 'known_hosts');
      const fileArg = changed.file === defaultFile ? '' : ` -f ${quote(changed.file)}`;
      return this.refuse(
        `HOST KEY CHANGED for ${name}: the host offers ${type} ${fp}, which differs from the key at ${changed.file}:${changed.line}; refusing to connect (the host may have been reinstalled, or someone may be intercepting the connection)`,
        `if the change is expected, remove the old key with \`ssh-keygen -R ${quote(name)}${fileArg}\``
          + (aliasName !== name ? ` (and \`ssh-keygen -R ${quote(aliasName)}${fileArg}\` if it is also recorded under the name ${host})` : '')
          + ' and connect again');
    }
    if (this.s.policy === 'strict') {
      return this.refuse(`host key for ${name} is not known: ${type} ${fp} is not in ${knownFile}; refusing to connect (strict host key checking)`,
        `verify the fingerprint, then record it by connecting once with \`ssh ${sshTarget(this.s)}\`, or re-run with --accept-new-host-keys`);
    }
    const line = knownHostsLine(cfg.hostName, cfg.port, type, b64);
    try {
      fs.mkdirSync(path.dirname(knownFile), { recursive: true, mode: 0o700 });
      const existing = readIfExists(knownFile);
      fs.appendFileSync(knownFile, `${existing !== '' && !existing.endsWith('\n') ? '\n' : ''}${line}\n`, { mode: 0o600 });
    } catch (e) {
      this.failure = new SshError(host, 'hostkey', `cannot record the new host key ${type} ${fp} for ${name} in ${knownFile}: ${(e as Error).message}`, {
        hint: `make ${knownFile} writable`, cause: e,
      });
      return false;
    }
    this.s.onHostKeyAdded?.(host, line, knownFile);
    return true;
  }

  private refuse(message: string, hint: string): false {
    this.failure = new SshError(this.s.host, 'hostkey', message, { hint });
    return false;
  }
}

/**
 * Public key authentication, as ssh does it: the ssh-agent first (when there is one), then each
 * identity file in order (the pool's extra keys, IdentityFile lines, ~/.ssh/id_{ed25519,ecdsa,rsa}).
 * Keys that cannot be used are skipped and named in the failure, with what the server accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AnyAuthMethod, AuthenticationType, NextAuthHandler, ParsedKey } from 'ssh2';
import { SshError } from '../../errors.js';
import { sshTarget } from './hostKeys.js';
import { ssh2 } from './lib.js';
import { errCode, type HostSettings } from './settings.js';

const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export class Authentication {
  private readonly tried: string[] = [];
  private readonly skipped: string[] = [];
  private serverMethods: string[] | undefined;
  private readonly queue: (() => AnyAuthMethod | undefined)[] = [];
  /** Every method was tried (the handler said false): authentication failed. */
  exhausted = false;

  constructor(private readonly s: HostSettings) {
    const { cfg, agent } = s;
    if (agent !== undefined) {
      this.queue.push(() => { this.tried.push(`ssh-agent (${agent})`); return { type: 'agent', username: cfg.user, agent }; });
    }
    for (const f of cfg.identityFiles) this.queue.push(() => this.keyFile(f));
  }

  /** ssh2's authHandler: the next method to try, or false when none is left. */
  readonly handler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
    if (methodsLeft) this.serverMethods = methodsLeft;
    while (this.queue.length > 0) {
      if (methodsLeft && !methodsLeft.includes('publickey')) break;
      const m = this.queue.shift()!();
      if (m !== undefined) { next(m); return; }
    }
    this.exhausted = true;
    next(false as unknown as AuthenticationType);
  };

  /** The agent failed (ssh2 error level 'agent'): it was not really tried. */
  agentFailed(message: string): void {
    const i = this.tried.findIndex((t) => t.startsWith('ssh-agent'));
    if (i >= 0) this.tried.splice(i, 1);
    this.skipped.push(`ssh-agent (${this.s.agent}: ${message})`);
  }

  /** A method failed without ending the authentication (ssh2 error level 'client-authentication'). */
  methodFailed(message: string): void {
    this.skipped.push(message);
  }

  /** Permission denied: what was tried and skipped, and what the server accepts. */
  failure(): SshError {
    const { host, cfg, home } = this.s;
    const parts: string[] = [];
    if (this.tried.length === 0 && this.skipped.length === 0) {
      parts.push(`no key to offer (none of ${DEFAULT_KEY_NAMES.map((k) => path.join(home, '.ssh', k)).join(', ')} exists and no ssh-agent is set)`);
    } else {
      parts.push(`tried ${this.tried.length > 0 ? this.tried.join(', ') : 'no key'}`);
      if (this.skipped.length > 0) parts.push(`skipped ${this.skipped.join(', ')}`);
    }
    if (this.serverMethods !== undefined) parts.push(`the server accepts: ${this.serverMethods.join(', ') || 'nothing'}`);
    return new SshError(host, 'auth', `permission denied for user ${cfg.user} on ${cfg.hostName}:${cfg.port}; ${parts.join('; ')}`, {
      hint: `install a public key for ${cfg.user}: ssh-copy-id ${sshTarget(this.s)}`,
    });
  }

  private keyFile(f: string): AnyAuthMethod | undefined {
    let k = this.s.keys.get(f);
    if (k === undefined) this.s.keys.set(f, k = loadKey(f));
    if ('skip' in k) { this.skipped.push(k.skip); return undefined; }
    this.tried.push(f);
    return { type: 'publickey', username: this.s.cfg.user, key: k.key };
  }
}

/**
 * An identity file read and parsed, or why it is skipped. Kept per pool (HostSettings.keys):
 * fan-out to many hosts reads and parses each key once, not once per connection.
 */
export type LoadedKey = { key: ParsedKey } | { skip: string };

function loadKey(f: string): LoadedKey {
  let data: Buffer;
  try { data = fs.readFileSync(f); } catch (e) {
    return { skip: `${f} (${errCode(e) === 'ENOENT' ? 'not found' : `unreadable: ${(e as Error).message}`})` };
  }
  const k = ssh2().utils.parseKey(data);
  if (k instanceof Error) {
    return { skip: /passphrase|encrypted/i.test(k.message) ? `${f} (encrypted, no passphrase; load it into ssh-agent)` : `${f} (not a usable private key: ${k.message})` };
  }
  const key = Array.isArray(k) ? (k[0] as ParsedKey) : k;
  if (!key.isPrivateKey()) return { skip: `${f} (not a private key)` };
  return { key };
}

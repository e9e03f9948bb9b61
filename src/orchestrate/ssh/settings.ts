/**
 * What applies to a connection to one host: the pool's options over ~/.ssh/config (parsed by
 * sshConfig.ts, the file read once per pool), with OpenSSH's defaults.
 */
import dns from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../errors.js';
import { parseSshConfig, resolveHost, type HostConfig, type SshConfigFile } from '../sshConfig.js';
import type { LoadedKey } from './auth.js';

export type HostKeyPolicy = 'strict' | 'accept-new';

export interface SshPoolOptions {
  /** Default os.homedir(); ~/.ssh/config, ~/.ssh/known_hosts and default keys come from here. */
  home?: string;
  /** Overrides the config. */
  user?: string;
  port?: number;
  /** Extra keys tried first. */
  identityFiles?: string[];
  /** Default 'strict' (or what StrictHostKeyChecking says: accept-new/no -> 'accept-new'). 'accept-new' records unknown keys; a changed key is always refused. */
  hostKeyPolicy?: HostKeyPolicy;
  /** Default <home>/.ssh/known_hosts (or UserKnownHostsFile from the config). */
  knownHostsFile?: string;
  /** Read-only system files, consulted as OpenSSH does. Default /etc/ssh/ssh_known_hosts{,2}. */
  globalKnownHostsFiles?: string[];
  /** Default 5000 (or ConnectTimeout from the config). Bounds DNS, each TCP connect and the handshake. */
  connectTimeoutMs?: number;
  /** Default process.env.SSH_AUTH_SOCK; false for none. */
  agent?: string | false;
  /** Concurrent sessions per connection (sshd MaxSessions defaults to 10). Default 10. */
  maxSessions?: number;
  /** Called after 'accept-new' recorded a key (to tell the operator). */
  onHostKeyAdded?(host: string, line: string, file: string): void;
  /** Name resolution; default dns.promises.lookup (injectable so tests send no DNS queries). */
  lookup?(hostName: string): Promise<dns.LookupAddress[]>;
}

/** Everything connecting to one host needs. */
export interface HostSettings {
  /** The name as given (a conf/masters or conf/workers line). */
  host: string;
  cfg: HostConfig;
  home: string;
  /** Bounds DNS, each TCP connect and the handshake. */
  timeoutMs: number;
  policy: HostKeyPolicy;
  knownHostsFile: string;
  globalKnownHostsFiles: readonly string[];
  /** The ssh-agent socket, if any. */
  agent: string | undefined;
  onHostKeyAdded: ((host: string, line: string, file: string) => void) | undefined;
  lookup(hostName: string): Promise<dns.LookupAddress[]>;
  /** Identity files already read and parsed by this pool (ssh/auth.ts), by path. */
  keys: Map<string, LoadedKey>;
}

export function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : '';
}

function localUser(): string {
  try { return os.userInfo().username; } catch { return process.env.USER ?? process.env.LOGNAME ?? 'root'; }
}

export class SshSettings {
  readonly home: string;
  private readonly resolvedCache = new Map<string, HostConfig>();
  private readonly keys = new Map<string, LoadedKey>();
  private config: SshConfigFile | undefined | null = null; // null: not loaded yet

  constructor(private readonly opts: SshPoolOptions) {
    this.home = opts.home ?? os.homedir();
  }

  /** What config applies (for messages and --dry-run). */
  resolved(host: string): HostConfig {
    let r = this.resolvedCache.get(host);
    if (r !== undefined) return r;
    const base = resolveHost(this.loadConfig(), host, { user: localUser(), home: this.home });
    const files: string[] = [];
    for (const f of [...(this.opts.identityFiles ?? []), ...base.identityFiles]) if (!files.includes(f)) files.push(f);
    r = { ...base, user: this.opts.user ?? base.user, port: this.opts.port ?? base.port, identityFiles: files };
    this.resolvedCache.set(host, r);
    return r;
  }

  forHost(host: string): HostSettings {
    const cfg = this.resolved(host);
    const o = this.opts;
    return {
      host,
      cfg,
      home: this.home,
      timeoutMs: o.connectTimeoutMs ?? (cfg.connectTimeoutSec !== undefined && cfg.connectTimeoutSec > 0 ? cfg.connectTimeoutSec * 1000 : 5000),
      policy: o.hostKeyPolicy ?? (cfg.strictHostKeyChecking === 'accept-new' || cfg.strictHostKeyChecking === 'no' ? 'accept-new' : 'strict'),
      knownHostsFile: o.knownHostsFile ?? cfg.userKnownHostsFile ?? path.join(this.home, '.ssh', 'known_hosts'),
      globalKnownHostsFiles: o.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      agent: o.agent === false ? undefined : (o.agent ?? process.env.SSH_AUTH_SOCK) || undefined,
      onHostKeyAdded: o.onHostKeyAdded,
      lookup: o.lookup ?? ((h: string) => dns.promises.lookup(h, { all: true, verbatim: true })),
      keys: this.keys,
    };
  }

  private loadConfig(): SshConfigFile | undefined {
    if (this.config !== null) return this.config;
    const file = path.join(this.home, '.ssh', 'config');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') { this.config = undefined; return undefined; }
      throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`);
    }
    this.config = parseSshConfig(text, file, { home: this.home });
    return this.config;
  }
}

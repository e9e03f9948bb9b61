/**
 * The SSH connection pool: one authenticated ssh2 connection per host for the whole command,
 * host keys verified against known_hosts (never StrictHostKeyChecking=no), no PTY ever.
 *
 * Connecting goes through three phases so each failure gets its own SshError kind and hint:
 * name resolution ('dns'), TCP connect to each address in turn ('unreachable'), then the SSH
 * handshake (host key -> 'hostkey', authentication -> 'auth', anything else -> 'other').
 */
import { createHash, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, Client as ClientT, NextAuthHandler, ParsedKey } from 'ssh2';
import { ConfigError, HostError, SshError, TimeoutError } from '../errors.js';
import { checkHostKey, knownHostsLine, knownHostsName, knownKeyTypes, type HostKeyVerdict } from './knownHosts.js';
import { quote, toShell } from './shell.js';
import { parseSshConfig, resolveHost, type HostConfig, type SshConfigFile } from './sshConfig.js';

const { Client, utils } = ssh2;

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

export interface ExecResult {
  host: string;
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
  ms: number;
  /** Bytes dropped from the head of stdout/stderr to keep each within 1 MiB (only when any were). */
  droppedBytes?: { stdout: number; stderr: number };
}

export interface ExecOptions {
  stdin?: Buffer | string | NodeJS.ReadableStream;
  timeoutMs?: number;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

/** Cap on kept stdout and stderr, each (the tail is kept). */
export const OUTPUT_CAP = 1024 * 1024;
const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** ssh2's default host key algorithms, to reorder when known_hosts already records a type. */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EADDRNOTAVAIL: 'address not available',
};

interface Conn {
  client: ClientT;
  dead: boolean;
  slots: Semaphore;
  /** Called once when the connection closes (commands running on it). */
  onClose: Set<() => void>;
}

class Semaphore {
  private waiting: (() => void)[] = [];
  private used = 0;
  constructor(private readonly max: number) {}
  async acquire(): Promise<() => void> {
    if (this.used >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.used--;
    };
  }
}

/** Keeps the last `cap` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    this.total += b.length;
    if (this.size > 2 * this.cap) this.compact();
  }
  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(Math.max(0, all.length - this.cap));
    this.chunks = [kept];
    this.size = kept.length;
  }
  dropped(): number {
    return Math.max(0, this.total - this.cap);
  }
  text(): string {
    this.compact();
    let b = this.chunks[0] ?? Buffer.alloc(0);
    if (this.dropped() > 0) {
      // Do not start in the middle of a UTF-8 sequence.
      let i = 0;
      while (i < 3 && i < b.length && (b[i]! & 0xc0) === 0x80) i++;
      b = b.subarray(i);
    }
    return b.toString('utf8');
  }
}

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

function localUser(): string {
  try { return os.userInfo().username; } catch { return process.env.USER ?? process.env.LOGNAME ?? 'root'; }
}

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : '';
}

/**
 * Take hold of an input stream at once (piped into a PassThrough, with backpressure): Node
 * discards the unread stdout of a child process that exits, so a `tar -c` stdout handed to us
 * must be read from before the connection is up.
 */
function holdInput(input: ExecOptions['stdin']): ExecOptions['stdin'] {
  if (input === undefined || typeof input === 'string' || Buffer.isBuffer(input)) return input;
  const held = new PassThrough();
  input.on('error', (e: Error) => held.destroy(e));
  input.pipe(held);
  return held;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

export class SshPool {
  private readonly opts: SshPoolOptions;
  private readonly home: string;
  private readonly conns = new Map<string, Promise<Conn>>();
  private readonly resolvedCache = new Map<string, HostConfig>();
  private config: SshConfigFile | undefined | null = null; // null: not loaded yet

  constructor(opts: SshPoolOptions = {}) {
    this.opts = opts;
    this.home = opts.home ?? os.homedir();
  }

  /** Warnings from ~/.ssh/config (e.g. ignored Match blocks). */
  configWarnings(): readonly string[] {
    return this.loadConfig()?.warnings ?? [];
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

  /** Open (once, then reused) an authenticated connection; rejects with SshError. */
  async connect(host: string): Promise<void> {
    await this.conn(host);
  }

  /** Run a command string (built with toShell) without a PTY. A non-zero exit is not an error. */
  exec(host: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.run(host, command, { ...opts, stdin: holdInput(opts.stdin) });
  }

  /** Stream `input` to a remote command's stdin (e.g. `tar -x -C dir`) and return its result. */
  execWithInput(host: string, command: string, input: NodeJS.ReadableStream | Buffer, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.run(host, command, { ...opts, stdin: holdInput(input) });
  }

  /**
   * Write a file atomically: `cat` into a temp file next to it (created under umask 077), chmod,
   * then rename over the target; parent directories are created. Rejects with HostError.
   */
  async putFile(host: string, remotePath: string, data: Buffer, mode = 0o644): Promise<void> {
    if (remotePath === '' || remotePath.endsWith('/')) throw new HostError(host, `putFile needs a file path, got ${JSON.stringify(remotePath)}`);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new HostError(host, `putFile: bad mode ${mode}`);
    const dir = path.posix.dirname(remotePath);
    const tmp = path.posix.join(dir, `.${path.posix.basename(remotePath)}.tmp-${randomBytes(6).toString('hex')}`);
    const command = `${toShell(['mkdir', '-p', dir])} && { umask 077 && cat > ${quote(tmp)} && ${toShell(['chmod', mode.toString(8).padStart(4, '0'), tmp])} && ${toShell(['mv', '-f', tmp, remotePath])}; } || { rc=$?; rm -f ${quote(tmp)}; exit $rc; }`;
    const r = await this.run(host, command, { stdin: data });
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-5).join('\n');
      throw new HostError(host, `cannot write ${remotePath} (exit ${r.code})${tail ? `: ${tail}` : ''}`, {
        hint: `check that ${this.resolved(host).user} can write to ${dir} on ${host} (permissions, disk space)`,
      });
    }
  }

  /** End every connection. */
  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(async (p) => {
      let c: Conn;
      try { c = await p; } catch { return; }
      if (c.dead) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { c.client.destroy(); resolve(); }, 2000);
        c.client.once('close', () => { clearTimeout(t); resolve(); });
        c.client.end();
      });
    }));
  }

  // ---- internals ----

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

  private conn(host: string): Promise<Conn> {
    const existing = this.conns.get(host);
    if (existing !== undefined) return existing;
    const p: Promise<Conn> = this.open(host, () => {
      if (this.conns.get(host) === p) this.conns.delete(host);
    });
    this.conns.set(host, p);
    p.catch(() => { if (this.conns.get(host) === p) this.conns.delete(host); });
    return p;
  }

  private timeoutMs(cfg: HostConfig): number {
    if (this.opts.connectTimeoutMs !== undefined) return this.opts.connectTimeoutMs;
    if (cfg.connectTimeoutSec !== undefined && cfg.connectTimeoutSec > 0) return cfg.connectTimeoutSec * 1000;
    return 5000;
  }

  private policy(cfg: HostConfig): HostKeyPolicy {
    if (this.opts.hostKeyPolicy !== undefined) return this.opts.hostKeyPolicy;
    return cfg.strictHostKeyChecking === 'accept-new' || cfg.strictHostKeyChecking === 'no' ? 'accept-new' : 'strict';
  }

  private knownHostsFile(cfg: HostConfig): string {
    return this.opts.knownHostsFile ?? cfg.userKnownHostsFile ?? path.join(this.home, '.ssh', 'known_hosts');
  }

  private async open(host: string, onClose: () => void): Promise<Conn> {
    const cfg = this.resolved(host);
    const ms = this.timeoutMs(cfg);
    const notes = cfg.notes && cfg.notes.length > 0 ? `\n${cfg.notes.join('\n')}` : '';
    const alias = cfg.hostName !== host ? ` (HostName of ${host})` : '';

    // 1. Name resolution.
    let addrs: dns.LookupAddress[];
    try {
      const lookup = this.opts.lookup ?? ((h: string) => dns.promises.lookup(h, { all: true, verbatim: true }));
      addrs = await withTimeout(lookup(cfg.hostName), ms,
        () => Object.assign(new Error(`timed out after ${ms} ms`), { code: 'EAI_AGAIN' }));
      if (addrs.length === 0) throw Object.assign(new Error('no addresses'), { code: 'ENOTFOUND' });
    } catch (e) {
      const code = errCode(e);
      const why = code === 'EAI_AGAIN' ? `temporary DNS failure (${(e as Error).message})` : 'no such host';
      throw new SshError(host, DNS_CODES.has(code) ? 'dns' : 'other', `cannot resolve host name ${cfg.hostName}${alias}: ${why}`, {
        hint: `check the name in conf/masters or conf/workers, /etc/hosts and ~/.ssh/config${notes}`, cause: e,
      });
    }

    // 2. TCP connect, each address in turn (as ssh does).
    const failures: string[] = [];
    let sock: net.Socket | undefined;
    for (const a of addrs) {
      try {
        sock = await this.tcpConnect(a.address, cfg.port, ms);
        break;
      } catch (e) {
        const code = errCode(e);
        failures.push(`${addrs.length > 1 ? `${a.address}: ` : ''}${code === 'TIMEOUT' ? `timed out after ${ms} ms` : NET_REASONS[code] ?? (e as Error).message}`);
      }
    }
    if (sock === undefined) {
      throw new SshError(host, 'unreachable', `cannot connect to ${cfg.hostName}${alias} port ${cfg.port}: ${failures.join('; ')}`, {
        hint: `is sshd running on ${cfg.hostName}:${cfg.port}, and is that port open from here?${notes}`,
      });
    }

    // 3. SSH handshake, host key, authentication.
    return this.handshake(host, cfg, sock, ms, onClose);
  }

  private tcpConnect(address: string, port: number, ms: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: address, port });
      const t = setTimeout(() => { s.destroy(); reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })); }, ms);
      s.once('connect', () => { clearTimeout(t); s.removeAllListeners('error'); resolve(s); });
      s.once('error', (e) => { clearTimeout(t); s.destroy(); reject(e); });
    });
  }

  private handshake(host: string, cfg: HostConfig, sock: net.Socket, ms: number, onClose: () => void): Promise<Conn> {
    const knownFile = this.knownHostsFile(cfg);
    const globalFiles = this.opts.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
    const policy = this.policy(cfg);
    const name = knownHostsName(cfg.hostName, cfg.port);
    const aliasName = knownHostsName(host, cfg.port);
    const target = `${cfg.port !== 22 ? `-p ${cfg.port} ` : ''}${cfg.user}@${host}`;

    // Prefer host key types already recorded, so a host with several keys offers the known one.
    const known = [knownFile, ...globalFiles].flatMap((f) => knownKeyTypes(readIfExists(f), cfg.hostName, cfg.port));
    const preferred = known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => HOST_KEY_ALGOS.includes(a));
    const hostKeyAlgos = [...new Set([...preferred, ...HOST_KEY_ALGOS])];

    let hostKeyFailure: SshError | undefined;
    let hostKeySeen = false;
    const verify = (blob: Buffer): boolean => {
      hostKeySeen = true;
      const parsed = utils.parseKey(blob);
      const type = parsed instanceof Error ? blobKeyType(blob) : (Array.isArray(parsed) ? (parsed[0] as ParsedKey).type : parsed.type);
      const b64 = blob.toString('base64');
      const fp = fingerprint(blob);
      const verdicts: HostKeyVerdict[] = [knownFile, ...globalFiles].map((f) => checkHostKey(readIfExists(f), cfg.hostName, cfg.port, type, b64, f));
      const revoked = verdicts.find((v) => v.kind === 'mismatch' && v.revoked === true);
      if (revoked !== undefined && revoked.kind === 'mismatch') {
        hostKeyFailure = new SshError(host, 'hostkey', `host key ${type} ${fp} for ${name} is revoked (@revoked at ${revoked.file}:${revoked.line}); refusing to connect`, {
          hint: `the host needs a new host key; then record it with \`ssh ${target}\``,
        });
        return false;
      }
      if (verdicts.some((v) => v.kind === 'match')) return true;
      const changed = verdicts.find((v) => v.kind === 'mismatch');
      if (changed !== undefined && changed.kind === 'mismatch') {
        const defaultFile = path.join(os.homedir(), '.ssh', 'known_hosts');
        const fileArg = changed.file === defaultFile ? '' : ` -f ${quote(changed.file)}`;
        hostKeyFailure = new SshError(host, 'hostkey',
          `HOST KEY CHANGED for ${name}: the host offers ${type} ${fp}, which differs from the key at ${changed.file}:${changed.line}; refusing to connect (the host may have been reinstalled, or someone may be intercepting the connection)`,
          {
            hint: `if the change is expected, remove the old key with \`ssh-keygen -R ${quote(name)}${fileArg}\``
              + (aliasName !== name ? ` (and \`ssh-keygen -R ${quote(aliasName)}${fileArg}\` if it is also recorded under the name ${host})` : '')
              + ' and connect again',
          });
        return false;
      }
      if (policy === 'strict') {
        hostKeyFailure = new SshError(host, 'hostkey',
          `host key for ${name} is not known: ${type} ${fp} is not in ${knownFile}; refusing to connect (strict host key checking)`,
          { hint: `verify the fingerprint, then record it by connecting once with \`ssh ${target}\`, or re-run with --accept-new-host-keys` });
        return false;
      }
      const line = knownHostsLine(cfg.hostName, cfg.port, type, b64);
      try {
        fs.mkdirSync(path.dirname(knownFile), { recursive: true, mode: 0o700 });
        const existing = readIfExists(knownFile);
        fs.appendFileSync(knownFile, `${existing !== '' && !existing.endsWith('\n') ? '\n' : ''}${line}\n`, { mode: 0o600 });
      } catch (e) {
        hostKeyFailure = new SshError(host, 'hostkey', `cannot record the new host key ${type} ${fp} for ${name} in ${knownFile}: ${(e as Error).message}`, {
          hint: `make ${knownFile} writable`, cause: e,
        });
        return false;
      }
      this.opts.onHostKeyAdded?.(host, line, knownFile);
      return true;
    };

    // Authentication: agent first (when set), then the identity files in order.
    const agentSock = this.opts.agent === false ? undefined : (this.opts.agent ?? process.env.SSH_AUTH_SOCK) || undefined;
    const tried: string[] = [];
    const skipped: string[] = [];
    let serverMethods: string[] | undefined;
    const queue: (() => AnyAuthMethod | undefined)[] = [];
    if (agentSock !== undefined) {
      queue.push(() => { tried.push(`ssh-agent (${agentSock})`); return { type: 'agent', username: cfg.user, agent: agentSock }; });
    }
    for (const f of cfg.identityFiles) {
      queue.push(() => {
        let data: Buffer;
        try { data = fs.readFileSync(f); } catch (e) {
          skipped.push(`${f} (${errCode(e) === 'ENOENT' ? 'not found' : `unreadable: ${(e as Error).message}`})`);
          return undefined;
        }
        const k = utils.parseKey(data);
        if (k instanceof Error) {
          skipped.push(/passphrase|encrypted/i.test(k.message) ? `${f} (encrypted, no passphrase; load it into ssh-agent)` : `${f} (not a usable private key: ${k.message})`);
          return undefined;
        }
        const key = Array.isArray(k) ? (k[0] as ParsedKey) : k;
        if (!key.isPrivateKey()) { skipped.push(`${f} (not a private key)`); return undefined; }
        tried.push(f);
        return { type: 'publickey', username: cfg.user, key };
      });
    }
    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
      if (methodsLeft) serverMethods = methodsLeft;
      while (queue.length > 0) {
        if (methodsLeft && !methodsLeft.includes('publickey')) break;
        const m = queue.shift()!();
        if (m !== undefined) { next(m); return; }
      }
      next(false as unknown as AuthenticationType);
    };
    const authFailure = (): SshError => {
      const parts: string[] = [];
      if (tried.length === 0 && skipped.length === 0) {
        parts.push(`no key to offer (none of ${DEFAULT_KEY_NAMES.map((k) => path.join(this.home, '.ssh', k)).join(', ')} exists and no ssh-agent is set)`);
      } else {
        parts.push(`tried ${tried.length > 0 ? tried.join(', ') : 'no key'}`);
        if (skipped.length > 0) parts.push(`skipped ${skipped.join(', ')}`);
      }
      if (serverMethods !== undefined) parts.push(`the server accepts: ${serverMethods.join(', ') || 'nothing'}`);
      return new SshError(host, 'auth', `permission denied for user ${cfg.user} on ${cfg.hostName}:${cfg.port}; ${parts.join('; ')}`, {
        hint: `install a public key for ${cfg.user}: ssh-copy-id ${target}`,
      });
    };

    return new Promise<Conn>((resolve, reject) => {
      const client = new Client();
      let settled = false;
      let lastError: SshError | undefined;
      const conn: Conn = { client, dead: false, slots: new Semaphore(this.opts.maxSessions ?? 10), onClose: new Set() };
      const fail = (e: SshError): void => {
        if (settled) return;
        settled = true;
        conn.dead = true;
        client.destroy();
        reject(e);
      };
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return; // after ready: the 'close' that follows marks the connection dead
        const level = err.level ?? '';
        if (level === 'agent') {
          const i = tried.findIndex((t) => t.startsWith('ssh-agent'));
          if (i >= 0) tried.splice(i, 1);
          skipped.push(`ssh-agent (${agentSock}: ${err.message})`);
          return;
        }
        if (level === 'client-authentication') {
          if (/All configured authentication methods failed/.test(err.message)) { fail(authFailure()); return; }
          skipped.push(err.message);
          return;
        }
        if (hostKeyFailure !== undefined) { fail(hostKeyFailure); return; }
        if (level === 'client-timeout') {
          fail(hostKeySeen
            ? new SshError(host, 'other', `timed out after ${ms} ms during authentication as ${cfg.user} on ${cfg.hostName}:${cfg.port}`, { hint: 'is an ssh-agent hanging, or is the host overloaded?' })
            : new SshError(host, 'unreachable', `no SSH handshake from ${cfg.hostName}:${cfg.port} within ${ms} ms`, { hint: `is sshd (and not some other service) listening on ${cfg.hostName}:${cfg.port}?` }));
          return;
        }
        if (level === 'client-socket' || level === 'protocol') {
          lastError = new SshError(host, 'unreachable', `connection to ${cfg.hostName}:${cfg.port} lost during the SSH handshake: ${NET_REASONS[errCode(err)] ?? err.message}`, {
            hint: 'sshd may be refusing connections (MaxStartups, TCP wrappers, fail2ban); try `ssh -v` to see why', cause: err,
          });
          return; // 'close' follows
        }
        lastError = new SshError(host, 'other', `SSH handshake with ${cfg.hostName}:${cfg.port} failed: ${err.message}`, { cause: err });
        fail(lastError);
      });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        resolve(conn);
      });
      client.on('close', () => {
        conn.dead = true;
        onClose();
        for (const f of [...conn.onClose]) f();
        conn.onClose.clear();
        if (!settled) {
          fail(hostKeyFailure ?? lastError ?? new SshError(host, 'other', `connection closed by ${cfg.hostName}:${cfg.port} during the SSH handshake`, {
            hint: 'try `ssh -v` to see why sshd closes the connection',
          }));
        }
      });
      client.connect({
        sock,
        username: cfg.user,
        readyTimeout: ms,
        hostVerifier: verify,
        authHandler: authHandler as never,
        keepaliveInterval: 15000,
        keepaliveCountMax: 4,
        algorithms: { serverHostKey: hostKeyAlgos as never },
      });
    });
  }

  /**
   * Start `command` and hand its channel to `onStream` synchronously, inside ssh2's callback:
   * a fast command's data, exit status and close can arrive in the same packet as the channel
   * confirmation, so listeners attached one microtask later (after an await) would miss them.
   */
  private openExec(c: Conn, command: string, onStream: (stream: ClientChannel) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      // No `pty` option: never a TTY (unlike Alluxio's `ssh -tt`).
      c.client.exec(command, (err, stream) => {
        if (err) { reject(err); return; }
        onStream(stream);
        resolve();
      });
    });
  }

  private async run(host: string, command: string, opts: ExecOptions): Promise<ExecResult> {
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      const c = await this.conn(host);
      const release = await c.slots.acquire();
      let result: Promise<ExecResult> | undefined;
      try {
        await this.openExec(c, command, (stream) => { result = this.collect(host, c, stream, command, opts, t0); });
      } catch (e) {
        release();
        // The cached connection went away (its 'close' already dropped it from the pool) and
        // the command never started, so reconnect once.
        if (attempt === 0 && c.dead) continue;
        throw new SshError(host, c.dead ? 'unreachable' : 'other', `cannot start a command on ${host}: ${(e as Error).message}`, { cause: e });
      }
      try {
        return await result!;
      } finally {
        release();
      }
    }
  }

  private collect(host: string, c: Conn, stream: ClientChannel, command: string, opts: ExecOptions, t0: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const out = new Tail(OUTPUT_CAP);
      const err = new Tail(OUTPUT_CAP);
      const outDec = new StringDecoder('utf8');
      const errDec = new StringDecoder('utf8');
      let code: number | undefined;
      let signal: string | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;

      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        c.onClose.delete(onConnClose);
        const o = outDec.end();
        if (o !== '') opts.onStdout?.(o);
        const r = errDec.end();
        if (r !== '') opts.onStderr?.(r);
        if (e !== undefined) { reject(e); return; }
        const result: ExecResult = { host, code: code ?? 255, stdout: out.text(), stderr: err.text(), ms: Math.round(performance.now() - t0) };
        if (signal !== undefined) result.signal = signal;
        if (out.dropped() > 0 || err.dropped() > 0) result.droppedBytes = { stdout: out.dropped(), stderr: err.dropped() };
        resolve(result);
      };
      const onConnClose = (): void => {
        finish(new SshError(host, 'unreachable', `connection to ${host} lost while running: ${command.length > 200 ? `${command.slice(0, 200)}...` : command}`, {
          hint: 'the host may have rebooted or dropped off the network; the command may or may not have completed',
        }));
      };
      c.onClose.add(onConnClose);

      stream.on('data', (b: Buffer) => {
        out.push(b);
        if (opts.onStdout) { const s = outDec.write(b); if (s !== '') opts.onStdout(s); }
      });
      stream.stderr.on('data', (b: Buffer) => {
        err.push(b);
        if (opts.onStderr) { const s = errDec.write(b); if (s !== '') opts.onStderr(s); }
      });
      stream.on('exit', (exitCode: number | null, sig?: string) => {
        if (typeof exitCode === 'number') { code = exitCode; return; }
        if (sig !== undefined) {
          signal = sig;
          const n = (os.constants.signals as Record<string, number>)[sig];
          code = n !== undefined ? 128 + n : 255;
        }
      });
      const timeoutError = (): TimeoutError => new TimeoutError(`[${host}] timed out after ${opts.timeoutMs} ms running: ${command}`, {
        hint: 'the command was sent SIGKILL and its channel closed; it may still be running on the host',
      });
      stream.on('close', () => {
        if (timedOut) { finish(timeoutError()); return; }
        if (code === undefined && c.dead) { onConnClose(); return; }
        finish();
      });
      stream.on('error', (e: Error) => finish(new SshError(host, 'other', `channel error while running ${command}: ${e.message}`, { cause: e })));

      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          try { stream.signal('KILL'); } catch { /* best effort */ }
          stream.close();
          // If the server never confirms the close, give up anyway.
          setTimeout(() => finish(timeoutError()), 2000).unref();
        }, opts.timeoutMs);
      }

      const input = opts.stdin;
      if (input === undefined) stream.end();
      else if (typeof input === 'string' || Buffer.isBuffer(input)) stream.end(input);
      else {
        input.on('error', (e: Error) => {
          finish(new HostError(host, `reading the input for \`${command}\` failed: ${e.message}`, { cause: e }));
          stream.close();
        });
        input.pipe(stream);
      }
    });
  }
}

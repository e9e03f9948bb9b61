/**
 * Opening one authenticated connection, in three phases so each failure gets its own SshError
 * kind and hint: name resolution ('dns'), TCP connect to each address in turn ('unreachable'),
 * then the SSH handshake (host key -> 'hostkey', authentication -> 'auth', anything else ->
 * 'other'). No PTY is ever requested on it.
 */
import type dns from 'node:dns';
import net from 'node:net';
import type { Client as ClientT } from 'ssh2';
import { SshError } from '../../errors.js';
import { Authentication } from './auth.js';
import { HostKeyCheck } from './hostKeys.js';
import { loadSsh2 } from './lib.js';
import { errCode, type HostSettings } from './settings.js';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EADDRNOTAVAIL: 'address not available',
};

/** An open connection. */
export interface Connection {
  client: ClientT;
  /** Its TCP socket. */
  sock: net.Socket;
  /** Set once the connection closed (or failed). */
  dead: boolean;
  /** Called once when the connection closes (commands running on it). */
  onClose: Set<() => void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

function tcpConnect(address: string, port: number, ms: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port });
    const t = setTimeout(() => { s.destroy(); reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })); }, ms);
    s.once('connect', () => { clearTimeout(t); s.removeAllListeners('error'); resolve(s); });
    s.once('error', (e) => { clearTimeout(t); s.destroy(); reject(e); });
  });
}

/** Connect and authenticate; rejects with SshError. `onClose` runs when the connection closes. */
export async function connect(s: HostSettings, onClose: () => void): Promise<Connection> {
  const { host, cfg, timeoutMs: ms } = s;
  const notes = cfg.notes && cfg.notes.length > 0 ? `\n${cfg.notes.join('\n')}` : '';
  const alias = cfg.hostName !== host ? ` (HostName of ${host})` : '';

  // 1. Name resolution.
  let addrs: dns.LookupAddress[];
  try {
    addrs = await withTimeout(s.lookup(cfg.hostName), ms,
      () => Object.assign(new Error(`timed out after ${ms} ms`), { code: 'EAI_AGAIN' }));
    if (addrs.length === 0) throw Object.assign(new Error('no addresses'), { code: 'ENOTFOUND' });
  } catch (e) {
    const code = errCode(e);
    const why = code === 'EAI_AGAIN' ? `temporary DNS failure (${(e as Error).message})` : 'no such host';
    throw new SshError(host, DNS_CODES.has(code) ? 'dns' : 'other', `cannot resolve host name ${cfg.hostName}${alias}: ${why}`, {
      hint: `check the name in conf/masters or conf/workers, /etc/hosts and ~/.ssh/config${notes}`, cause: e,
    });
  }

  // 2. TCP connect, each address in turn (as ssh does), while ssh2 loads (ssh/lib.ts).
  const lib = loadSsh2();
  lib.catch(() => { /* awaited below, unless the TCP connect fails first */ });
  const failures: string[] = [];
  let sock: net.Socket | undefined;
  for (const a of addrs) {
    try {
      sock = await tcpConnect(a.address, cfg.port, ms);
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
  let Client: typeof ClientT;
  try {
    ({ Client } = await lib);
  } catch (e) {
    sock.destroy();
    throw e;
  }
  return handshake(s, sock, Client, onClose);
}

function handshake(s: HostSettings, sock: net.Socket, Client: typeof ClientT, onClose: () => void): Promise<Connection> {
  const { host, cfg, timeoutMs: ms } = s;
  const hostKey = new HostKeyCheck(s);
  const auth = new Authentication(s);
  return new Promise<Connection>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    let lastError: SshError | undefined;
    const conn: Connection = { client, sock, dead: false, onClose: new Set() };
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
      if (level === 'agent') { auth.agentFailed(err.message); return; }
      if (level === 'client-authentication') {
        if (auth.exhausted) fail(auth.failure()); else auth.methodFailed(err.message);
        return;
      }
      if (hostKey.failure !== undefined) { fail(hostKey.failure); return; }
      if (level === 'client-timeout') {
        fail(hostKey.seen
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
        fail(hostKey.failure ?? lastError ?? new SshError(host, 'other', `connection closed by ${cfg.hostName}:${cfg.port} during the SSH handshake`, {
          hint: 'try `ssh -v` to see why sshd closes the connection',
        }));
      }
    });
    client.connect({
      sock,
      username: cfg.user,
      readyTimeout: ms,
      hostVerifier: (blob: Buffer) => hostKey.verify(blob),
      authHandler: auth.handler as never,
      keepaliveInterval: 15000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKey.algorithms as never },
    });
  });
}

/**
 * The SSH connection pool: one authenticated ssh2 connection per host for the whole command,
 * host keys verified against known_hosts (never StrictHostKeyChecking=no), no PTY ever.
 *
 * The parts, in src/orchestrate/ssh/: settings.ts (options over ~/.ssh/config), connect.ts
 * (DNS, TCP, handshake: each failure its own SshError kind), hostKeys.ts (known_hosts policy),
 * auth.ts (agent and keys), channel.ts (one command on a connection). Here: reuse, a bound on
 * sessions per connection, and one reconnect when a cached connection went away.
 */
import { PassThrough } from 'node:stream';
import { SshError } from '../errors.js';
import type { ExecResult } from './execResult.js';
import type { HostConfig } from './sshConfig.js';
import { collect, openExec, type ExecOptions } from './ssh/channel.js';
import { connect, type Connection } from './ssh/connect.js';
import { SshSettings, type SshPoolOptions } from './ssh/settings.js';

export type { ExecOptions, ExecResult, SshPoolOptions };
export { OUTPUT_CAP } from './execResult.js';

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

interface Pooled {
  conn: Connection;
  slots: Semaphore;
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
  // Failing before the command starts is not an uncaught error: collect() finds it in `errored`.
  held.on('error', () => { /* reported by collect() */ });
  input.pipe(held);
  return held;
}

export class SshPool {
  private readonly settings: SshSettings;
  private readonly conns = new Map<string, Promise<Pooled>>();

  constructor(private readonly opts: SshPoolOptions = {}) {
    this.settings = new SshSettings(opts);
  }

  /** What config applies (for messages and --dry-run). */
  resolved(host: string): HostConfig {
    return this.settings.resolved(host);
  }

  /** Open (once, then reused) an authenticated connection; rejects with SshError. */
  async connect(host: string): Promise<void> {
    await this.conn(host);
  }

  /**
   * Run a command string (built with toShell) without a PTY. A non-zero exit is not an error;
   * rejects with TimeoutError (after sending SIGKILL) past `timeoutMs`, SshError when the
   * connection fails or drops.
   */
  exec(host: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.run(host, command, { ...opts, stdin: holdInput(opts.stdin) });
  }

  /** Stream `input` to a remote command's stdin (e.g. `tar -x -C dir`) and return its result. */
  execWithInput(host: string, command: string, input: NodeJS.ReadableStream | Buffer, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.run(host, command, { ...opts, stdin: holdInput(input) });
  }

  /**
   * End every connection: SSH_MSG_DISCONNECT, then our side of the TCP connection is closed as
   * soon as that is written, without waiting for each host's sshd to close its side (a round
   * trip and a wake-up of every sshd on the way out). Every command's exit status has arrived.
   */
  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(async (p) => {
      let c: Connection;
      try { c = (await p).conn; } catch { return; }
      if (c.dead) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { c.client.destroy(); resolve(); }, 2000);
        c.client.once('close', () => { clearTimeout(t); resolve(); });
        c.sock.once('finish', () => c.sock.destroy());
        c.client.end();
      });
    }));
  }

  private conn(host: string): Promise<Pooled> {
    const existing = this.conns.get(host);
    if (existing !== undefined) return existing;
    const drop = (): void => { if (this.conns.get(host) === p) this.conns.delete(host); };
    const p: Promise<Pooled> = connect(this.settings.forHost(host), drop)
      .then((conn) => ({ conn, slots: new Semaphore(this.opts.maxSessions ?? 10) }));
    this.conns.set(host, p);
    p.catch(drop);
    return p;
  }

  private async run(host: string, command: string, opts: ExecOptions): Promise<ExecResult> {
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      const { conn: c, slots } = await this.conn(host);
      const release = await slots.acquire();
      let result: Promise<ExecResult> | undefined;
      try {
        await openExec(c, command, (stream) => { result = collect(host, c, stream, command, opts, t0); });
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
}

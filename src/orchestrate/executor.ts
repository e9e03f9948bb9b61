/**
 * Runs argv on a host: over SSH (one pooled connection per host), or directly when the host is
 * this machine. The argv becomes a string only through toShell() (convention 3).
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { SshPool, type ExecResult, type SshPoolOptions } from './ssh.js';
import { toShell } from './shell.js';

export type { ExecResult };

export interface RunOptions { timeoutMs?: number; onStdout?(chunk: string): void; onStderr?(chunk: string): void }

export interface Executor {
  isLocal(host: string): boolean;
  run(host: string, argv: readonly string[], opts?: RunOptions): Promise<ExecResult>;
  runWithInput(host: string, argv: readonly string[], input: Readable | Buffer, opts?: RunOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

const MAX_OUTPUT = 1024 * 1024;

/** Run argv locally with the same result shape as a remote exec. */
export function runLocal(host: string, argv: readonly string[], input?: Readable | Buffer, opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const keep = (s: string) => (s.length > MAX_OUTPUT ? s.slice(-MAX_OUTPUT) : s);
    child.stdout.on('data', (d) => { const s = String(d); stdout = keep(stdout + s); opts.onStdout?.(s); });
    child.stderr.on('data', (d) => { const s = String(d); stderr = keep(stderr + s); opts.onStderr?.(s); });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (e) => { stderr += e.message; });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ host, code: code ?? 255, ...(signal ? { signal } : {}), stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => { /* the command may not read its input */ });
    if (input === undefined) child.stdin.end();
    else if (Buffer.isBuffer(input)) child.stdin.end(input);
    else input.pipe(child.stdin);
  });
}

export class ClusterExecutor implements Executor {
  private pool: SshPool;
  constructor(private readonly local: ReadonlySet<string>, sshOptions: SshPoolOptions = {}) {
    this.pool = new SshPool(sshOptions);
  }

  isLocal(host: string): boolean { return this.local.has(host); }

  run(host: string, argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    if (this.isLocal(host)) return runLocal(host, argv, undefined, opts);
    return this.pool.exec(host, toShell(argv), opts);
  }

  runWithInput(host: string, argv: readonly string[], input: Readable | Buffer, opts: RunOptions = {}): Promise<ExecResult> {
    if (this.isLocal(host)) return runLocal(host, argv, input, opts);
    return this.pool.execWithInput(host, toShell(argv), input, opts);
  }

  close(): Promise<void> { return this.pool.close(); }
}

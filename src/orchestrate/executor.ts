/**
 * Runs argv on a host: over SSH (one pooled connection per host), or directly when the host is
 * this machine. The argv becomes a string only through toShell() (convention 3). Both ways
 * give the same result (execResult.ts): the same output cap, exit status and, on timeout, the
 * same TimeoutError after the command was killed.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { HostError } from '../errors.js';
import { CommandOutput, commandTimeout, exitStatus, type ExecResult, type RunOptions } from './execResult.js';
import { SshPool, type SshPoolOptions } from './ssh.js';
import { toShell } from './shell.js';

export type { ExecResult, RunOptions };

export interface Executor {
  isLocal(host: string): boolean;
  run(host: string, argv: readonly string[], opts?: RunOptions): Promise<ExecResult>;
  runWithInput(host: string, argv: readonly string[], input: Readable | Buffer, opts?: RunOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

/** What a shell answers when it cannot start a program. */
const SPAWN_FAILURES: Record<string, { code: number; text: string }> = {
  ENOENT: { code: 127, text: 'not found' },
  EACCES: { code: 126, text: 'permission denied' },
};

/**
 * Run argv here, without a shell, with the same result shape as a remote exec. Rejects with
 * TimeoutError after `timeoutMs` (the command is sent SIGKILL first), and with HostError when
 * reading `input` fails; a program that cannot be started gives the shell's 127 (not found)
 * or 126 (not executable).
 */
export function runLocal(host: string, argv: readonly string[], input?: Readable | Buffer, opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const output = new CommandOutput(host, opts);
    // Its own process group, as sshd gives each session: a timeout kills the whole group.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let settled = false;
    let spawnFailure: { code: number } | undefined;
    const finish = (e: Error | undefined, code?: number | null, signal?: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      output.end();
      if (e !== undefined) reject(e);
      else resolve(output.result(spawnFailure?.code ?? exitStatus(code, signal), signal ?? undefined));
    };
    // On timeout: SIGKILL to the group, then end as soon as the command is gone, without
    // waiting for processes that left the group and still hold its stdout or stderr.
    const kill = (e: Error): void => {
      try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      if (child.exitCode !== null || child.signalCode !== null) { finish(e); return; }
      child.once('exit', () => { child.stdout.destroy(); child.stderr.destroy(); finish(e); });
    };
    const timer = opts.timeoutMs !== undefined
      ? setTimeout(() => kill(commandTimeout(host, toShell(argv), opts.timeoutMs!)), opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => output.stdout(b));
    child.stderr.on('data', (b: Buffer) => output.stderr(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const f = SPAWN_FAILURES[e.code ?? ''];
      spawnFailure = { code: f?.code ?? 255 };
      output.stderr(Buffer.from(`${argv[0]}: ${f?.text ?? e.message}\n`));
    });
    child.on('close', (code, signal) => finish(undefined, code, signal));
    child.stdin.on('error', () => { /* the command may not read its input */ });
    if (input === undefined) child.stdin.end();
    else if (Buffer.isBuffer(input)) child.stdin.end(input);
    else {
      input.on('error', (e: Error) => kill(new HostError(host, `reading the input for \`${toShell(argv)}\` failed: ${e.message}`, { cause: e })));
      input.pipe(child.stdin);
    }
  });
}

/**
 * How much longer than our own timer the host's `timeout` waits. Our timer decides (it rejects
 * with TimeoutError at `timeoutMs`); the host's kill is the backstop that makes sure the command
 * dies. With the same time on both, the host's count, which can start before ours (ours starts
 * once the channel is open), sometimes won: the command then ended as an exit 137 instead of a
 * timeout (seen in CI).
 */
export const REMOTE_KILL_MARGIN_MS = 1000;

/**
 * The shell command that runs argv over SSH. With a timeout, its `sh -c` runs under `timeout -s
 * KILL` (coreutils) for that time plus REMOTE_KILL_MARGIN_MS: the host itself then kills the
 * command and its process group, since OpenSSH refuses the client's signal request for root
 * logins. The command still goes through a shell, as without a timeout (a builtin such as
 * `ulimit` keeps working).
 */
function remoteCommand(argv: readonly string[], timeoutMs: number | undefined): string {
  const command = toShell(argv);
  return timeoutMs === undefined ? command : toShell(['timeout', '-s', 'KILL', `${(timeoutMs + REMOTE_KILL_MARGIN_MS) / 1000}s`, 'sh', '-c', command]);
}

export class ClusterExecutor implements Executor {
  private pool: SshPool;
  constructor(private readonly local: ReadonlySet<string>, sshOptions: SshPoolOptions = {}) {
    this.pool = new SshPool(sshOptions);
  }

  isLocal(host: string): boolean { return this.local.has(host); }

  run(host: string, argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    if (this.isLocal(host)) return runLocal(host, argv, undefined, opts);
    return this.pool.exec(host, remoteCommand(argv, opts.timeoutMs), { ...opts, label: toShell(argv) });
  }

  runWithInput(host: string, argv: readonly string[], input: Readable | Buffer, opts: RunOptions = {}): Promise<ExecResult> {
    if (this.isLocal(host)) return runLocal(host, argv, input, opts);
    return this.pool.execWithInput(host, remoteCommand(argv, opts.timeoutMs), input, { ...opts, label: toShell(argv) });
  }

  close(): Promise<void> { return this.pool.close(); }
}

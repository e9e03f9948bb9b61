/**
 * One command on an open connection: an exec channel (never a PTY), its output collected as
 * for a local run (execResult.ts), its stdin fed from a string, a Buffer or a stream.
 */
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { HostError, SshError } from '../../errors.js';
import { CommandOutput, commandTimeout, exitStatus, type ExecResult, type RunOptions } from '../execResult.js';
import type { Connection } from './connect.js';

export interface ExecOptions extends RunOptions {
  stdin?: Buffer | string | NodeJS.ReadableStream;
  /** How errors name the command (default: the command string itself). */
  label?: string;
}

/**
 * Start `command` and hand its channel to `onStream` synchronously, inside ssh2's callback:
 * a fast command's data, exit status and close can arrive in the same packet as the channel
 * confirmation, so listeners attached one microtask later (after an await) would miss them.
 */
export function openExec(c: Connection, command: string, onStream: (stream: ClientChannel) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // No `pty` option: never a TTY (unlike Alluxio's `ssh -tt`).
    c.client.exec(command, (err, stream) => {
      if (err) { reject(err); return; }
      onStream(stream);
      resolve();
    });
  });
}

/**
 * Ask the server to SIGKILL the session (OpenSSH sends it to the session's process group, but
 * refuses for root logins: see remoteCommand in executor.ts for what kills the command then).
 * ssh2's `channel.signal()` sends nothing once stdin was ended, which is every command without
 * input, so the request goes through ssh2's protocol object as `signal()` itself does.
 */
function sendKill(stream: ClientChannel): void {
  const ch = stream as unknown as { outgoing?: { id?: number; state?: string }; _client?: { _protocol?: { signal?(id: number, name: string): void } } };
  try {
    if ((ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') && ch.outgoing.id !== undefined) ch._client?._protocol?.signal?.(ch.outgoing.id, 'KILL');
  } catch { /* best effort: closing the channel follows */ }
}

/** Collect a started command's result; rejects with TimeoutError, SshError or HostError (input). */
export function collect(host: string, c: Connection, stream: ClientChannel, command: string, opts: ExecOptions, t0: number): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    const output = new CommandOutput(host, opts, t0);
    const label = opts.label ?? command;
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
      output.end();
      if (e !== undefined) reject(e);
      else resolve(output.result(code ?? 255, signal));
    };
    const onConnClose = (): void => {
      finish(new SshError(host, 'unreachable', `connection to ${host} lost while running: ${label.length > 200 ? `${label.slice(0, 200)}...` : label}`, {
        hint: 'the host may have rebooted or dropped off the network; the command may or may not have completed',
      }));
    };
    c.onClose.add(onConnClose);

    stream.on('data', (b: Buffer) => output.stdout(b));
    stream.stderr.on('data', (b: Buffer) => output.stderr(b));
    stream.on('exit', (exitCode: number | null, sig?: string) => {
      if (typeof exitCode === 'number') { code = exitCode; return; }
      if (sig !== undefined) { signal = sig; code = exitStatus(null, sig); }
    });
    const timeoutError = (): Error => commandTimeout(host, label, opts.timeoutMs!);
    stream.on('close', () => {
      if (timedOut) { finish(timeoutError()); return; }
      if (code === undefined && c.dead) { onConnClose(); return; }
      finish();
    });
    stream.on('error', (e: Error) => finish(new SshError(host, 'other', `channel error while running ${label}: ${e.message}`, { cause: e })));

    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        sendKill(stream);
        stream.close();
        // If the server never confirms the close, give up anyway.
        setTimeout(() => finish(timeoutError()), 2000).unref();
      }, opts.timeoutMs);
    }

    const input = opts.stdin;
    if (input === undefined) stream.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) stream.end(input);
    else {
      const inputFailed = (e: Error): void => {
        finish(new HostError(host, `reading the input for \`${label}\` failed: ${e.message}`, { cause: e }));
        stream.close();
      };
      const early = (input as Readable).errored;
      if (early) { inputFailed(early); return; }
      input.on('error', inputFailed);
      input.pipe(stream);
    }
  });
}

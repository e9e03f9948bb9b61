/**
 * How an error reaches a person: one `Error: ...` line (and a `Hint: ...` line), never a stack
 * trace, unless ALLUXIO_DEBUG=1 asks for it. Used by src/cli.ts for the error that ends a command
 * and by the verbs that report one error per path and go on.
 */
import chalk from 'chalk';
import { AlluxioError, UsageError, isSystemError, describeSystemError } from '../errors.js';

/** The environment variable that adds stack traces (and causes) to every error printed. */
export const DEBUG_ENV = 'ALLUXIO_DEBUG';

export interface ErrorReport { lines: string[]; exitCode: number }

function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = env[DEBUG_ENV];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Where a system error points: its path (and destination), else its address. */
function systemErrorTarget(e: NodeJS.ErrnoException & { address?: string; port?: number; dest?: string }): string {
  if (e.path !== undefined) return e.dest !== undefined ? `${e.path} -> ${e.dest}` : e.path;
  if (e.address !== undefined) return e.port !== undefined ? `${e.address}:${e.port}` : e.address;
  return '';
}

/** The lines that describe `e` to a person, and the exit code it ends a command with. */
export function describeError(e: unknown, env: NodeJS.ProcessEnv = process.env): ErrorReport {
  const lines: string[] = [];
  let exitCode: number;
  if (e instanceof AlluxioError) {
    lines.push(`${chalk.red('Error:')} ${e.message}`);
    if (e.hint) lines.push(`${chalk.yellow('Hint:')} ${e.hint}`);
    exitCode = e instanceof UsageError ? 1 : e.exitCode;
  } else if (isSystemError(e)) {
    // A system error no verb translated (it should have): still one line naming what failed.
    const target = systemErrorTarget(e);
    lines.push(`${chalk.red('Error:')} ${e.syscall}${target ? ` ${target}` : ''}: ${describeSystemError(e)}`);
    exitCode = 1;
  } else {
    const message = e instanceof Error ? e.message || e.name : String(e);
    lines.push(`${chalk.red('Internal error:')} ${message}`);
    if (!debugEnabled(env)) lines.push(`${chalk.yellow('Hint:')} this is a bug; run the command again with ${DEBUG_ENV}=1 to see where it happened, and report it`);
    exitCode = 2;
  }
  if (debugEnabled(env)) {
    for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
      lines.push(`${depth ? 'Caused by: ' : ''}${c.stack ?? String(c)}`);
    }
  }
  return { lines, exitCode };
}

/**
 * A usage error of the script-style verbs (alluxio-start.sh, alluxio-stop.sh, alluxio-mount.sh):
 * `Error: <message>` and the usage on stderr, exit code 1, as Alluxio's scripts.
 */
export function usageFailure(ctx: { err(line: string): void; setExitCode(code: number): void }, message: string, usage: string): void {
  ctx.err(`${chalk.red('Error:')} ${message}`);
  ctx.err(usage);
  ctx.setExitCode(1);
}

/** Shared by the verbs that act on the hosts of conf/masters and conf/workers. */
import os from 'node:os';
import type { CliContext } from './context.js';
import { ClusterSession, parseClusterOptions } from '../orchestrate/cluster.js';
import { errorReply, okReply, type HostReply, type StepName, type StepResults } from '../orchestrate/protocol.js';
import type { Io } from '../orchestrate/local/service.js';
import { describeError, usageFailure } from './errorOutput.js';
import { UsageError } from '../errors.js';

/**
 * Parse the cluster options out of `args`, open a session (hosts files, SSH pool), run `fn`,
 * close everything, and set the exit code from the per-host results (1 when any host failed).
 */
export async function withCluster(
  ctx: CliContext, args: readonly string[], verb: string,
  fn: (session: ClusterSession, rest: string[]) => Promise<number>,
): Promise<void> {
  const { rest, opts } = parseClusterOptions(args);
  const command = ['alluxio', verb, ...args].join(' ');
  const session = await ClusterSession.open(ctx.conf(), opts, command, ctx.flags, { out: (l) => ctx.out(l), err: (l) => ctx.err(l) });
  try {
    ctx.setExitCode(await fn(session, rest));
  } catch (e) {
    session.rep.stopSpinner();
    throw e;
  } finally {
    await session.close();
  }
}

/**
 * Run a per-host step (start, stop, formatJournal, formatWorker, facts) for a person or, with
 * `--json` (machine mode: what the orchestrator runs over SSH), for the controller: then the
 * human lines go to stderr unchanged, stdout carries exactly one line, the protocol reply
 * (src/orchestrate/protocol.ts), and the exit code is non-zero exactly when the reply says
 * ok=false (a typed error becomes its WireError; the person still gets `Error:`/`Hint:` lines).
 */
export async function stepReply<S extends StepName>(
  ctx: CliContext, step: S, machine: boolean, run: (io: Io) => Promise<StepResults[S]>,
): Promise<void> {
  if (!machine) {
    await run({ out: (l) => ctx.out(l), err: (l) => ctx.err(l) });
    return;
  }
  const io: Io = { out: (l) => ctx.err(l), err: (l) => ctx.err(l) };
  let reply: HostReply<S>;
  try {
    reply = okReply(step, os.hostname(), await run(io));
  } catch (e) {
    const { lines, exitCode } = describeError(e);
    for (const l of lines) ctx.err(l);
    reply = errorReply(step, os.hostname(), e);
    ctx.setExitCode(exitCode === 0 ? 1 : exitCode);
  }
  ctx.out(JSON.stringify(reply));
}

/**
 * A usage error of a per-host step: the `Error:` line and the usage for a person; in machine
 * mode the usage, then the error with its reply (so the controller reads a UsageError).
 */
export async function stepUsageFailure(ctx: CliContext, step: StepName, machine: boolean, message: string, usage: string): Promise<void> {
  if (!machine) { usageFailure(ctx, message, usage); return; }
  ctx.err(usage);
  await stepReply(ctx, step, true, async () => { throw new UsageError(message); });
}

/** Take `--json` (machine mode) out of a per-host step's arguments. */
export function machineMode(args: readonly string[]): { machine: boolean; rest: string[] } {
  return { machine: args.includes('--json'), rest: args.filter((a) => a !== '--json') };
}

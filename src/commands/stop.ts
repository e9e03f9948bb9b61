/** `alluxio stop [ACTION] [-s]` (bin/alluxio-stop.sh forwards here). */
import type { Command } from 'commander';
import chalk from 'chalk';
import type { CliContext } from './context.js';
import type { ProcessKind } from '../orchestrate/local/processes.js';
import { DEFAULT_STOP_GRACE_MS } from '../orchestrate/local/processes.js';
import { kindsForAction, stopHere } from '../orchestrate/local/service.js';
import { parseClusterOptions, CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { clusterStop } from '../orchestrate/clusterOps.js';
import { stepReply, withCluster } from './cluster.js';
import { UsageError } from '../errors.js';

export const STOP_ACTIONS = ['all', 'local', 'master', 'masters', 'worker', 'workers'] as const;
export type StopAction = (typeof STOP_ACTIONS)[number];

export const STOP_USAGE = `Usage: alluxio-stop.sh [-h] [component] [-s]
       (same as: alluxio stop [-h] [component] [-s])
Where component is one of:
  all       Stop the workers of conf/workers, then the masters of conf/masters.
  local     Stop the worker and then the master(s) on this host.
  master    Stop the master(s) on this host.
  masters   Stop the masters of conf/masters.
  worker    Stop the worker on this host.
  workers   Stop the workers of conf/workers.
  all, masters and workers reach each host over SSH (this machine directly) and report every
  host; a failing host never stops the others.

-s  Soft stop: SIGTERM only, never SIGKILL (a process still running after the grace period is
    an error).
-h  Show this help.

Processes are found through their pid files (\${alluxio.run.dir}/<master|worker>.pid, and
master-<journal port>.pid for each of several masters on this host; all of them are stopped) and
signalled only when /proc/<pid>/cmdline shows our server. SIGTERM first; after
${DEFAULT_STOP_GRACE_MS / 1000} s SIGKILL (unless -s). The ramdisk stays mounted.`;

const EXAMPLES = `
Examples:
  alluxio-stop.sh local        # worker, then master, on this host
  alluxio-stop.sh master
  alluxio-stop.sh worker -s    # never SIGKILL
  alluxio-stop.sh workers      # hosts in conf/workers, over SSH; masters keep running
  alluxio-stop.sh all`;

export interface StopArgs {
  action?: StopAction;
  soft: boolean;
}

/** Parse the arguments after `stop`; an error message for usage errors (printed with the usage). */
export function parseStopArgs(args: readonly string[]): StopArgs | { error: string } {
  let action: StopAction | undefined;
  let soft = false;
  for (const a of args) {
    if (a === '-s') { soft = true; continue; }
    if (a === '-c') return { error: 'Option -c (save the ramdisk to a cache directory) is not supported yet' };
    if (action === undefined && !a.startsWith('-')) {
      if (!(STOP_ACTIONS as readonly string[]).includes(a)) return { error: `Invalid component: ${a}` };
      action = a as StopAction;
      continue;
    }
    return { error: a.startsWith('-') ? `Invalid option: ${a}` : `Invalid argument: ${a}` };
  }
  const out: StopArgs = { soft };
  if (action !== undefined) out.action = action;
  return out;
}

export function register(program: Command, ctx: CliContext): void {
  program.command('stop')
    .description('stop masters and workers (what bin/alluxio-stop.sh runs)')
    .usage('[-h] [component] [-s]')
    .argument('[args...]', 'component [-s], see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${STOP_USAGE.split('\n').slice(2).join('\n')}\n\n${CLUSTER_OPTIONS_HELP}\n${EXAMPLES}`)
    .action(async (args: string[]) => {
      const { rest, opts: clusterOpts } = parseClusterOptions(args);
      const parsed = parseStopArgs(rest);
      const cluster = !('error' in parsed) && (parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers');
      // `--json` on master, worker, local: machine mode (the protocol reply; what the orchestrator runs).
      const machine = !cluster && clusterOpts.json;
      if ('error' in parsed) {
        if (machine) {
          // The Error line comes with the reply (stepReply), the usage before it.
          ctx.err(STOP_USAGE);
          await stepReply(ctx, 'stop', true, async () => { throw new UsageError(parsed.error); });
          return;
        }
        ctx.err(`${chalk.red('Error:')} ${parsed.error}`);
        ctx.err(STOP_USAGE);
        ctx.setExitCode(1);
        return;
      }
      if (parsed.action === undefined) {
        // As alluxio-stop.sh: no component prints the usage and succeeds.
        ctx.out(STOP_USAGE);
        return;
      }
      if (parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers') {
        const what = parsed.action;
        await withCluster(ctx, args, 'stop', (session) => clusterStop(session, what, { soft: parsed.soft }));
        return;
      }
      const action = parsed.action;
      await stepReply(ctx, 'stop', machine, async (io) => {
        if (rest.length !== args.length - args.filter((a) => a === '--json').length) {
          throw new UsageError('--parallel, --dry-run and --accept-new-host-keys apply to all, masters and workers');
        }
        const kinds: ProcessKind[] = [...kindsForAction(action)].reverse(); // workers before masters
        return { processes: await stopHere(ctx.conf(), kinds, { soft: parsed.soft }, io) };
      });
    });
}

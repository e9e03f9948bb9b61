/**
 * `alluxio start [-a] [-f] [-N] ACTION [MOPT] [-f]` (bin/alluxio-start.sh forwards here).
 * Arguments are parsed by hand after commander, because their order matters as in Alluxio
 * (a `-f` right after ACTION is read as MOPT and means SudoMount and format).
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import type { CliContext } from './context.js';
import { parseMountMode, type MountMode } from '../orchestrate/local/mount.js';
import { DEFAULT_READY_TIMEOUT_MS } from '../orchestrate/local/processes.js';
import {
  kindsForAction, precheckStart, startMaster, startWorker, type StartOptions,
} from '../orchestrate/local/service.js';
import { parseClusterOptions, CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { clusterStart } from '../orchestrate/clusterOps.js';
import { stepReply, withCluster } from './cluster.js';
import { mergeFormat, type StartResult } from '../orchestrate/protocol.js';
import { UsageError } from '../errors.js';

export const START_ACTIONS = ['all', 'local', 'master', 'masters', 'worker', 'workers'] as const;
export type StartAction = (typeof START_ACTIONS)[number];
const MOPT_ACTIONS: ReadonlySet<string> = new Set(['all', 'local', 'worker', 'workers']);

export const START_USAGE = `Usage: alluxio-start.sh [-haN] ACTION [MOPT] [-f]
       (same as: alluxio start [-haN] ACTION [MOPT] [-f])
Where ACTION is one of:
  all [MOPT] [-f]     Start the masters of conf/masters, then the workers of conf/workers.
  local [MOPT] [-f]   Start the master(s) and then a worker on this host.
  master [-f]         Start the master(s) on this host.
  masters [-f]        Start the masters of conf/masters.
  worker [MOPT] [-f]  Start a worker on this host.
  workers [MOPT] [-f] Start the workers of conf/workers.
  all, masters and workers reach each host over SSH (this machine directly), push the install and
  conf/ where they differ, and report every host; a failing host never stops the others.

MOPT (mount option) is one of:
  Mount      Mount a tmpfs ramdisk (size alluxio.worker.ramdisk.size) at each MEM tier path that
             is not mounted yet, as the current user (needs root).
  SudoMount  The same through passwordless sudo (sudo -n); fails at once if sudo would prompt.
  NoMount    Use the MEM tier directories as they are (warns when not tmpfs/ramfs).
  NoMount is assumed if MOPT is not given. An already mounted ramdisk is kept.

-f  Format before starting: the journal for a master, the worker storage for a worker.
    Refused while that process runs. Without -f a master with an unformatted journal is not
    started (it is never formatted implicitly).
-a  Do not wait for the processes to become ready.
-N  Accepted for compatibility. A running process is never killed before starting; starting
    what already runs only says so.
-h  Show this help.

The start waits up to ${DEFAULT_READY_TIMEOUT_MS / 1000} s for each process: the master is ready when it leads, a
worker when it has registered with the master. Logs: \${alluxio.logs.dir}/<master|worker>.log;
pid files: \${alluxio.run.dir}/<master|worker>.pid.

Several masters on this host: when alluxio.master.embedded.journal.addresses lists several entries
that are this machine, master and local start one master per entry (pid file and log
master-<journal port>.pid/.log; rpc port from the same entry of alluxio.master.rpc.addresses, web
port = rpc port + 1, journal <alluxio.master.journal.folder>/<journal port>). The start waits until
each answers and then, when this host's masters are a majority of the journal, until one leads.
--no-leader-wait (used by start all/masters) waits only until each answers.`;

const EXAMPLES = `
Examples:
  alluxio-start.sh local                 # master + worker here, NoMount
  alluxio-start.sh local SudoMount       # mount the tmpfs ramdisk with sudo first
  alluxio-start.sh -a master             # do not wait for the master
  alluxio-start.sh master -f             # format the journal, then start the master
  alluxio-start.sh worker Mount          # as root
  alluxio-start.sh all SudoMount         # hosts in conf/masters, then conf/workers, over SSH
  alluxio-start.sh all --dry-run         # what would be pushed and started, changing nothing
  alluxio-start.sh masters
  alluxio-start.sh workers SudoMount`;

export interface StartArgs {
  action: StartAction;
  async: boolean;
  format: boolean;
  /** `--no-leader-wait`: masters of an embedded journal are ready when they answer. */
  noLeaderWait?: boolean;
  mountMode?: MountMode;
  /** `Assuming ...` line to print, as Alluxio does. */
  mountNote?: string;
}

/** Parse the arguments after `start`. Returns an error message for usage errors (printed with the usage). */
export function parseStartArgs(argv: readonly string[]): StartArgs | { error: string } {
  const noLeaderWait = argv.includes('--no-leader-wait');
  const args = argv.filter((a) => a !== '--no-leader-wait');
  let i = 0;
  let async = false;
  let format = false;
  while (i < args.length && /^-[^-]/.test(args[i]!)) {
    const a = args[i]!;
    for (const ch of a.slice(1)) {
      if (ch === 'a') async = true;
      else if (ch === 'f') format = true;
      else if (ch === 'N' || ch === 'w') { /* compatibility no-ops: never kill before start; nothing to wait on */ }
      else if (ch === 'i') return { error: 'Option -i (start from a journal backup) is not supported yet' };
      else return { error: `Invalid option: -${ch}` };
    }
    i++;
  }
  const action = args[i++];
  if (action === undefined) return { error: 'no ACTION specified' };
  if (!(START_ACTIONS as readonly string[]).includes(action)) return { error: `Invalid ACTION: ${action}` };
  const parsed: StartArgs = { action: action as StartAction, async, format };
  if (noLeaderWait) parsed.noLeaderWait = true;
  if (MOPT_ACTIONS.has(action)) {
    const mopt = args[i];
    if (mopt === undefined) {
      parsed.mountMode = 'NoMount';
      parsed.mountNote = 'Assuming NoMount by default.';
    } else if (mopt === '-f') {
      // Alluxio quirk: `-f` in the MOPT position means SudoMount, and it still formats below.
      parsed.mountMode = 'SudoMount';
      parsed.mountNote = 'Assuming SudoMount given -f option.';
    } else {
      parsed.mountMode = parseMountMode(mopt); // UsageError `Invalid mount mode: <x>`
      i++;
    }
  }
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-f') parsed.format = true;
    else if (a === '-c') return { error: 'Option -c (restore the ramdisk from a cache directory) is not supported yet' };
    else return { error: `Invalid argument: ${a}` };
  }
  return parsed;
}

export function register(program: Command, ctx: CliContext): void {
  program.command('start')
    .description('start masters and workers (what bin/alluxio-start.sh runs)')
    .usage('[-haN] ACTION [MOPT] [-f]')
    .argument('[args...]', 'ACTION [MOPT] [-f], see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${START_USAGE.split('\n').slice(2).join('\n')}\n\n${CLUSTER_OPTIONS_HELP}\n${EXAMPLES}`)
    .action(async (args: string[]) => {
      const { rest, opts: clusterOpts } = parseClusterOptions(args);
      const parsed = parseStartArgs(rest);
      // `--json` on master, worker, local: machine mode (the protocol reply; what the orchestrator runs).
      const local = 'error' in parsed || !(parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers');
      const machine = local && clusterOpts.json;
      if ('error' in parsed) {
        if (machine) {
          // The Error line comes with the reply (stepReply), the usage before it.
          ctx.err(START_USAGE);
          await stepReply(ctx, 'start', true, async () => { throw new UsageError(parsed.error); });
          return;
        }
        ctx.err(`${chalk.red('Error:')} ${parsed.error}`);
        ctx.err(START_USAGE);
        ctx.setExitCode(1);
        return;
      }
      if (parsed.mountNote && machine) ctx.err(parsed.mountNote); // human lines go to stderr in machine mode
      else if (parsed.mountNote && !clusterOpts.json) ctx.out(parsed.mountNote);
      if (parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers') {
        const what = parsed.action;
        await withCluster(ctx, args, 'start', (session) =>
          clusterStart(session, what, { async: parsed.async, format: parsed.format, mountMode: parsed.mountMode ?? 'NoMount' }));
        return;
      }
      const action = parsed.action;
      await stepReply(ctx, 'start', machine, async (io) => {
        if (rest.length !== args.length - args.filter((a) => a === '--json').length) {
          throw new UsageError('--parallel, --dry-run and --accept-new-host-keys apply to all, masters and workers');
        }
        const conf = ctx.conf();
        const kinds = kindsForAction(action);
        const opts: StartOptions = { flags: ctx.flags, async: parsed.async, format: parsed.format };
        if (parsed.noLeaderWait) opts.noLeaderWait = true;
        if (parsed.mountMode) opts.mountMode = parsed.mountMode;
        await precheckStart(conf, kinds, opts, io);
        const parts = [
          ...(kinds.includes('master') ? [await startMaster(conf, opts, io)] : []),
          ...(kinds.includes('worker') ? [await startWorker(conf, opts, io)] : []),
        ];
        const result: StartResult = { processes: parts.flatMap((p) => p.processes) };
        const formatted = parts.flatMap((p) => (p.formatted ? [p.formatted] : []));
        if (formatted.length) result.formatted = mergeFormat(formatted);
        return result;
      });
    });
}

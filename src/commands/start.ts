/**
 * `alluxio start [-a] [-f] [-N] ACTION [MOPT] [-f]` (bin/alluxio-start.sh forwards here).
 * Arguments are parsed by hand after commander, because their order matters as in Alluxio
 * (a `-f` right after ACTION is read as MOPT and means SudoMount and format).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { memTierPaths, parseMountMode, type MountMode } from '../orchestrate/local/mount.js';
import { checkRamCacheRestore } from '../orchestrate/local/ramcache.js';
import type { PhaseRecord } from '../orchestrate/report.js';
import type { Config } from '../conf/index.js';
import { DEFAULT_READY_TIMEOUT_MS, status } from '../orchestrate/local/processes.js';
import {
  kindsForAction, precheckStart, startMaster, startWorker, type Io, type StartOptions,
} from '../orchestrate/local/service.js';
import { parseClusterOptions, CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { clusterStart } from '../orchestrate/clusterOps.js';
import { stepReply, stepUsageFailure, withCluster } from './cluster.js';
import { mergeFormat, type StartResult } from '../orchestrate/protocol.js';
import { UsageError } from '../errors.js';

export const START_ACTIONS = ['all', 'local', 'master', 'masters', 'worker', 'workers', 'restart_worker', 'restart_workers'] as const;
export type StartAction = (typeof START_ACTIONS)[number];
const MOPT_ACTIONS: ReadonlySet<string> = new Set(['all', 'local', 'worker', 'workers']);
/** The actions that start a worker on this host, so `-c <cache>` can restore its ramdisk first. */
const CACHE_ACTIONS: ReadonlySet<string> = new Set(['local', 'worker']);

export const START_USAGE = `Usage: alluxio-start.sh [-haN] ACTION [MOPT] [-f] [-c cache]
       (same as: alluxio start [-haN] ACTION [MOPT] [-f] [-c cache])
Where ACTION is one of:
  all [MOPT] [-f]     Start the masters of conf/masters, then the workers of conf/workers.
  local [MOPT] [-f] [-c cache]
                      Start the master(s) and then a worker on this host.
  master [-f]         Start the master(s) on this host.
  masters [-f]        Start the masters of conf/masters.
  worker [MOPT] [-f] [-c cache]
                      Start a worker on this host.
  workers [MOPT] [-f] Start the workers of conf/workers.
  restart_worker      Start a worker on this host only if none runs (no mount: the ramdisk is
                      used as it is); with one running, nothing is done and the readiness check
                      is skipped.
  restart_workers     The same on every host of conf/workers: only the workers that do not run
                      are started (and checked).
  all, masters, workers and restart_workers reach each host over SSH (this machine directly), push
  the install and conf/ where they differ, and report every host; a failing host never stops the
  others.

MOPT (mount option) is one of:
  Mount      Mount a tmpfs ramdisk (size alluxio.worker.ramdisk.size) at each MEM tier path that
             is not mounted yet, as the current user (needs root).
  SudoMount  The same through passwordless sudo (sudo -n); fails at once if sudo would prompt.
  NoMount    Use the MEM tier directories as they are (warns when not tmpfs/ramfs).
  NoMount is assumed if MOPT is not given. An already mounted ramdisk is kept.

-f  Format before starting: the journal for a master, the worker storage for a worker.
    Refused while that process runs. Without -f a master with an unformatted journal is not
    started (it is never formatted implicitly).
-c cache  Before the worker starts (after the mount), replace the contents of each MEM tier
    directory with <cache>/<that directory> (what alluxio-stop.sh worker -c <cache> saved).
    A missing cache directory is an error (exit 2); an empty one is skipped. A cache that
    overlaps a ramdisk (-c /, a directory inside the ramdisk) is refused. Not done when the
    worker already runs (its ramdisk is in use).
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
  alluxio-start.sh workers SudoMount
  alluxio-start.sh worker Mount -c /var/lib/alluxio/ramcache   # mount, restore the saved ramdisk, start
  alluxio-start.sh restart_workers       # start the workers that are down, leave the others`;

export interface StartArgs {
  action: StartAction;
  async: boolean;
  format: boolean;
  /** `--no-leader-wait`: masters of an embedded journal are ready when they answer. */
  noLeaderWait?: boolean;
  mountMode?: MountMode;
  /** `Assuming ...` line to print, as Alluxio does. */
  mountNote?: string;
  /** `-c <dir>`: restore the ramdisk from this cache directory before the worker starts. */
  cache?: string;
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
    if (mopt === undefined || mopt === '-c') { // `worker -c <dir>`: no MOPT given
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
    else if (a === '-c') {
      if (!CACHE_ACTIONS.has(action)) return { error: `Option -c (restore the ramdisk from a cache directory) applies to worker and local, not ${action}` };
      const dir = args[++i];
      if (dir === undefined || dir === '') return { error: 'Option -c needs a cache directory: -c <dir>' };
      parsed.cache = dir;
    } else return { error: `Invalid argument: ${a}` };
  }
  if (parsed.cache !== undefined && parsed.format) return { error: 'Options -f and -c contradict each other: formatting the worker would delete what -c restores' };
  return parsed;
}

/**
 * `restart_worker`: start a worker here only if none runs, as Alluxio (no mount; the ramdisk is
 * used as it is). With one running nothing is done, and the readiness check is skipped.
 */
async function restartWorker(conf: Config, async: boolean, flags: Readonly<Record<string, string>>, io: Io): Promise<StartResult> {
  const st = status(conf, 'worker');
  if (st.running) {
    io.out(`worker is already running (pid ${st.pid}); not restarting it`);
    io.out('Skipping the monitor checks...');
    return { processes: [{ kind: 'worker', name: 'worker', action: 'already-running', pid: st.pid! }] };
  }
  return startWorker(conf, { flags, async, mountMode: 'NoMount' }, io);
}

/** After `restart_workers`: which hosts were down (started and checked), or Alluxio's skip line. */
export function restartedWorkers(phases: readonly PhaseRecord[]): string {
  const started = phases.filter((p) => p.phase === 'start worker').flatMap((p) => p.results).filter((r) => r.status === 'changed').map((r) => r.host);
  return started.length ? `Restarted the workers that were not running: ${started.join(', ')}` : 'Skipping the monitor checks...';
}

export function register(program: Command, ctx: CliContext): void {
  program.command('start')
    .description('start masters and workers (what bin/alluxio-start.sh runs)')
    .usage('[-haN] ACTION [MOPT] [-f] [-c cache]')
    .argument('[args...]', 'ACTION [MOPT] [-f] [-c cache], see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${START_USAGE.split('\n').slice(2).join('\n')}\n\n${CLUSTER_OPTIONS_HELP}\n${EXAMPLES}`)
    .action(async (args: string[]) => {
      const { rest, opts: clusterOpts } = parseClusterOptions(args);
      const parsed = parseStartArgs(rest);
      // `--json` on master, worker, local: machine mode (the protocol reply; what the orchestrator runs).
      const local = 'error' in parsed || !(parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers');
      const machine = local && clusterOpts.json;
      if ('error' in parsed) { await stepUsageFailure(ctx, 'start', machine, parsed.error, START_USAGE); return; }
      if (parsed.mountNote && machine) ctx.err(parsed.mountNote); // human lines go to stderr in machine mode
      else if (parsed.mountNote && !clusterOpts.json) ctx.out(parsed.mountNote);
      if (parsed.action === 'restart_workers') {
        await withCluster(ctx, args, 'start', async (session) => {
          const code = await clusterStart(session, 'workers', { async: parsed.async, format: false, mountMode: 'NoMount' });
          if (!clusterOpts.json) ctx.out(restartedWorkers(session.rep.phases));
          return code;
        });
        return;
      }
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
        if (action === 'restart_worker') return restartWorker(conf, parsed.async, ctx.flags, io);
        const kinds = kindsForAction(action);
        const opts: StartOptions = { flags: ctx.flags, async: parsed.async, format: parsed.format };
        if (parsed.noLeaderWait) opts.noLeaderWait = true;
        if (parsed.mountMode) opts.mountMode = parsed.mountMode;
        if (parsed.cache !== undefined) {
          checkRamCacheRestore(parsed.cache, memTierPaths(conf)); // before anything starts
          opts.ramCache = parsed.cache;
        }
        await precheckStart(conf, kinds, opts, io);
        const parts = [
          ...(kinds.includes('master') ? [await startMaster(conf, opts, io)] : []),
          ...(kinds.includes('worker') ? [await startWorker(conf, opts, io)] : []),
        ];
        const worker = parts.flatMap((p) => p.processes).find((p) => p.kind === 'worker');
        if (worker?.action === 'already-running' && parsed.cache !== undefined) io.out(`The ramdisk was not restored from ${parsed.cache}: the worker already runs and uses it`);
        const result: StartResult = { processes: parts.flatMap((p) => p.processes) };
        const formatted = parts.flatMap((p) => (p.formatted ? [p.formatted] : []));
        if (formatted.length) result.formatted = mergeFormat(formatted);
        return result;
      });
    });
}

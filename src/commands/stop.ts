/** `alluxio stop [ACTION] [-s]` (bin/alluxio-stop.sh forwards here). */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import type { ProcessKind } from '../orchestrate/local/processes.js';
import { DEFAULT_STOP_GRACE_MS } from '../orchestrate/local/processes.js';
import { kindsForAction, stopHere } from '../orchestrate/local/service.js';
import { parseClusterOptions, CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { clusterStop } from '../orchestrate/clusterOps.js';
import { stepReply, stepUsageFailure, withCluster } from './cluster.js';
import { UsageError } from '../errors.js';
import { memTierPaths } from '../orchestrate/local/mount.js';
import { planRamCacheSave, saveRamCache } from '../orchestrate/local/ramcache.js';

export const STOP_ACTIONS = ['all', 'local', 'master', 'masters', 'worker', 'workers'] as const;
export type StopAction = (typeof STOP_ACTIONS)[number];

export const STOP_USAGE = `Usage: alluxio-stop.sh [-h] [component] [-c cache] [-s]
       (same as: alluxio stop [-h] [component] [-c cache] [-s])
Where component is one of:
  all       Stop the workers of conf/workers, then the masters of conf/masters.
  local     Stop the worker and then the master(s) on this host.
  master    Stop the master(s) on this host.
  masters   Stop the masters of conf/masters.
  worker    Stop the worker on this host.
  workers   Stop the workers of conf/workers.
  all, masters and workers reach each host over SSH (this machine directly) and report every
  host; a failing host never stops the others.

--port P  (master) Stop only the master of this host whose embedded journal port is P (a host
          running several masters of one embedded journal; rollingRestart uses it).
-c cache  (worker, local) Save the contents of each MEM tier directory to <cache>/<that
    directory> (e.g. -c /var/lib/alluxio/ramcache saves /mnt/ramdisk to
    /var/lib/alluxio/ramcache/mnt/ramdisk), replacing what was saved there before; restore it
    with alluxio-start.sh worker -c <cache>. Checked before anything is stopped: a file in the
    way (Non-directory file already exists..., exit 1), a cache overlapping a ramdisk (-c /, a
    directory inside the ramdisk), too little free space (exit 2). Copied once the worker has
    stopped, so no block is caught half written; not copied when the stop failed.
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
  alluxio-stop.sh worker -c /var/lib/alluxio/ramcache   # stop, then save the ramdisk there
  alluxio-stop.sh workers      # hosts in conf/workers, over SSH; masters keep running
  alluxio-stop.sh all`;

export interface StopArgs {
  action?: StopAction;
  soft: boolean;
  /** `--port P` (stop master): only the master of this host with embedded journal port P (used by rollingRestart). */
  port?: number;
  /** `-c <dir>`: save the ramdisk to this cache directory (worker, local). */
  cache?: string;
}

/** Parse the arguments after `stop`; an error message for usage errors (printed with the usage). */
export function parseStopArgs(args: readonly string[]): StopArgs | { error: string } {
  let action: StopAction | undefined;
  let soft = false;
  let cache: string | undefined;
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-s') { soft = true; continue; }
    if (a === '--port') {
      port = Number(args[++i]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: `Option --port needs an embedded journal port: --port <1-65535>` };
      continue;
    }
    if (a === '-c') {
      cache = args[++i];
      if (cache === undefined || cache === '') return { error: 'Option -c needs a cache directory: -c <dir>' };
      continue;
    }
    if (action === undefined && !a.startsWith('-')) {
      if (!(STOP_ACTIONS as readonly string[]).includes(a)) return { error: `Invalid component: ${a}` };
      action = a as StopAction;
      continue;
    }
    return { error: a.startsWith('-') ? `Invalid option: ${a}` : `Invalid argument: ${a}` };
  }
  if (cache !== undefined && action !== 'worker' && action !== 'local') {
    return { error: `Option -c (save the ramdisk to a cache directory) applies to worker and local${action ? `, not ${action}` : ''}` };
  }
  if (port !== undefined && action !== 'master') return { error: `Option --port (one master of this host) applies to master${action ? `, not ${action}` : ''}` };
  const out: StopArgs = { soft };
  if (port !== undefined) out.port = port;
  if (action !== undefined) out.action = action;
  if (cache !== undefined) out.cache = cache;
  return out;
}

export function register(program: Command, ctx: CliContext): void {
  program.command('stop')
    .description('stop masters and workers (what bin/alluxio-stop.sh runs)')
    .usage('[-h] [component] [-c cache] [-s]')
    .argument('[args...]', 'component [-c cache] [-s], see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${STOP_USAGE.split('\n').slice(2).join('\n')}\n\n${CLUSTER_OPTIONS_HELP}\n${EXAMPLES}`)
    .action(async (args: string[]) => {
      const { rest, opts: clusterOpts } = parseClusterOptions(args);
      const parsed = parseStopArgs(rest);
      const cluster = !('error' in parsed) && (parsed.action === 'all' || parsed.action === 'masters' || parsed.action === 'workers');
      // `--json` on master, worker, local: machine mode (the protocol reply; what the orchestrator runs).
      const machine = !cluster && clusterOpts.json;
      if ('error' in parsed) { await stepUsageFailure(ctx, 'stop', machine, parsed.error, STOP_USAGE); return; }
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
        const conf = ctx.conf();
        const kinds: ProcessKind[] = [...kindsForAction(action)].reverse(); // workers before masters
        // -c: everything checked before anything stops; copied once the worker no longer writes.
        const save = parsed.cache === undefined ? undefined : planRamCacheSave(parsed.cache, memTierPaths(conf), io);
        let processes;
        try {
          processes = await stopHere(conf, kinds, { soft: parsed.soft, ...(parsed.port !== undefined ? { port: parsed.port } : {}) }, io);
        } catch (e) {
          if (save) io.err(`The ramdisk was not saved to ${save.cache}: the stop failed`);
          throw e;
        }
        if (save) saveRamCache(save, io);
        return { processes };
      });
    });
}

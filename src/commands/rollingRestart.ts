/**
 * `alluxio rollingRestart [masters|workers|all] [--batch N]`: restart, one at a time, only the
 * processes whose effective configuration the local conf/ changes (src/orchestrate/rolling.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withCluster } from './cluster.js';
import { DEFAULT_PARALLEL, parseClusterOptions } from '../orchestrate/cluster.js';
import { CATCH_UP_MS, REGISTER_MS, clusterRollingRestart } from '../orchestrate/rolling.js';
import { usageFailure } from './errorOutput.js';

export const ROLLING_USAGE = `Usage: alluxio rollingRestart [-h] [masters|workers|all] [--batch N] [--resume]
Where the component is one of:
  masters   The masters of conf/masters.
  workers   The workers of conf/workers.
  all       Both (the default): masters first, then workers.
Shows what differs (as alluxio diffConf), takes the cluster lock, pushes conf/ to the hosts whose
conf differs, then restarts only the processes whose effective configuration changes (a key
only clients read restarts nothing):
  - standby masters one at a time, each until it answers again and has applied the leader's
    commit index (at most ${CATCH_UP_MS / 1000} s), then leadership moves to an updated standby
    (quorum elect) and the old leader restarts last;
  - workers one at a time (or N at once), each until it registered again with the leader with
    its previous worker id (at most ${REGISTER_MS / 1000} s).
Refuses (restarting nothing) when no master leads, a master is down or lagging. Stops at the
first failing step, the rest of the cluster still serving, and says where; to resume, fix the
cause and rerun with --resume (the same as rerunning the command: processes already updated run
the expected config hash and are skipped; the health checks run again first).
Every step is appended to the audit log (alluxio.logs.dir/audit.log) of the hosts it touches.
-h  Show this help.
Options:
  --batch N                workers restarted at once (default 1)
  --resume                 continue a run that stopped (as a rerun: what is updated is skipped)
  --dry-run                print the steps; change nothing (no push, no restart)
  --json                   the per-step, per-host results (or the --dry-run plan) as JSON
  --parallel N             hosts asked at once (default ${DEFAULT_PARALLEL})
  --accept-new-host-keys   add unknown SSH host keys to ~/.ssh/known_hosts (a changed key is still refused)
Examples:
  alluxio rollingRestart --dry-run       what would restart, in order
  alluxio rollingRestart masters         after changing a MASTER key in conf/`;

export function register(program: Command, ctx: CliContext): void {
  program.command('rollingRestart')
    .description('restart, one at a time and without downtime, the processes whose configuration conf/ changes')
    .usage('[-h] [masters|workers|all] [--batch N] [--resume]')
    .argument('[args...]', 'masters, workers or all (default), see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${ROLLING_USAGE.split('\n').slice(1).join('\n')}`)
    .action(async (args: string[]) => {
      const { rest } = parseClusterOptions(args);
      const parsed = parseRollingArgs(rest);
      if ('error' in parsed) { usageFailure(ctx, parsed.error, ROLLING_USAGE); return; }
      await withCluster(ctx, args, 'rollingRestart', (session) => clusterRollingRestart(session, parsed.what, { batch: parsed.batch, resume: parsed.resume }));
    });
}

/** The arguments left after the cluster options: [masters|workers|all] [--batch N] [--resume]. */
export function parseRollingArgs(args: readonly string[]): { what: 'masters' | 'workers' | 'all'; batch: number; resume: boolean } | { error: string } {
  const rest = [...args];
  let batch = 1;
  const bi = rest.findIndex((a) => a === '--batch' || a.startsWith('--batch='));
  if (bi >= 0) {
    const a = rest[bi]!;
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest[bi + 1];
    batch = Number(v);
    if (!Number.isInteger(batch) || batch < 1) return { error: `--batch ${v ?? ''}: expected a whole number of workers, 1 or more` };
    rest.splice(bi, a.includes('=') ? 1 : 2);
  }
  const ri = rest.indexOf('--resume');
  const resume = ri >= 0;
  if (resume) rest.splice(ri, 1);
  if (rest.length > 1 || (rest.length === 1 && !['masters', 'workers', 'all'].includes(rest[0]!))) return { error: `Invalid arguments: ${rest.join(' ')}` };
  return { what: (rest[0] ?? 'all') as 'masters' | 'workers' | 'all', batch, resume };
}

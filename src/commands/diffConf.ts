/**
 * `alluxio diffConf [masters|workers|all]`: what the running servers use against what this
 * machine's conf/ would give them (src/orchestrate/diffConf.ts). `alluxio configProbe` (internal)
 * is its per-host step: the conf files arrive on stdin as a gzip'd tar.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { machineMode, stepReply, stepUsageFailure, withCluster } from './cluster.js';
import { DEFAULT_PARALLEL, parseClusterOptions } from '../orchestrate/cluster.js';
import { clusterDiffConf } from '../orchestrate/diffConf.js';
import { configProbe } from '../orchestrate/local/configProbe.js';
import type { ProcessKind } from '../orchestrate/protocol.js';
import { usageFailure } from './errorOutput.js';
import { ConfigError } from '../errors.js';

export const DIFFCONF_USAGE = `Usage: alluxio diffConf [-h] [masters|workers|all]
Where the component is one of:
  masters   The masters of conf/masters.
  workers   The workers of conf/workers.
  all       Both (the default).
For every host, each running master and worker is asked for the configuration it runs with
(/api/v1/master/config, /api/v1/worker/config) and compared with what this machine's conf/
would give it on that host (evaluated there, with its environment, in a temporary directory).
Prints per host and process the keys that differ (old -> new) and which processes read them:
MASTER, WORKER, SERVER (both) and ALL keys need those servers restarted; a CLIENT key needs no
restart. A process that does not run is reported as not running.
diffConf changes nothing on any host: it pushes nothing and takes no cluster lock. Exit 0 with
or without differences; 1 when a host could not be asked.
-h  Show this help.
Options:
  --parallel N             hosts asked at once (default ${DEFAULT_PARALLEL})
  --json                   per host and process: running and expected configHash, the differing keys
                           with scope and affected processes, and the processes needing a restart
  --accept-new-host-keys   add unknown SSH host keys to ~/.ssh/known_hosts (a changed key is still refused)
Examples:
  alluxio diffConf                 every master and worker
  alluxio diffConf workers --json  the workers, for a script`;

const CONFIG_PROBE_USAGE = 'usage: alluxio configProbe [master] [worker] --json < conf.tar.gz';

export function register(program: Command, ctx: CliContext): void {
  program.command('diffConf')
    .description('compare what the running masters and workers use with what conf/ gives them (changes nothing)')
    .usage('[-h] [masters|workers|all]')
    .argument('[args...]', 'masters, workers or all (default), see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${DIFFCONF_USAGE.split('\n').slice(1).join('\n')}`)
    .action(async (args: string[]) => {
      const { rest, opts } = parseClusterOptions(args);
      if (opts.dryRun) { usageFailure(ctx, 'diffConf changes nothing: --dry-run does not apply', DIFFCONF_USAGE); return; }
      if (rest.length > 1 || (rest.length === 1 && !['masters', 'workers', 'all'].includes(rest[0]!))) {
        usageFailure(ctx, `Invalid arguments: ${rest.join(' ')}`, DIFFCONF_USAGE);
        return;
      }
      const what = (rest[0] ?? 'all') as 'masters' | 'workers' | 'all';
      await withCluster(ctx, args, 'diffConf', (session) => clusterDiffConf(session, what));
    });

  program.command('configProbe', { hidden: true })
    .description('internal: compare this host\'s running servers with the conf dir on stdin (protocol reply, used by diffConf)')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      const { machine, rest } = machineMode(args);
      if (!rest.every((a) => a === 'master' || a === 'worker')) {
        await stepUsageFailure(ctx, 'configProbe', machine, `Invalid arguments: ${rest.join(' ')}`, CONFIG_PROBE_USAGE);
        return;
      }
      await stepReply(ctx, 'configProbe', machine, async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-diffconf-'));
        try {
          // tar reads this process's stdin itself (no copy through node, no polling of a non-blocking fd).
          const r = spawnSync('tar', ['-x', '-z', '-C', tmp], { stdio: ['inherit', 'pipe', 'pipe'], encoding: 'utf8' });
          if (r.status !== 0) throw new ConfigError(`the conf dir sent on stdin could not be unpacked (tar exit ${r.status}): ${(r.stderr || '').trim()}`);
          const kinds = (rest.length ? rest : ['master', 'worker']) as ProcessKind[];
          return await configProbe({ hostConf: ctx.conf(), sentConfDir: tmp, kinds, flags: ctx.flags });
        } finally {
          fs.rmSync(tmp, { recursive: true, force: true });
        }
      });
    });
}

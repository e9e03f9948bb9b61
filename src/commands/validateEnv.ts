/** `alluxio validateEnv TARGET`: check that every host can run its part of the cluster. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { CLUSTER_OPTIONS_HELP, parseClusterOptions } from '../orchestrate/cluster.js';
import { CHECKS, validateEnv } from '../orchestrate/validate.js';
import { parseMountMode } from '../orchestrate/local/mount.js';
import { machineMode, stepReply, withCluster } from './cluster.js';
import { sharedJournalStep } from '../orchestrate/local/sharedJournal.js';

const TARGETS = ['all', 'masters', 'workers', 'list'] as const;

export function register(program: Command, ctx: CliContext): void {
  program.command('validateEnv')
    .description('check every host: SSH, node 20+, clock, name resolution, free ports, writable dirs, sudo')
    .usage('all|masters|workers|list [--mount Mount|SudoMount|NoMount] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
Targets: all (conf/masters and conf/workers), masters, workers; list prints the checks.
--mount SudoMount also checks passwordless sudo on the workers.

${CLUSTER_OPTIONS_HELP}

Examples:
  alluxio validateEnv all
  alluxio validateEnv workers --mount SudoMount
  alluxio validateEnv list`)
    .action(async (args: string[]) => {
      // Usage errors and `list` need no conf/masters, conf/workers or SSH: checked before the session.
      const { rest } = parseClusterOptions(args);
      let mount: string | undefined;
      const i = rest.indexOf('--mount');
      if (i >= 0) { mount = rest[i + 1]; rest.splice(i, 2); }
      const target = rest[0];
      if (rest.length !== 1 || !(TARGETS as readonly string[]).includes(target!)) {
        const hint = `use one of ${TARGETS.join(', ')}${target === 'local' || target === 'master' || target === 'worker' ? ' (this host is checked as one of the hosts of conf/masters or conf/workers)' : ''}`;
        throw new UsageError(target === undefined ? 'Target not specified.' : `Invalid target: ${rest.join(' ')}`, { hint });
      }
      if (target === 'list') {
        for (const [name, doc] of CHECKS) ctx.out(`${name.padEnd(28)} ${doc}`);
        return;
      }
      const mountMode = mount === undefined ? undefined : parseMountMode(mount);
      await withCluster(ctx, args, 'validateEnv', (session) =>
        validateEnv(session, target as 'all' | 'masters' | 'workers', mountMode ? { mountMode } : {}));
    });

  program.command('sharedJournal', { hidden: true })
    .description('internal: ZooKeeper-mode checks of this master host (zk | write | check <token> <writer> | remove <token>) as a protocol reply')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      const { machine, rest } = machineMode(args);
      await stepReply(ctx, 'sharedJournal', machine, () => sharedJournalStep(ctx.conf(), rest));
    });
}

/** `alluxio copyDir <dir>`: copy a directory to the same path on every master and worker. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { copyDir } from '../orchestrate/clusterOps.js';
import { withCluster } from './cluster.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('copyDir')
    .description('copy a directory to the same path on every host of conf/masters and conf/workers (except this one)')
    .usage('<path> [--dry-run] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
Files in the directory are replaced on every host; other files there are kept. Every host is
reported; the exit code is 1 when any host failed.

${CLUSTER_OPTIONS_HELP}

Examples:
  alluxio copyDir conf/
  alluxio copyDir conf/ --dry-run`)
    .action((args: string[]) => withCluster(ctx, args, 'copyDir', (session, rest) => {
      if (rest.length !== 1) throw new UsageError('Usage: alluxio copyDir <path>');
      return copyDir(session, rest[0]!);
    }));
}

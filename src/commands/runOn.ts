/**
 * `alluxio runOn masters|workers|all <command...>` (bin/alluxio-masters.sh and
 * bin/alluxio-workers.sh forward here): run a command on every host and report each, with a
 * non-zero exit when any host failed (Alluxio's scripts exit 0 regardless).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { runOn } from '../orchestrate/clusterOps.js';
import { withCluster } from './cluster.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('runOn')
    .description('run a command on every master, worker, or both (alluxio-masters.sh / alluxio-workers.sh)')
    .usage('masters|workers|all [cluster options] <command...>')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
The command is passed as words (each one quoted for the remote shell); use sh -c '...' for pipes.
Output lines are prefixed [host]; every host is reported; the exit code is 1 when any host failed.

${CLUSTER_OPTIONS_HELP}

Examples:
  alluxio-workers.sh df -h /mnt/ramdisk
  alluxio runOn all sh -c 'uptime; free -m'`)
    .action((args: string[]) => {
      // Cluster options are only read before the target, so the command keeps its own flags.
      const t = args.findIndex((a) => a === 'masters' || a === 'workers' || a === 'all');
      if (t < 0 || t === args.length - 1) {
        throw new UsageError(t < 0 ? 'no target given (masters, workers or all)' : `no command given to run on ${args[t]}`, {
          hint: 'Usage: alluxio-workers.sh command... / alluxio-masters.sh command... (alluxio runOn masters|workers|all <command...>)',
        });
      }
      const target = args[t] as 'masters' | 'workers' | 'all';
      const command = args.slice(t + 1);
      return withCluster(ctx, args.slice(0, t), `runOn ${target} ${command.join(' ')}`, (session, rest) => {
        if (rest.length) throw new UsageError(`Unexpected arguments before ${target}: ${rest.join(' ')}`);
        return runOn(session, target, command);
      });
    });
}

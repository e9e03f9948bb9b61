/**
 * The format family. `format [-s]` and `formatMasters` act on the hosts of conf/masters and
 * conf/workers (over SSH; this machine directly); `formatJournal [-s]`, `formatWorker [-s]` and
 * `formatMaster` (deprecated alias) act on this host only.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { formatHere } from '../orchestrate/local/service.js';
import { clusterFormat } from '../orchestrate/clusterOps.js';
import { CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { withCluster } from './cluster.js';
import { ensureClusterSecret, secretFileOf } from '../clusterSecret.js';

/**
 * `format` and `formatMasters` create the cluster secret in this host's conf dir when there is
 * none (never on --dry-run), before the session opens so that it is pushed with conf/ to every
 * host: masters and workers then accept only peers that send it. A command that fails keeps it
 * (it may have been pushed already; removing it here only would split the cluster).
 */
async function withSecret(ctx: CliContext, args: readonly string[], run: () => Promise<void>): Promise<void> {
  const file = args.includes('--dry-run') ? undefined : secretFileOf(ctx.conf());
  const created = file !== undefined && ensureClusterSecret(file);
  await run();
  if (created) ctx.out(`Created the cluster secret ${file} (pushed with conf/ to every host)`);
}

function io(ctx: CliContext) {
  return { out: (l: string) => ctx.out(l), err: (l: string) => ctx.err(l) };
}

/** The only argument of the local format verbs: -s (format only what is not formatted yet). */
function onlyS(name: string, args: readonly string[]): boolean {
  if (args.length > 1 || args.some((a) => a !== '-s')) throw new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: `usage: alluxio ${name} [-s]` });
  return args.length === 1;
}

const SAFETY = `
Several masters on this host (several entries of alluxio.master.embedded.journal.addresses are this
machine): formatJournal formats the journal of each, <alluxio.master.journal.folder>/<journal port>.

Safety: nothing is deleted while a master or worker runs (on any host, for format), and a path is refused
(nothing deleted) when it is /, the home directory or an ancestor, alluxio.home or an ancestor,
or (journal) a non-empty directory without the .alluxio-journal marker. Worker format deletes
only <tier dir>/<alluxio.worker.data.folder>, never the tier directory (ramdisk mount point).`;

export function register(program: Command, ctx: CliContext): void {
  program.command('format')
    .description('format the journal of every master (conf/masters) and the storage of every worker (conf/workers)')
    .usage('[-s] [--dry-run] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
-s  Format only what is not formatted yet: a journal folder without its marker, worker data
    folders that do not exist.
${CLUSTER_OPTIONS_HELP}
${SAFETY}
A host that cannot be reached is reported and left alone; nothing is ever formatted implicitly.

Examples:
  alluxio format
  alluxio format -s
  alluxio formatJournal
  alluxio formatWorker`)
    .action((args: string[]) => withSecret(ctx, args, () =>
      withCluster(ctx, args, 'format', (session, rest) => clusterFormat(session, { onlyUnformatted: onlyS('format', rest) }))));

  program.command('formatJournal')
    .description("format this host's journal folder (alluxio.master.journal.folder; every local master's with several masters here)")
    .usage('[-s]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `${SAFETY}\n\nExample:\n  alluxio formatJournal`)
    .action(async (args: string[]) => {
      await formatHere(ctx.conf(), ['master'], io(ctx), { onlyUnformatted: onlyS('formatJournal', args) });
    });

  program.command('formatWorker')
    .description("format this host's worker storage (<tier dir>/<alluxio.worker.data.folder>)")
    .usage('[-s]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `${SAFETY}\n\nExample:\n  alluxio formatWorker`)
    .action(async (args: string[]) => {
      await formatHere(ctx.conf(), ['worker'], io(ctx), { onlyUnformatted: onlyS('formatWorker', args) });
    });

  program.command('formatMaster')
    .description('deprecated: same as formatJournal')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      if (args.length) throw new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: 'usage: alluxio formatMaster' });
      ctx.out('formatMaster is deprecated - use formatMasters instead');
      await formatHere(ctx.conf(), ['master'], io(ctx));
    });

  program.command('formatMasters')
    .description('format the journal of every master in conf/masters')
    .usage('[-s] [--dry-run] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
${CLUSTER_OPTIONS_HELP}
${SAFETY}

Example:
  alluxio formatMasters`)
    .action((args: string[]) => withSecret(ctx, args, () => withCluster(ctx, args, 'formatMasters', (session, rest) =>
      clusterFormat(session, { onlyUnformatted: onlyS('formatMasters', rest), what: 'masters' }))));
}

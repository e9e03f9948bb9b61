/**
 * The format family, on this host: `format [-s]`, `formatJournal`, `formatWorker`,
 * `formatMaster` (deprecated alias) and `formatMasters`. Multi-host format over SSH comes with the
 * orchestrator; today `format` formats this host's journal and worker storage.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { formatHere, kindsForAction } from '../orchestrate/local/service.js';

function io(ctx: CliContext) {
  return { out: (l: string) => ctx.out(l), err: (l: string) => ctx.err(l) };
}

function noArgs(name: string, args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`Unexpected arguments: ${args.join(' ')}`, { hint: `usage: alluxio ${name}` });
}

const SAFETY = `
Safety: nothing is deleted while a master or worker runs on this host, and a path is refused
(nothing deleted) when it is /, the home directory or an ancestor, alluxio.home or an ancestor,
or (journal) a non-empty directory without the .alluxio-journal marker. Worker format deletes
only <tier dir>/<alluxio.worker.data.folder>, never the tier directory (ramdisk mount point).`;

export function register(program: Command, ctx: CliContext): void {
  program.command('format')
    .description("format this host's journal (alluxio.master.journal.folder) and worker storage")
    .usage('[-s]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
-s  Format only what is not formatted yet: a journal folder without its marker, worker data
    folders that do not exist.
${SAFETY}

Examples:
  alluxio format
  alluxio format -s
  alluxio formatJournal
  alluxio formatWorker`)
    .action((args: string[]) => {
      const bad = args.filter((a) => a !== '-s');
      if (bad.length > 0 || args.length > 1) {
        throw new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: 'usage: alluxio format [-s]' });
      }
      formatHere(ctx.conf(), ['master', 'worker'], io(ctx), { onlyUnformatted: args.length === 1 });
    });

  program.command('formatJournal')
    .description("format this host's journal folder (alluxio.master.journal.folder)")
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `${SAFETY}\n\nExample:\n  alluxio formatJournal`)
    .action((args: string[]) => {
      noArgs('formatJournal', args);
      formatHere(ctx.conf(), ['master'], io(ctx));
    });

  program.command('formatWorker')
    .description("format this host's worker storage (<tier dir>/<alluxio.worker.data.folder>)")
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `${SAFETY}\n\nExample:\n  alluxio formatWorker`)
    .action((args: string[]) => {
      noArgs('formatWorker', args);
      formatHere(ctx.conf(), ['worker'], io(ctx));
    });

  program.command('formatMaster')
    .description('deprecated: same as formatJournal')
    .argument('[args...]')
    .allowUnknownOption()
    .action((args: string[]) => {
      noArgs('formatMaster', args);
      ctx.out('formatMaster is deprecated - use formatMasters instead');
      formatHere(ctx.conf(), ['master'], io(ctx));
    });

  program.command('formatMasters')
    .description('format the journal of every master in conf/masters (only this host for now)')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
A UFS journal is shared storage and is formatted once from here. An embedded journal lives on
every master; until the SSH orchestrator exists, every host in conf/masters must be this machine.
${SAFETY}

Example:
  alluxio formatMasters`)
    .action(async (args: string[]) => {
      noArgs('formatMasters', args);
      const conf = ctx.conf();
      if (conf.getEnum('alluxio.master.journal.type') === 'EMBEDDED') {
        const kinds = await kindsForAction(conf, 'masters', 'format', io(ctx));
        if (kinds.length === 0) return;
      }
      formatHere(conf, ['master'], io(ctx));
    });
}

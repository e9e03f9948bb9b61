import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs, formatDate, modeString } from './shared.js';
import type { FileInfo } from '../../client/fileSystem.js';

export function lsLine(i: FileInfo): string {
  return [
    modeString(i).padEnd(11), i.owner.padEnd(15), i.group.padEnd(15), String(i.folder ? 0 : i.length).padEnd(15),
    i.persistenceState.padEnd(16), formatDate(i.lastModificationTimeMs).padEnd(24), `${i.folder ? 'DIR' : `${i.inAlluxioPercentage}%`}`.padEnd(5), i.path,
  ].join(' ');
}

export function register(fs: Command, ctx: CliContext): void {
  fs.command('ls').description('list a directory (or show a file)')
    .argument('<path>').option('-R, --recursive', 'list subdirectories recursively')
    .action(async (p: string, o: { recursive?: boolean }) => withFs(ctx, [p], async (c, [path]) => {
      for (const i of await c.listStatus(path!, !!o.recursive)) ctx.out(lsLine(i));
    }));
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs, forEachPath } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('rm').description('remove files, or directories with -R (also from the UFS); goes on past a path that fails')
    .argument('<paths...>').option('-R, --recursive', 'remove directories and their contents')
    .action(async (paths: string[], o: { recursive?: boolean }) => withFs(ctx, paths, async (c, ps) =>
      forEachPath(ctx, ps, async (p) => {
        await c.delete(p, !!o.recursive);
        return `${p} has been removed`;
      })));
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('rm').description('remove a file, or a directory with -R (also from the UFS)')
    .argument('<paths...>').option('-R, --recursive', 'remove directories and their contents')
    .action(async (paths: string[], o: { recursive?: boolean }) => withFs(ctx, paths, async (c, ps) => {
      for (const p of ps) {
        await c.delete(p, !!o.recursive);
        ctx.out(`${p} has been removed`);
      }
    }));
}

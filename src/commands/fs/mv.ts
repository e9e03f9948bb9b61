import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('mv').description('rename a file or directory; into a directory when the destination is one')
    .argument('<src>').argument('<dst>')
    .action(async (src: string, dst: string) => withFs(ctx, [src, dst], async (c, [s, d]) => {
      let target = d!;
      if (await c.exists(target) && (await c.getStatus(target)).folder) target = path.posix.join(target, path.posix.basename(s!));
      await c.rename(s!, target);
      ctx.out(`Renamed ${s} to ${target}`);
    }));
}

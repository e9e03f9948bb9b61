import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('chgrp').description('change the group of a file or directory (its owner, to a group it is in, or a superuser)')
    .argument('<group>').argument('<path>')
    .option('-R, --recursive', 'also everything under a directory')
    .action(async (group: string, p: string, o: { recursive?: boolean }) => withFs(ctx, [p], async (c, [path]) => {
      await c.setAttribute(path!, { group, recursive: !!o.recursive });
      ctx.out(`Changed group of ${path} to ${group}`);
    }));
}

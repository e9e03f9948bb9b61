import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { UsageError } from '../../errors.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('chown').description('change the owner (and group) of a file or directory (superuser only)')
    .argument('<owner[:group]>').argument('<path>')
    .option('-R, --recursive', 'also everything under a directory')
    .action(async (spec: string, p: string, o: { recursive?: boolean }) => {
      const m = /^([^:]+)(?::([^:]+))?$/.exec(spec);
      if (!m) throw new UsageError(`"${spec}" is not <owner> or <owner>:<group>`);
      const [, owner, group] = m;
      await withFs(ctx, [p], async (c, [path]) => {
        await c.setAttribute(path!, { owner: owner!, ...(group ? { group } : {}), recursive: !!o.recursive });
        ctx.out(group ? `Changed owner:group of ${path} to ${owner}:${group}.` : `Changed owner of ${path} to ${owner}.`);
      });
    });
}

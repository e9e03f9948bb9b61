import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { isValidModeSpec } from '../../server/master/permissions.js';
import { UsageError } from '../../errors.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('chmod').description('change the mode of a file or directory (owner or superuser)')
    .argument('<mode>', 'octal (755, 1777) or symbolic (u+x, go-w, a=rX, +t)').argument('<path>')
    .option('-R, --recursive', 'also everything under a directory')
    .action(async (mode: string, p: string, o: { recursive?: boolean }) => {
      if (!isValidModeSpec(mode)) throw new UsageError(`"${mode}" is not a valid mode: use octal (755, 1777) or symbolic (u+x, go-w, a=rX, +t)`);
      await withFs(ctx, [p], async (c, [path]) => {
        await c.setAttribute(path!, { mode, recursive: !!o.recursive });
        ctx.out(`Changed permission of ${path} to ${mode}`);
      });
    });
}

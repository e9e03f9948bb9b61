import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('touch').description('create an empty file').argument('<path>')
    .action(async (p: string) => withFs(ctx, [p], async (c, [path]) => {
      const out = await c.createFile(path!);
      await out.close();
      ctx.out(`${path} has been created`);
    }));
}

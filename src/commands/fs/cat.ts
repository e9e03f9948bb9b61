import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('cat').description('print a file to standard output').argument('<path>')
    .action(async (p: string) => withFs(ctx, [p], async (c, [path]) => {
      for await (const chunk of c.read(path!)) {
        if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      }
    }));
}

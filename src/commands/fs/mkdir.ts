import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs, forEachPath } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('mkdir').description('create directories, with any missing parents (as Alluxio does); goes on past a path that fails')
    .argument('<paths...>').option('-p, --parents', 'no error if the directory already exists')
    .action(async (paths: string[], o: { parents?: boolean }) => withFs(ctx, paths, async (c, ps) =>
      forEachPath(ctx, ps, async (p) => {
        await c.createDirectory(p, { recursive: true, allowExists: !!o.parents });
        return `Successfully created directory ${p}`;
      })));
}

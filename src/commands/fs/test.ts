import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { UsageError, FileDoesNotExistError } from '../../errors.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('test').description('test a path: exit 0 when true, 1 when false')
    .argument('<path>')
    .option('-d', 'is a directory').option('-e', 'exists').option('-f', 'is a file').option('-s', 'is a non-empty directory').option('-z', 'is a zero-length file')
    .action(async (p: string, o: Record<string, boolean>) => withFs(ctx, [p], async (c, [path]) => {
      const flags = ['d', 'e', 'f', 's', 'z'].filter((f) => o[f]);
      if (flags.length !== 1) throw new UsageError('fs test needs exactly one of -d, -e, -f, -s, -z');
      let info;
      try { info = await c.getStatus(path!); } catch (e) { if (!(e instanceof FileDoesNotExistError)) throw e; }
      let ok = false;
      switch (flags[0]) {
        case 'e': ok = !!info; break;
        case 'd': ok = !!info?.folder; break;
        case 'f': ok = !!info && !info.folder; break;
        case 'z': ok = !!info && !info.folder && info.length === 0; break;
        case 's': ok = !!info?.folder && (await c.listStatus(path!)).length > 0; break;
      }
      ctx.setExitCode(ok ? 0 : 1);
    }));
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { UnavailableError } from '../../errors.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('leader').description('print the leading master\'s host name (exits 1 when none answers, unlike Alluxio)')
    .action(async () => withFs(ctx, [], async (c) => {
      try {
        const addr = await c.master.findLeader();
        ctx.out(addr.slice(0, addr.lastIndexOf(':')));
      } catch (e) {
        if (e instanceof UnavailableError) { ctx.err('Failed to get the leader master.'); }
        throw e;
      }
    }));
}

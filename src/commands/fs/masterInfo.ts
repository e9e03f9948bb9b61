import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('masterInfo').description('show the leading master and every configured master address')
    .action(async () => withFs(ctx, [], async (c) => {
      const leader = await c.master.findLeader();
      const info = await c.masterInfo();
      ctx.out(`Current leader master: ${leader}`);
      ctx.out(`All masters: ${c.master.addresses.join(', ')}`);
      ctx.out(`Cluster id: ${info.clusterId}`);
      ctx.out(`Journal: ${info.journalType}`);
    }));
}

import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { formatBytes } from '../../conf/index.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('du').description('size of files under a path, and how much of it is in Alluxio')
    .argument('<path>').option('-s, --summary', 'one total line').option('-h, --human', 'human readable sizes')
    .action(async (p: string, o: { summary?: boolean; human?: boolean }) => withFs(ctx, [p], async (c, [path]) => {
      const st = await c.getStatus(path!);
      const files = st.folder ? (await c.listStatus(path!, true)).filter((i) => !i.folder) : [st];
      const size = (n: number) => (o.human ? formatBytes(n) : String(n));
      const cached = (i: (typeof files)[number]) => i.fileBlockInfos.filter((b) => b.blockInfo.locations.length).reduce((s, b) => s + b.blockInfo.length, 0);
      ctx.out(`${'File Size'.padEnd(15)} ${'In Alluxio'.padEnd(20)} Path`);
      const pct = (a: number, t: number) => `${size(a)} (${t ? Math.floor((a * 100) / t) : 100}%)`;
      if (o.summary) {
        const total = files.reduce((s, i) => s + i.length, 0), inA = files.reduce((s, i) => s + cached(i), 0);
        ctx.out(`${size(total).padEnd(15)} ${pct(inA, total).padEnd(20)} ${path}`);
      } else {
        for (const i of files) ctx.out(`${size(i.length).padEnd(15)} ${pct(cached(i), i.length).padEnd(20)} ${i.path}`);
      }
    }));
}

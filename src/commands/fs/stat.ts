import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs, formatDate } from './shared.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('stat').description('show a path\'s metadata and blocks').argument('<path>')
    .option('--json', 'print the metadata as JSON')
    .action(async (p: string, o: { json?: boolean }) => withFs(ctx, [p], async (c, [path]) => {
      const i = await c.getStatus(path!);
      if (o.json) { ctx.out(JSON.stringify(i, null, 2)); return; }
      ctx.out(`${path} is a ${i.folder ? 'directory' : 'file'} path.`);
      const rows: [string, unknown][] = [
        ['fileId', i.fileId], ['name', i.name], ['path', i.path], ['ufsPath', i.ufsPath], ['length', i.length],
        ['blockSizeBytes', i.blockSizeBytes], ['creationTime', formatDate(i.creationTimeMs)], ['lastModificationTime', formatDate(i.lastModificationTimeMs)],
        ['completed', i.completed], ['folder', i.folder], ['persisted', i.persisted], ['persistenceState', i.persistenceState],
        ['inAlluxioPercentage', i.inAlluxioPercentage], ['mode', i.mode.toString(8)], ['owner', i.owner], ['group', i.group],
      ];
      if (i.persistError) rows.push(['persistError', i.persistError]);
      for (const [k, v] of rows) ctx.out(`  ${k}: ${v}`);
      if (!i.folder) {
        ctx.out('Containing the following blocks:');
        for (const b of i.fileBlockInfos) {
          const locs = b.blockInfo.locations.map((l) => `${l.workerAddress.host}:${l.workerAddress.rpcPort} (${l.tierAlias})`).join(', ') || 'not in Alluxio';
          ctx.out(`  BlockInfo{id=${b.blockInfo.blockId}, length=${b.blockInfo.length}, offset=${b.offset}, locations=[${locs}]}`);
        }
      }
    }));
}

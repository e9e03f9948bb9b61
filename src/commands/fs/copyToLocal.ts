import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import type { FileSystem } from '../../client/fileSystem.js';

async function copyOut(c: FileSystem, src: string, local: string): Promise<void> {
  const tmp = `${local}.alluxio-copy.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    for await (const chunk of c.read(src)) await fh.write(chunk);
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fsp.rename(tmp, local);
}

export function register(fs: Command, ctx: CliContext): void {
  fs.command('copyToLocal').alias('get').description('copy a file or directory from Alluxio to the local file system')
    .argument('<src>').argument('<dst>')
    .action(async (src: string, dst: string) => withFs(ctx, [src], async (c, [s]) => {
      const info = await c.getStatus(s!);
      let target = dst;
      const st = await fsp.stat(dst).catch(() => undefined);
      if (st?.isDirectory()) target = path.join(dst, info.name || 'root');
      if (info.folder) {
        await fsp.mkdir(target, { recursive: true });
        for (const i of await c.listStatus(s!, true)) {
          const rel = path.posix.relative(s!, i.path);
          if (i.folder) await fsp.mkdir(path.join(target, rel), { recursive: true });
          else await copyOut(c, i.path, path.join(target, rel));
        }
      } else {
        await copyOut(c, s!, target);
      }
      ctx.out(`Copied ${s} to file://${path.resolve(target)}`);
    }));
}

import fsp from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { UsageError } from '../../errors.js';
import type { FileSystem, WriteType } from '../../client/fileSystem.js';

async function copyFile(c: FileSystem, local: string, dst: string, writeType?: WriteType): Promise<number> {
  const out = await c.createFile(dst, { writeType });
  try {
    for await (const chunk of createReadStream(local, { highWaterMark: 1024 * 1024 })) await out.write(chunk as Buffer);
  } catch (e) {
    await out.cancel();
    throw e;
  }
  return (await out.close()).length;
}

export function register(fs: Command, ctx: CliContext): void {
  fs.command('copyFromLocal').alias('put').description('copy a local file or directory into Alluxio')
    .argument('<src>').argument('<dst>')
    .option('--writeType <type>', 'MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH (default alluxio.user.file.writetype.default)')
    .action(async (src: string, dst: string, o: { writeType?: string }) => withFs(ctx, [dst], async (c, [d]) => {
      const st = await fsp.stat(src).catch(() => { throw new UsageError(`Local path ${src} does not exist`); });
      const wt = o.writeType?.toUpperCase() as WriteType | undefined;
      let target = d!;
      if (await c.exists(target) && (await c.getStatus(target)).folder) target = path.posix.join(target, path.basename(src));
      if (st.isDirectory()) {
        const walk = async (l: string, a: string): Promise<void> => {
          await c.createDirectory(a, { recursive: true, allowExists: true, writeType: wt });
          for (const e of await fsp.readdir(l, { withFileTypes: true })) {
            if (e.isDirectory()) await walk(path.join(l, e.name), path.posix.join(a, e.name));
            else if (e.isFile()) await copyFile(c, path.join(l, e.name), path.posix.join(a, e.name), wt);
          }
        };
        await walk(src, target);
      } else {
        await copyFile(c, src, target, wt);
      }
      ctx.out(`Copied file://${path.resolve(src)} to ${target}`);
    }));
}

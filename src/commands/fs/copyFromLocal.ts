import fsp from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { UsageError, LocalFileError, localFileError, isSystemError } from '../../errors.js';
import type { FileSystem } from '../../client/fileSystem.js';
import { WRITE_TYPES, type WriteType } from '../../client/types.js';
import { withProgress, type Progress } from '../progress.js';

/** Bytes per read of the local file (and per write to the client). */
const CHUNK = 8 * 1024 * 1024;

/**
 * Open the local file first, so an unreadable one fails before anything exists in Alluxio. Two
 * buffers, reused for the whole copy: the next chunk is read into one while the client writes the
 * other (FileOutStream.write leaves a buffer free for reuse once it resolves: it copies what it
 * keeps, or has written it to the local block file or handed it to the stream, test/client/bufferReuse.test.ts).
 */
async function copyFile(c: FileSystem, local: string, dst: string, writeType: WriteType | undefined, progress: Progress): Promise<number> {
  let fh: fsp.FileHandle;
  try { fh = await fsp.open(local, 'r'); } catch (e) { throw localFileError(e, local, 'read local file'); }
  try {
    const out = await c.createFile(dst, { writeType });
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    const readChunk = async (buf: Buffer): Promise<Buffer | undefined> => {
      let n: number;
      try { ({ bytesRead: n } = await fh.read(buf, 0, CHUNK, null)); } catch (e) { throw localFileError(e, local, 'read local file'); }
      return n === 0 ? undefined : buf.subarray(0, n);
    };
    let next = readChunk(buffers[0]!);
    try {
      for (let i = 1; ; i ^= 1) {
        const buf = await next;
        if (!buf) break;
        next = readChunk(buffers[i]!); // the other buffer: free since the write before resolved
        next.catch(() => {}); // awaited on the next turn; a failed write must not leave it unhandled
        await out.write(buf);
        progress.add(buf.length);
      }
    } catch (e) {
      await next.catch(() => {}); // no read in flight when the handle closes
      await out.cancel();
      throw e;
    }
    return (await out.close()).length;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** A local directory tree, walked (and checked readable) before anything is created in Alluxio. */
async function walkLocal(root: string, dst: string): Promise<{ dirs: string[]; files: { local: string; dst: string; size: number }[] }> {
  const dirs: string[] = [];
  const files: { local: string; dst: string; size: number }[] = [];
  const walk = async (l: string, a: string): Promise<void> => {
    dirs.push(a);
    let entries;
    try { entries = await fsp.readdir(l, { withFileTypes: true }); } catch (e) { throw localFileError(e, l, 'list local directory'); }
    for (const e of entries) {
      const lp = path.join(l, e.name), ap = path.posix.join(a, e.name);
      if (e.isDirectory()) await walk(lp, ap);
      else if (e.isFile()) {
        let size: number;
        try {
          await fsp.access(lp, fsConstants.R_OK);
          size = (await fsp.stat(lp)).size;
        } catch (err) { throw localFileError(err, lp, 'read local file'); }
        files.push({ local: lp, dst: ap, size });
      }
    }
  };
  await walk(root, dst);
  return { dirs, files };
}

function parseWriteType(v: string | undefined): WriteType | undefined {
  if (v === undefined) return undefined;
  const wt = v.toUpperCase() as WriteType;
  if (!WRITE_TYPES.includes(wt)) throw new UsageError(`--writeType ${v} is invalid; use one of ${WRITE_TYPES.join(', ')}`);
  return wt;
}

export function register(fs: Command, ctx: CliContext): void {
  fs.command('copyFromLocal').alias('put').description('copy a local file or directory into Alluxio')
    .argument('<src>').argument('<dst>')
    .option('--writeType <type>', `${WRITE_TYPES.join(', ')} (default alluxio.user.file.writetype.default)`)
    .action(async (src: string, dst: string, o: { writeType?: string }) => {
      const wt = parseWriteType(o.writeType);
      if (src === '') throw new UsageError('the local source path is empty', { hint: 'name a file or directory, e.g. ./data.csv' });
      const local = path.resolve(src);
      const st = await fsp.stat(local).catch((e: unknown) => {
        if (isSystemError(e) && e.code === 'ENOENT') throw new LocalFileError(local, 'ENOENT', `Local path ${local} does not exist`);
        throw localFileError(e, local, 'read local path');
      });
      await withFs(ctx, [dst], async (c, [d]) => {
        let target = d!;
        if (await c.exists(target) && (await c.getStatus(target)).folder) target = path.posix.join(target, path.basename(local));
        if (st.isDirectory()) {
          const tree = await walkLocal(local, target);
          for (const a of tree.dirs) await c.createDirectory(a, { recursive: true, allowExists: true, writeType: wt });
          await withProgress(tree.files.reduce((n, f) => n + f.size, 0), async (p) => {
            for (const f of tree.files) await copyFile(c, f.local, f.dst, wt, p);
          });
        } else {
          await withProgress(st.size, (p) => copyFile(c, local, target, wt, p));
        }
        ctx.out(`Copied file://${local} to ${target}`);
      });
    });
}

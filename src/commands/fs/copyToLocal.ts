/**
 * `alluxio fs copyToLocal <src> <localDst>`: a file or a directory tree from Alluxio to the local
 * disk. Unlike Alluxio 2.x (which renames over whatever is there), an existing local file is
 * never replaced unless -f is given (Hadoop's `-copyToLocal -f`). Every check is made before
 * the first byte is written, so a refused copy changes nothing; each file is written to a
 * temporary name next to it and appears under its real name only when complete.
 */
import fsp from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import type { FileSystem, FileInfo } from '../../client/fileSystem.js';
import { LocalFileError, FailedPreconditionError, UsageError, localFileError, isSystemError } from '../../errors.js';
import { FdSink, BATCH_BYTES } from './output.js';
import { BufferPool } from '../../bufferPool.js';
import { LOCAL_READ_BUFFER } from '../../client/shortCircuit.js';
import { withProgress, type Progress } from '../progress.js';

type Kind = 'dir' | 'file' | 'other' | undefined;

/** What is at a local path (following symbolic links); undefined when nothing is. */
async function kindOf(p: string): Promise<Kind> {
  try {
    const st = await fsp.stat(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch (e) {
    // ENOTDIR: a parent is a file, so nothing is here (checkParent names that parent).
    if (isSystemError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return undefined;
    throw localFileError(e, p, 'look up local path');
  }
}

/** Files can be created in this existing local directory (for the user running the command). */
async function checkWritable(dir: string): Promise<void> {
  try {
    await fsp.access(dir, fsConstants.W_OK | fsConstants.X_OK);
  } catch (e) {
    throw localFileError(e, dir, 'write into local directory');
  }
}

/** The directory a new local file or directory goes into must exist and be writable. */
async function checkParent(target: string): Promise<void> {
  const parent = path.dirname(target);
  const kind = await kindOf(parent);
  if (kind === undefined) {
    throw new LocalFileError(parent, 'ENOENT', `Local directory ${parent} does not exist`, { hint: `create it first: mkdir -p ${parent}` });
  }
  if (kind !== 'dir') {
    throw new LocalFileError(parent, 'ENOTDIR', `Local path ${parent} is not a directory`, { hint: 'name a path under a directory' });
  }
  await checkWritable(parent);
}

const OVERWRITE_HINT = 'use copyToLocal -f to overwrite existing local files, or name another destination';

function existsError(paths: string[]): LocalFileError {
  const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? ` and ${paths.length - 5} more` : '');
  const message = paths.length === 1 ? `Local file ${paths[0]} already exists` : `${paths.length} local files already exist: ${shown}`;
  return new LocalFileError(paths[0]!, 'EEXIST', message, { hint: OVERWRITE_HINT });
}

function notADirectory(src: string, local: string): LocalFileError {
  return new LocalFileError(local, 'EEXIST', `Cannot copy directory ${src} to ${local}: a file with that name exists`, {
    hint: 'name a directory, or a path that does not exist yet',
  });
}

function isADirectory(src: string, local: string): LocalFileError {
  return new LocalFileError(local, 'EISDIR', `Cannot copy file ${src} to ${local}: it is a directory`, {
    hint: 'name the file inside it, or remove the directory first',
  });
}

/** One local directory to create or file to write, the Alluxio path it comes from and its length. */
interface Copy { src: string; local: string; length: number }

function notRegular(local: string): LocalFileError {
  return new LocalFileError(local, 'EEXIST', `Local path ${local} is not a regular file (a device, pipe or socket)`, {
    hint: 'use alluxio fs cat to send a file to a pipe or device',
  });
}

/**
 * Every local directory to create and file to write, checked against what is on the disk now:
 * conflicts are reported before anything is written (all existing files at once).
 */
async function plan(c: FileSystem, info: FileInfo, src: string, target: string, force: boolean): Promise<{ dirs: Copy[]; files: Copy[] }> {
  const targetKind = await kindOf(target);
  if (!info.folder) {
    if (targetKind === 'dir') throw isADirectory(src, target);
    if (targetKind === 'other') throw notRegular(target);
    if (targetKind === 'file' && !force) throw existsError([target]);
    await checkParent(target);
    return { dirs: [], files: [{ src, local: target, length: info.length }] };
  }
  if (targetKind !== undefined && targetKind !== 'dir') throw notADirectory(src, target);
  if (targetKind === undefined) await checkParent(target);
  const dirs: Copy[] = [{ src, local: target, length: 0 }];
  const files: Copy[] = [];
  for (const i of await c.listStatus(src, true)) {
    const rel = path.posix.relative(src, i.path);
    // The listing comes from the network: it may not point outside the directory copied.
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new FailedPreconditionError(`the master listed "${i.path}" under "${src}"; nothing was copied`);
    }
    (i.folder ? dirs : files).push({ src: i.path, local: path.join(target, ...rel.split('/')), length: i.length });
  }
  if (targetKind === 'dir') {
    for (const d of dirs) {
      const k = await kindOf(d.local);
      if (k === 'dir') await checkWritable(d.local);
      else if (k !== undefined) throw notADirectory(d.src, d.local);
    }
    const exists: string[] = [];
    for (const f of files) {
      const k = await kindOf(f.local);
      if (k === 'dir') throw isADirectory(f.src, f.local);
      if (k === 'other') throw notRegular(f.local);
      if (k === 'file') exists.push(f.local);
    }
    if (exists.length && !force) throw existsError(exists);
  }
  return { dirs, files };
}

/**
 * Write one file to a temporary name in its directory, then give it its name: with -f by rename
 * (replacing), else by link, which fails if a file appeared meanwhile (never clobbers).
 */
async function copyOut(c: FileSystem, src: string, local: string, force: boolean, progress: Progress, buffers: BufferPool): Promise<void> {
  // Short and fixed-length, so that a name close to the file system's limit still fits.
  const tmp = path.join(path.dirname(local), `.alluxio-copy-${randomBytes(6).toString('hex')}.tmp`);
  let fh: fsp.FileHandle | undefined;
  let out: FdSink | undefined;
  try {
    fh = await fsp.open(tmp, 'wx');
    out = new FdSink(fh.fd, BATCH_BYTES, (b) => buffers.give(b));
    for await (const chunk of c.read(src, undefined, { buffers })) {
      await out.write(chunk);
      progress.add(chunk.length);
    }
    await out.end();
    await fh.close();
    fh = undefined;
    if (force) {
      await fsp.rename(tmp, local);
    } else {
      try {
        await fsp.link(tmp, local);
      } catch (e) {
        if (isSystemError(e) && e.code === 'EEXIST') throw existsError([local]);
        throw e;
      }
    }
  } catch (e) {
    await out?.settled(); // no write in flight on the descriptor being closed
    await fh?.close().catch(() => {});
    throw localFileError(e, local, 'write local file');
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => {});
  }
}

export function register(fs: Command, ctx: CliContext): void {
  fs.command('copyToLocal').alias('get').description('copy a file or directory from Alluxio to the local file system (never replaces a local file without -f)')
    .argument('<src>').argument('<localDst>')
    .option('-f, --overwrite', 'replace local files that already exist')
    .addHelpText('after', `
When <localDst> is an existing directory, <src> is copied into it under its own name.

Examples:
  alluxio fs copyToLocal /data/part-0 ./part-0
  alluxio fs copyToLocal -f /data ./backup/`)
    .action(async (src: string, dst: string, o: { overwrite?: boolean }) => withFs(ctx, [src], async (c, [s]) => {
      if (dst === '') throw new UsageError('the local destination path is empty', { hint: 'name a file or directory, e.g. . for the current directory' });
      const force = !!o.overwrite;
      const info = await c.getStatus(s!);
      const dstAbs = path.resolve(dst);
      const target = (await kindOf(dstAbs)) === 'dir' ? path.join(dstAbs, info.name || 'root') : dstAbs;
      const { dirs, files } = await plan(c, info, s!, target, force);
      for (const d of dirs) {
        try { await fsp.mkdir(d.local, { recursive: true }); } catch (e) { throw localFileError(e, d.local, 'create local directory'); }
      }
      await withProgress(files.reduce((n, f) => n + f.length, 0), async (p) => {
        const buffers = new BufferPool(LOCAL_READ_BUFFER); // local blocks are read into buffers the output gives back
        for (const f of files) await copyOut(c, f.src, f.local, force, p, buffers);
      });
      ctx.out(`Copied ${s} to file://${target}`);
    }));
}

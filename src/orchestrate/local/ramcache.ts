/**
 * The ramdisk cache of `alluxio-stop.sh worker -c <dir>` and `alluxio-start.sh worker -c <dir>`
 * (Alluxio's `-c cache`): the contents of each MEM tier directory are saved to
 * `<dir>/<ramdisk path>` (e.g. /backup/c/mnt/ramdisk) before the ramdisk is unmounted or the host
 * reboots, and put back before the worker starts, so the worker finds its blocks again.
 *
 * Differences from Alluxio's scripts, for safety:
 *   - a cache that overlaps a ramdisk is refused before anything changes: `-c /` (the cache of
 *     /mnt/ramdisk would be /mnt/ramdisk itself: emptying it deletes the data), a cache inside a
 *     ramdisk (lost on unmount; copying a directory into itself), a target that is, holds or lies
 *     in another ramdisk;
 *   - free space is checked before copying (the cache's file system for a save, the ramdisk's
 *     for a restore);
 *   - a save copies into a sibling directory and swaps it in, so a failed save leaves the previous
 *     cache as it was;
 *   - every ramdisk's cache is checked before any ramdisk is changed.
 * Exit codes as Alluxio: a non-directory in the way of a save is 1, everything else 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LocalFileError } from '../../errors.js';
import { isSameOrAncestor, resolveReal } from '../../fsutil.js';
import { isRamMounted } from './mount.js';

/** A ramdisk cache problem; `exitCode` as Alluxio's scripts (1 or 2). */
export class RamCacheError extends LocalFileError {
  override readonly exitCode: number;
  constructor(p: string, reason: string, message: string, exitCode: 1 | 2, hint?: string) {
    super(p, reason, message, hint === undefined ? {} : { hint });
    this.exitCode = exitCode;
  }
}

/** Where the cache of ramdisk `ram` lives under cache directory `cacheDir`. */
export function cachePathOf(cacheDir: string, ram: string): string {
  return path.join(path.resolve(cacheDir), path.resolve(ram));
}

const OVERLAP_HINT = 'give -c a directory on a disk, outside every ramdisk (alluxio.worker.tieredstore.level0.dirs.path), e.g. -c /var/lib/alluxio/ramcache';

/**
 * Refuse a cache directory that overlaps a ramdisk: `/`, a ramdisk or a directory inside one, or
 * a cache target that is, holds or lies inside a ramdisk. Symlinks are resolved first.
 */
export function checkCacheDir(cacheDir: string, rams: readonly string[]): void {
  const cache = resolveReal(cacheDir);
  const realRams = rams.map((r) => resolveReal(r));
  if (cache === path.parse(cache).root) {
    throw new RamCacheError(cacheDir, 'ROOT', `the ramdisk cache cannot be ${cache}: the cache of a ramdisk would be the ramdisk itself`, 2, OVERLAP_HINT);
  }
  for (const r of realRams) {
    if (isSameOrAncestor(r, cache)) {
      throw new RamCacheError(cacheDir, 'INSIDE_RAMDISK', `the ramdisk cache ${cacheDir} is ${cache === r ? 'the ramdisk' : 'inside the ramdisk'} ${r}: it would be lost with the ramdisk`, 2, OVERLAP_HINT);
    }
  }
  for (const r of realRams) {
    const target = resolveReal(cachePathOf(cache, r));
    const hit = realRams.find((o) => isSameOrAncestor(o, target) || isSameOrAncestor(target, o));
    if (hit !== undefined) {
      throw new RamCacheError(cacheDir, 'OVERLAPS_RAMDISK', `the cache of ramdisk ${r} would be ${target}, which overlaps the ramdisk ${hit}`, 2, OVERLAP_HINT);
    }
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function isDir(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

/** Bytes and files under `dir` (what a copy of it needs). */
export function treeSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else { files++; if (e.isFile()) bytes += fs.lstatSync(p).size; }
    }
  };
  walk(dir);
  return { bytes, files };
}

/** Free bytes for an unprivileged writer on the file system holding `p` (its deepest existing ancestor). */
function freeBytes(p: string): number | undefined {
  let cur = path.resolve(p);
  while (!fs.existsSync(cur) && path.dirname(cur) !== cur) cur = path.dirname(cur);
  try {
    const s = fs.statfsSync(cur);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Delete everything inside `dir` (dotfiles too) and keep `dir` itself (its mode and mount). */
function emptyDir(dir: string): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true });
}

function reason(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x.code ? `${x.code}: ${x.message}` : String((e as Error).message ?? e);
}

const size = (n: number) => `${n} bytes`;
const NO_MEM = 'alluxio.worker.tieredstore.level0.dirs.path with medium type MEM';

export interface CacheIo { out(line: string): void }

/** What a save will copy: checked by `planRamCacheSave`, done by `saveRamCache`. */
export interface RamCacheSave {
  readonly cache: string;
  readonly jobs: readonly { ram: string; target: string }[];
}

/**
 * Check a save to `<dir>/<ramdisk path>` without changing anything (the stop runs it before it
 * stops the worker, so a refusal stops nothing): a non-directory at `<dir>` or on the way to a
 * target (exit 1, as Alluxio), an overlap with a ramdisk, a ramdisk path that is not a
 * directory, free space at the cache. A ramdisk path that does not exist is skipped with a message.
 */
export function planRamCacheSave(cacheDir: string, rams: readonly string[], io: CacheIo): RamCacheSave {
  const cache = path.resolve(cacheDir);
  const notDir = (p: string) => new RamCacheError(p, 'NOT_A_DIRECTORY', `Non-directory file already exists at the path ${p}; aborting`, 1,
    'move that file away or give -c another directory');
  if (statOrUndefined(cache) && !isDir(cache)) throw notDir(cache);
  checkCacheDir(cache, rams);
  if (!rams.length) io.out(`No MEM tier directory is configured (${NO_MEM}); nothing to save`);
  if (isRamMounted(cache)) io.out(`WARNING: the ramdisk cache ${cache} is on a tmpfs/ramfs itself: it survives an unmount of the ramdisk, not a reboot`);
  const jobs: { ram: string; target: string }[] = [];
  let need = 0;
  for (const ram of rams) {
    if (!statOrUndefined(ram)) { io.out(`Ramdisk ${ram} does not exist; nothing to save from it`); continue; }
    if (!isDir(ram)) throw new RamCacheError(ram, 'NOT_A_DIRECTORY', `the ramdisk path ${ram} is not a directory; nothing was saved`, 2);
    const target = cachePathOf(cache, ram);
    // Every existing component under the cache dir, down to the target, must be a directory.
    for (let p = target; p !== cache && isSameOrAncestor(cache, p); p = path.dirname(p)) {
      if (statOrUndefined(p) && !isDir(p)) throw notDir(p);
    }
    need += treeSize(ram).bytes;
    jobs.push({ ram, target });
  }
  const free = freeBytes(cache);
  if (free !== undefined && need > free) {
    throw new RamCacheError(cache, 'ENOSPC', `not enough space to save the ramdisk: it holds ${size(need)}, ${cache} has ${size(free)} free; nothing was saved`, 2,
      'free space there or give -c a directory on a larger disk');
  }
  return { cache, jobs };
}

/**
 * `alluxio-stop.sh worker -c <dir>`: copy each ramdisk of a checked plan to its target, replacing
 * what the target held: copied into a sibling directory first, then swapped in, so a failed copy
 * leaves the previous cache as it was.
 */
export function saveRamCache(plan: RamCacheSave, io: CacheIo): void {
  for (const j of plan.jobs) {
    io.out(`Saving ramdisk ${j.ram} to ${j.target}`);
    const fresh = `${j.target}.saving-${process.pid}`;
    const old = `${j.target}.old-${process.pid}`;
    let copied: { bytes: number; files: number };
    try {
      fs.mkdirSync(path.dirname(j.target), { recursive: true });
      fs.rmSync(fresh, { recursive: true, force: true });
      fs.mkdirSync(fresh);
      copyTree(j.ram, fresh);
      copied = treeSize(fresh);
      const had = statOrUndefined(j.target) !== undefined;
      if (had) fs.renameSync(j.target, old);
      fs.renameSync(fresh, j.target);
      if (had) fs.rmSync(old, { recursive: true, force: true });
    } catch (e) {
      fs.rmSync(fresh, { recursive: true, force: true });
      if (!statOrUndefined(j.target) && statOrUndefined(old)) fs.renameSync(old, j.target); // put the previous cache back
      throw new RamCacheError(j.target, (e as NodeJS.ErrnoException).code ?? 'EIO', `Failed to save ramdisk ${j.ram} to ${j.target}: ${reason(e)}`, 2,
        'the previous cache (if any) is unchanged; fix the cause and save again (alluxio-stop.sh worker -c <dir>)');
    }
    io.out(`Saved ${copied.files} file(s), ${size(copied.bytes)}, from ${j.ram} to ${j.target}`);
  }
}

/**
 * Check a restore from `<dir>` without changing anything (start runs it before it starts any
 * process): `<dir>` exists and is a directory (exit 2 otherwise, as Alluxio), and unless it is
 * empty, it overlaps no ramdisk and holds a directory `<dir>/<ramdisk path>` for every ramdisk.
 * Returns false for an empty `<dir>` (nothing to restore).
 */
export function checkRamCacheRestore(cacheDir: string, rams: readonly string[]): boolean {
  const cache = path.resolve(cacheDir);
  if (!statOrUndefined(cache)) throw new RamCacheError(cache, 'ENOENT', `Cache path ${cache} does not exist; aborting`, 2, 'give -c the directory that alluxio-stop.sh worker -c saved to');
  if (!isDir(cache)) throw new RamCacheError(cache, 'NOT_A_DIRECTORY', `Cache path ${cache} is not a directory; aborting`, 2);
  if (fs.readdirSync(cache).length === 0) return false;
  checkCacheDir(cache, rams);
  for (const ram of rams) {
    const source = cachePathOf(cache, ram);
    if (!isDir(source)) {
      throw new RamCacheError(source, 'ENOENT', `Cache path ${source} (the cache of ramdisk ${ram}) does not exist or is not a directory; aborting`, 2,
        `the cache of a ramdisk is <cache dir>/<ramdisk path>; was ${cache} saved with the same alluxio.worker.tieredstore.level0.dirs.path?`);
    }
  }
  return true;
}

/**
 * `alluxio-start.sh worker -c <dir>`: before the worker starts (after the ramdisk is mounted),
 * replace each ramdisk's contents with `<dir>/<ramdisk path>`. A missing `<dir>` is an error
 * (exit 2); an empty one is skipped with a message. Everything is checked before any ramdisk is
 * emptied: `checkRamCacheRestore`, each ramdisk is a directory, each cache fits in its space.
 */
export function restoreRamCache(cacheDir: string, rams: readonly string[], io: CacheIo): void {
  const cache = path.resolve(cacheDir);
  if (!rams.length) { io.out(`No MEM tier directory is configured (${NO_MEM}); nothing to restore`); return; }
  if (!checkRamCacheRestore(cache, rams)) {
    io.out(`Cache path ${cache} is an empty directory; skipping cache population`);
    return;
  }
  const jobs = rams.map((ram) => {
    if (!isDir(ram)) {
      throw new RamCacheError(ram, 'ENOENT', `the ramdisk ${ram} is not a directory (is it mounted?); nothing was restored`, 2,
        'mount it first (alluxio-mount.sh Mount, or a MOPT other than NoMount)');
    }
    const source = cachePathOf(cache, ram);
    const src = treeSize(source);
    const free = freeBytes(ram);
    const room = free === undefined ? undefined : free + treeSize(ram).bytes;
    if (room !== undefined && src.bytes > room) {
      throw new RamCacheError(ram, 'ENOSPC', `the cache ${source} holds ${size(src.bytes)}, more than the ramdisk ${ram} can take (${size(room)}); nothing was restored`, 2,
        'raise alluxio.worker.ramdisk.size (and remount), or restore on a host with a larger ramdisk');
    }
    return { ram, source, ...src };
  });
  for (const j of jobs) {
    io.out(`Populating ramdisk ${j.ram} with ${j.source}`);
    try {
      emptyDir(j.ram);
      copyTree(j.source, j.ram);
    } catch (e) {
      throw new RamCacheError(j.ram, (e as NodeJS.ErrnoException).code ?? 'EIO', `Failed to populate ramdisk ${j.ram} with ${j.source}: ${reason(e)}`, 2,
        'the cache is unchanged; fix the cause and start the worker again with -c');
    }
    io.out(`Restored ${j.files} file(s), ${size(j.bytes)}, into ${j.ram}`);
  }
}

/**
 * The ramdisk cache (alluxio-stop.sh worker -c / alluxio-start.sh worker -c) on real directories,
 * and on a real tmpfs when root: what is saved and restored, and every refusal leaving everything
 * as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  cachePathOf, checkRamCacheRestore, planRamCacheSave, RamCacheError, restoreRamCache, saveRamCache,
} from '../../src/orchestrate/local/ramcache.js';
import { needsRoot } from '../harness/root.js';
import { Tmpfs } from '../harness/tmpfs.js';
import { tmpDir } from './helpers.js';

/** Every file under `dir` as `relative path -> content` (directories as `dir/`). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) { out[`${rel}/`] = ''; walk(p); } else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

function save(cache: string, rams: string[]): string[] {
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l) };
  saveRamCache(planRamCacheSave(cache, rams, io), io);
  return out;
}

function refused(fn: () => unknown, message: string | RegExp, exitCode: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RamCacheError, String(e));
    if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
    assert.equal(e.exitCode, exitCode);
    return true;
  });
}

const BLOCKS = { 'alluxioworker/1': 'block one', 'alluxioworker/sub/2': 'block two', '.hidden': 'dot' };

test('save: <cache>/<ramdisk path> holds the ramdisk (dotfiles too) and replaces what was there', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  const cache = path.join(d, 'cache');
  write(ram, BLOCKS);
  const target = cachePathOf(cache, ram);
  assert.equal(target, path.join(cache, ram));
  write(target, { stale: 'from an older save' });
  const out = save(cache, [ram]);
  assert.deepEqual(tree(target), tree(ram));
  assert.deepEqual(out, [`Saving ramdisk ${ram} to ${target}`, `Saved 3 file(s), 21 bytes, from ${ram} to ${target}`]);
  assert.deepEqual(fs.readdirSync(path.dirname(target)), ['ramdisk'], 'no .saving/.old directory left');
  assert.deepEqual(tree(ram), { '.hidden': 'dot', 'alluxioworker/': '', 'alluxioworker/1': 'block one', 'alluxioworker/sub/': '', 'alluxioworker/sub/2': 'block two' });
});

test('save: a file in the way is refused with exit 1 (Alluxio\'s message), nothing written', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  write(ram, BLOCKS);
  const file = path.join(d, 'file');
  fs.writeFileSync(file, 'x');
  refused(() => save(file, [ram]), `Non-directory file already exists at the path ${file}; aborting`, 1);
  // a file on the way down to <cache>/<ramdisk path>
  const cache = path.join(d, 'cache');
  write(cache, { [d.split(path.sep)[1]!]: 'a file where a directory must go' });
  const blocker = path.join(cache, d.split(path.sep)[1]!);
  refused(() => save(cache, [ram]), `Non-directory file already exists at the path ${blocker}; aborting`, 1);
  assert.equal(fs.readFileSync(blocker, 'utf8'), 'a file where a directory must go');
});

test('save and restore refuse a cache that overlaps a ramdisk, before anything changes', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  write(ram, BLOCKS);
  const before = tree(ram);
  const hint = /outside every ramdisk/;
  for (const run of [(c: string, r: string[]) => save(c, r), (c: string, r: string[]) => restoreRamCache(c, r, { out: () => {} })]) {
    refused(() => run('/', [ram]), 'the ramdisk cache cannot be /: the cache of a ramdisk would be the ramdisk itself', 2);
    refused(() => run(ram, [ram]), `the ramdisk cache ${ram} is the ramdisk ${ram}: it would be lost with the ramdisk`, 2);
    refused(() => run(path.join(ram, 'alluxioworker'), [ram]), `the ramdisk cache ${path.join(ram, 'alluxioworker')} is inside the ramdisk ${ram}: it would be lost with the ramdisk`, 2);
    // through a symlink
    const link = path.join(d, 'link');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(ram, link);
    refused(() => run(path.join(link, 'alluxioworker'), [ram]), /is inside the ramdisk/, 2);
    // the cache of one ramdisk would be another ramdisk
    const cache = path.join(d, 'c');
    const other = path.join(cache, ram);
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, 'keep'), 'other ramdisk');
    refused(() => run(cache, [ram, other]), `the cache of ramdisk ${ram} would be ${other}, which overlaps the ramdisk ${other}`, 2);
    assert.equal(fs.readFileSync(path.join(other, 'keep'), 'utf8'), 'other ramdisk');
    try { run('/', [ram]); } catch (e) { assert.match((e as RamCacheError).hint!, hint); }
  }
  assert.deepEqual(tree(ram), before);
});

test('save: a failed copy leaves the previous cache as it was', async (t) => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  const cache = path.join(d, 'cache');
  write(ram, BLOCKS);
  save(cache, [ram]);
  const saved = tree(cachePathOf(cache, ram));
  // a socket cannot be copied: the copy fails half way
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(path.join(ram, 'zz.sock'), r));
  t.after(() => server.close());
  refused(() => save(cache, [ram]), new RegExp(`^Failed to save ramdisk ${ram} to ${cachePathOf(cache, ram)}: `), 2);
  assert.deepEqual(tree(cachePathOf(cache, ram)), saved);
  assert.deepEqual(fs.readdirSync(path.dirname(cachePathOf(cache, ram))), ['ramdisk']);
});

test('save: a ramdisk path that does not exist is skipped; none configured says so', () => {
  const d = tmpDir();
  const out: string[] = [];
  const plan = planRamCacheSave(path.join(d, 'cache'), [path.join(d, 'missing')], { out: (l) => out.push(l) });
  assert.deepEqual(plan.jobs, []);
  assert.deepEqual(out, [`Ramdisk ${path.join(d, 'missing')} does not exist; nothing to save from it`]);
  out.length = 0;
  planRamCacheSave(path.join(d, 'cache'), [], { out: (l) => out.push(l) });
  assert.match(out[0]!, /^No MEM tier directory is configured/);
});

test('restore: the ramdisk gets exactly the cache (its own files and dotfiles go)', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  const cache = path.join(d, 'cache');
  write(ram, BLOCKS);
  save(cache, [ram]);
  fs.rmSync(path.join(ram, 'alluxioworker'), { recursive: true });
  write(ram, { 'new-since-save': 'x', '.other-dot': 'y' });
  const out: string[] = [];
  restoreRamCache(cache, [ram], { out: (l) => out.push(l) });
  assert.deepEqual(tree(ram), tree(cachePathOf(cache, ram)));
  assert.equal(fs.readFileSync(path.join(ram, 'alluxioworker/sub/2'), 'utf8'), 'block two');
  assert.deepEqual(out, [`Populating ramdisk ${ram} with ${cachePathOf(cache, ram)}`, `Restored 3 file(s), 21 bytes, into ${ram}`]);
});

test('restore: missing cache (exit 2), not a directory, empty (skipped), no cache for a ramdisk', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  write(ram, BLOCKS);
  const before = tree(ram);
  const missing = path.join(d, 'nope');
  refused(() => restoreRamCache(missing, [ram], { out: () => {} }), `Cache path ${missing} does not exist; aborting`, 2);
  const file = path.join(d, 'file');
  fs.writeFileSync(file, '');
  refused(() => checkRamCacheRestore(file, [ram]), `Cache path ${file} is not a directory; aborting`, 2);
  const empty = path.join(d, 'empty');
  fs.mkdirSync(empty);
  const out: string[] = [];
  restoreRamCache(empty, [ram], { out: (l) => out.push(l) });
  assert.deepEqual(out, [`Cache path ${empty} is an empty directory; skipping cache population`]);
  const other = path.join(d, 'other');
  write(other, { 'some/thing': 'saved from another layout' });
  refused(() => restoreRamCache(other, [ram], { out: () => {} }),
    `Cache path ${cachePathOf(other, ram)} (the cache of ramdisk ${ram}) does not exist or is not a directory; aborting`, 2);
  assert.deepEqual(tree(ram), before);
});

test('restore: a ramdisk path that is not a directory (not mounted) is refused', () => {
  const d = tmpDir();
  const ram = path.join(d, 'ramdisk');
  const cache = path.join(d, 'cache');
  write(ram, BLOCKS);
  save(cache, [ram]);
  fs.rmSync(ram, { recursive: true });
  refused(() => restoreRamCache(cache, [ram], { out: () => {} }), `the ramdisk ${ram} is not a directory (is it mounted?); nothing was restored`, 2);
});

test('save and restore on a real tmpfs: the contents survive an unmount (root)', { skip: needsRoot('mounts a tmpfs') }, (t) => {
  const d = tmpDir();
  const ramPath = path.join(d, 'ramdisk');
  let fsys = Tmpfs.mount('2m', ramPath);
  let other: Tmpfs | undefined;
  t.after(() => { fsys.unmount(); other?.unmount(); fs.rmSync(d, { recursive: true, force: true }); });
  write(ramPath, BLOCKS);
  const before = tree(ramPath);
  const cache = path.join(d, 'cache');
  save(cache, [ramPath]);
  fsys.unmount();
  fsys = Tmpfs.mount('2m', ramPath);
  assert.deepEqual(tree(ramPath), {});
  restoreRamCache(cache, [ramPath], { out: () => {} });
  assert.deepEqual(tree(ramPath), before);
  // a cache on a tmpfs itself: saved, with a warning
  const onTmpfs = path.join(ramPath, '..', 'cache-on-tmpfs');
  other = Tmpfs.mount('2m', onTmpfs);
  const warned: string[] = [];
  const io = { out: (l: string) => warned.push(l) };
  saveRamCache(planRamCacheSave(onTmpfs, [ramPath], io), io);
  assert.equal(warned[0], `WARNING: the ramdisk cache ${path.resolve(onTmpfs)} is on a tmpfs/ramfs itself: it survives an unmount of the ramdisk, not a reboot`);
    // a cache larger than the ramdisk can hold is refused before the ramdisk is emptied
  write(cachePathOf(cache, ramPath), { big: 'x'.repeat(3 * 1024 * 1024) });
  refused(() => restoreRamCache(cache, [ramPath], { out: () => {} }), /more than the ramdisk .* can take/, 2);
  assert.deepEqual(tree(ramPath), before);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, HostError, UsageError } from '../../src/errors.js';
import {
  execCommand, isRamMounted, memTierPaths, memTotalBytes, mountFor, mountRamdisk, parseMountMode, parseMounts,
  SUDO_HINT, unmountRamdisk, type Exec, type ExecResult,
} from '../../src/orchestrate/local/mount.js';
import { fakeConf, tmpDir } from './helpers.js';
import { assertRoot, needsRoot } from '../harness/root.js';

const MOUNTS = `proc /proc proc rw,relatime 0 0
/dev/vda / ext4 rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,relatime,size=24684092k 0 0
ramfs /mnt/ramfs ramfs rw,relatime 0 0
tmpfs /mnt/ramdisk tmpfs rw,relatime,size=1048576k 0 0
/dev/vdb /mnt/ramdisk/disk ext4 rw 0 0
tmpfs /mnt/with\\040space tmpfs rw 0 0
/dev/vdc /data ext4 rw 0 0
tmpfs /data ext4 rw 0 0
`;
const readMounts = () => MOUNTS;

test('parseMountMode: the three modes, case-sensitive, with a clear error', () => {
  assert.equal(parseMountMode('Mount'), 'Mount');
  assert.equal(parseMountMode('SudoMount'), 'SudoMount');
  assert.equal(parseMountMode('NoMount'), 'NoMount');
  for (const bad of ['Foo', 'mount', 'nomount', 'SUDOMOUNT', '', '-f']) {
    assert.throws(() => parseMountMode(bad), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, `Invalid mount mode: ${bad}`);
      assert.match(e.hint!, /Mount, SudoMount, NoMount/);
      return true;
    });
  }
});

test('parseMounts: fields and octal escapes', () => {
  const m = parseMounts(MOUNTS);
  assert.equal(m.length, 9);
  assert.deepEqual(m[2], { device: 'tmpfs', mountPoint: '/dev/shm', fsType: 'tmpfs', options: 'rw,relatime,size=24684092k' });
  assert.equal(m[6]!.mountPoint, '/mnt/with space');
  assert.deepEqual(parseMounts('\n\n'), []);
});

test('isRamMounted: a mount point or a path under one; tmpfs and ramfs only', () => {
  assert.equal(isRamMounted('/dev/shm', readMounts), true);
  assert.equal(isRamMounted('/dev/shm/alluxio', readMounts), true);
  assert.equal(isRamMounted('/mnt/ramfs', readMounts), true);
  assert.equal(isRamMounted('/mnt/ramdisk', readMounts), true);
  assert.equal(isRamMounted('/mnt/ramdisk/', readMounts), true);
  assert.equal(isRamMounted('/mnt/ramdisk/x/y', readMounts), true);
  assert.equal(isRamMounted('/mnt/with space/x', readMounts), true);
  assert.equal(isRamMounted('/mnt', readMounts), false);
  assert.equal(isRamMounted('/mnt/ramdisk2', readMounts), false, 'a prefix of the name is not "under"');
  assert.equal(isRamMounted('/tmp/whatever', readMounts), false);
  // a disk mounted inside the ramdisk is not RAM
  assert.equal(isRamMounted('/mnt/ramdisk/disk/z', readMounts), false);
  // stacked mounts: the last one on the same point wins (fs type column "ext4" here)
  assert.equal(mountFor('/data/x', parseMounts(MOUNTS))!.device, 'tmpfs');
  assert.equal(isRamMounted('/data/x', readMounts), false);
});

test('isRamMounted: the real /proc/self/mounts is readable', () => {
  assert.equal(typeof isRamMounted('/'), 'boolean');
});

test('memTotalBytes parses /proc/meminfo', () => {
  assert.equal(memTotalBytes(() => 'MemTotal:       24684092 kB\nMemFree: 1 kB\n'), 24684092 * 1024);
  assert.equal(memTotalBytes(() => 'nothing'), undefined);
  assert.equal(memTotalBytes(() => { throw new Error('no /proc'); }), undefined);
});

function memConf(paths: string, extra: Record<string, string> = {}) {
  return fakeConf({
    'alluxio.worker.tieredstore.level0.alias': 'MEM',
    'alluxio.worker.tieredstore.level0.dirs.path': paths,
    'alluxio.worker.tieredstore.level0.dirs.mediumtype': 'MEM',
    'alluxio.worker.ramdisk.size': String(64 * 1024 * 1024),
    ...extra,
  });
}

test('memTierPaths: only level-0 paths whose medium type is MEM', () => {
  assert.deepEqual(memTierPaths(memConf('/a,/b')), ['/a', '/b']);
  assert.deepEqual(memTierPaths(memConf('/a,/b', { 'alluxio.worker.tieredstore.level0.dirs.mediumtype': 'MEM,SSD' })), ['/a']);
});

/** A fake exec that records argv and answers from a table (default: success). */
function recorder(answers: Record<string, Partial<ExecResult>> = {}) {
  const calls: string[][] = [];
  const exec: Exec = async (cmd, args) => {
    const argv = [cmd, ...args];
    calls.push(argv);
    const a = answers[argv.join(' ')] ?? {};
    return { code: a.code ?? 0, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
  };
  return { calls, exec };
}

const MEMINFO = () => 'MemTotal: 1048576 kB\n'; // 1 GiB

test('mountRamdisk Mount/SudoMount: level0 alias not MEM is refused', async () => {
  for (const mode of ['Mount', 'SudoMount'] as const) {
    const r = recorder();
    await assert.rejects(mountRamdisk(memConf('/mnt/x', { 'alluxio.worker.tieredstore.level0.alias': 'SSD' }), mode, () => {}, { exec: r.exec }),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith("Can't Mount/SudoMount when alluxio.worker.tieredstore.level0.alias is not MEM"));
    assert.deepEqual(r.calls, []);
  }
  // NoMount with a non-MEM level 0: nothing to do
  await mountRamdisk(memConf('/mnt/x', { 'alluxio.worker.tieredstore.level0.alias': 'SSD' }), 'NoMount', () => {}, { exec: recorder().exec });
});

test('mountRamdisk: an already mounted ramdisk is skipped, with no sudo call', async () => {
  const r = recorder();
  const out: string[] = [];
  await mountRamdisk(memConf('/mnt/ramdisk,/dev/shm/alluxio'), 'SudoMount', (l) => out.push(l), { exec: r.exec, readMounts });
  assert.deepEqual(out, [
    'Ramdisk /mnt/ramdisk already mounted. Skipping mounting procedure.',
    'Ramdisk /dev/shm/alluxio already mounted. Skipping mounting procedure.',
  ]);
  assert.deepEqual(r.calls, []);
});

test('mountRamdisk SudoMount: sudo -n true first, then mkdir, mount -t tmpfs with size, chmod', async () => {
  const r = recorder();
  const out: string[] = [];
  await mountRamdisk(memConf('/mnt/new'), 'SudoMount', (l) => out.push(l), { exec: r.exec, readMounts, readMeminfo: MEMINFO });
  const size = String(64 * 1024 * 1024);
  assert.deepEqual(r.calls, [
    ['sudo', '-n', 'true'],
    ['sudo', '-n', 'mkdir', '-p', '/mnt/new'],
    ['sudo', '-n', 'mount', '-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', '/mnt/new'],
    ['sudo', '-n', 'chmod', 'a+w', '/mnt/new'],
  ]);
  assert.deepEqual(out, [`Ramdisk /mnt/new not detected. Mounting tmpfs (size ${size} bytes)...`]);
});

test('mountRamdisk SudoMount: fails fast when sudo would prompt', async () => {
  const r = recorder({ 'sudo -n true': { code: 1, stderr: 'sudo: a password is required' } });
  await assert.rejects(mountRamdisk(memConf('/mnt/new'), 'SudoMount', () => {}, { exec: r.exec, readMounts, readMeminfo: MEMINFO }),
    (e: unknown) => {
      assert.ok(e instanceof HostError);
      assert.match(e.message, /sudo would prompt for a password on this host \('sudo -n true' exited with 1: sudo: a password is required\)/);
      assert.equal(e.hint, SUDO_HINT);
      return true;
    });
  assert.deepEqual(r.calls, [['sudo', '-n', 'true']]);
});

test('mountRamdisk Mount: as non-root, an error with a hint to use SudoMount', async () => {
  const r = recorder();
  await assert.rejects(mountRamdisk(memConf('/mnt/new'), 'Mount', () => {}, { exec: r.exec, readMounts, readMeminfo: MEMINFO, isRoot: () => false }),
    (e: unknown) => e instanceof HostError && /needs root/.test(e.message) && /SudoMount/.test(e.hint!));
  assert.deepEqual(r.calls, []);
});

test('mountRamdisk Mount as root: runs the commands without sudo; a failing step names command, code and stderr', async () => {
  const r = recorder({ 'mount -t tmpfs -o size=67108864 tmpfs /mnt/new': { code: 32, stderr: 'mount: permission denied\n' } });
  await assert.rejects(mountRamdisk(memConf('/mnt/new'), 'Mount', () => {}, { exec: r.exec, readMounts, readMeminfo: MEMINFO, isRoot: () => true }),
    (e: unknown) => {
      assert.ok(e instanceof HostError);
      assert.match(e.message, /'mount -t tmpfs -o size=67108864 tmpfs \/mnt\/new' failed with exit code 32: mount: permission denied$/);
      return true;
    });
  assert.deepEqual(r.calls, [['mkdir', '-p', '/mnt/new'], ['mount', '-t', 'tmpfs', '-o', 'size=67108864', 'tmpfs', '/mnt/new']]);
});

test('mountRamdisk: a ramdisk larger than MemTotal is refused naming the key and both sizes', async () => {
  const r = recorder();
  const conf = memConf('/mnt/new', { 'alluxio.worker.ramdisk.size': String(2 * 1024 * 1024 * 1024) });
  await assert.rejects(mountRamdisk(conf, 'Mount', () => {}, { exec: r.exec, readMounts, readMeminfo: MEMINFO, isRoot: () => true }),
    (e: unknown) => e instanceof ConfigError
      && e.message === 'alluxio.worker.ramdisk.size (2147483648 bytes) is larger than the memory of this host (MemTotal 1073741824 bytes)');
  assert.deepEqual(r.calls, []);
});

test('mountRamdisk NoMount: warns for a MEM path that is not tmpfs/ramfs and creates it', async () => {
  const dir = tmpDir();
  const p = path.join(dir, 'ram');
  const out: string[] = [];
  const r = recorder();
  await mountRamdisk(memConf(`${p},/dev/shm`), 'NoMount', (l) => out.push(l), { exec: r.exec, readMounts });
  assert.deepEqual(out, [`WARNING: Ramdisk ${p} is not a tmpfs/ramfs mount; the MEM tier will be stored on the disk holding it (NoMount).`]);
  assert.ok(fs.statSync(p).isDirectory());
  assert.deepEqual(r.calls, []);
});

test('execCommand: argv without a shell; missing program is 127', async () => {
  const r = await execCommand(process.execPath, ['-e', 'process.stderr.write("x; $(y)"); process.exit(3)']);
  assert.equal(r.code, 3);
  assert.equal(r.stderr, 'x; $(y)');
  assert.equal((await execCommand('/nonexistent/prog', [])).code, 127);
});

test('unmountRamdisk: only a ramdisk that is its own tmpfs/ramfs mount; the others are reported', async () => {
  const r = recorder();
  const out: string[] = [];
  await unmountRamdisk(memConf('/mnt/ramdisk,/dev/shm/alluxio,/mnt/ramfs,/tmp/plain'), 'SudoUmount', (l) => out.push(l), { exec: r.exec, readMounts });
  assert.deepEqual(out, [
    'Ramdisk /dev/shm/alluxio lies inside the tmpfs mounted at /dev/shm, which is not its own mount; not unmounting it',
    'Ramdisk /tmp/plain is not mounted; nothing to unmount',
    'Unmounting /mnt/ramdisk',
    'Unmounting /mnt/ramfs',
  ]);
  assert.deepEqual(r.calls, [['sudo', '-n', 'true'], ['sudo', '-n', 'umount', '/mnt/ramdisk'], ['sudo', '-n', 'umount', '/mnt/ramfs']]);
});

test('unmountRamdisk: nothing mounted runs nothing; Umount needs root; a failing umount names command and stderr', async () => {
  let r = recorder();
  const out: string[] = [];
  await unmountRamdisk(memConf('/tmp/plain'), 'Umount', (l) => out.push(l), { exec: r.exec, readMounts, isRoot: () => false });
  assert.deepEqual(out, ['Ramdisk /tmp/plain is not mounted; nothing to unmount']);
  assert.deepEqual(r.calls, []);
  await assert.rejects(unmountRamdisk(memConf('/mnt/ramdisk'), 'Umount', () => {}, { exec: r.exec, readMounts, isRoot: () => false }),
    (e: unknown) => e instanceof HostError && /Umount runs umount\(8\) as the current user, which needs root/.test(e.message) && /SudoUmount/.test(e.hint!));
  assert.deepEqual(r.calls, []);
  r = recorder({ 'umount /mnt/ramdisk': { code: 32, stderr: 'umount: /mnt/ramdisk: target is busy.\n' } });
  await assert.rejects(unmountRamdisk(memConf('/mnt/ramdisk'), 'Umount', () => {}, { exec: r.exec, readMounts, isRoot: () => true }),
    (e: unknown) => e instanceof HostError && /'umount \/mnt\/ramdisk' failed with exit code 32: umount: \/mnt\/ramdisk: target is busy\./.test(e.message));
  r = recorder({ 'sudo -n true': { code: 1, stderr: 'sudo: a password is required' } });
  await assert.rejects(unmountRamdisk(memConf('/mnt/ramdisk'), 'SudoUmount', () => {}, { exec: r.exec, readMounts }),
    (e: unknown) => e instanceof HostError && e.hint === SUDO_HINT);
  assert.deepEqual(r.calls, [['sudo', '-n', 'true']]);
});

const realMountSkip = needsRoot('mounts a tmpfs');

test('mountRamdisk Mount: a real tmpfs with the configured size (root)', { skip: realMountSkip }, async (t) => {
  assertRoot('the real mount test');
  const dir = tmpDir();
  const p = path.join(dir, 'ramdisk');
  let mounted = false;
  t.after(async () => {
    if (mounted || isRamMounted(p)) await execCommand('umount', [p]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const conf = memConf(p, { 'alluxio.worker.ramdisk.size': String(2 * 1024 * 1024) });
  const out: string[] = [];
  await mountRamdisk(conf, 'Mount', (l) => out.push(l));
  mounted = true;
  assert.equal(isRamMounted(p), true);
  const entry = parseMounts(fs.readFileSync('/proc/self/mounts', 'utf8')).find((m) => m.mountPoint === p)!;
  assert.equal(entry.fsType, 'tmpfs');
  assert.match(entry.options, /size=2048k/);
  assert.equal(fs.statSync(p).mode & 0o777, 0o777);
  // again: already mounted, nothing is run
  const r = recorder();
  const out2: string[] = [];
  await mountRamdisk(conf, 'Mount', (l) => out2.push(l), { exec: r.exec });
  assert.deepEqual(out2, [`Ramdisk ${p} already mounted. Skipping mounting procedure.`]);
  assert.deepEqual(r.calls, []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { formatWorkerStorage, planWorkerFormat } from '../../src/server/worker/format.js';

const created: string[] = [];
process.on('exit', () => { for (const d of created) fs.rmSync(d, { recursive: true, force: true }); });

function tmp(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-wfmt-')));
  created.push(d);
  return d;
}

function conf(values: Record<string, string>) {
  const get = (k: string): string => values[k] ?? '';
  return {
    get,
    getInt: (k: string) => Number(get(k)),
    getList: (k: string) => get(k).split(',').map((s) => s.trim()).filter((s) => s !== ''),
  };
}

/** A worker layout under a temp dir: alluxio.home, a fake home, two tiers. */
function layout(extra: Record<string, string> = {}) {
  const root = tmp();
  const home = path.join(root, 'home', 'user');
  const alluxioHome = path.join(root, 'opt', 'alluxio');
  const mem = path.join(root, 'ramdisk');
  const ssd1 = path.join(root, 'ssd1');
  const ssd2 = path.join(root, 'ssd2');
  for (const d of [home, alluxioHome, mem, ssd1, ssd2]) fs.mkdirSync(d, { recursive: true });
  const c = conf({
    'alluxio.home': alluxioHome,
    'alluxio.worker.data.folder': '/alluxioworker/',
    'alluxio.worker.tieredstore.levels': '2',
    'alluxio.worker.tieredstore.level0.dirs.path': mem,
    'alluxio.worker.tieredstore.level1.dirs.path': `${ssd1},${ssd2}`,
    ...extra,
  });
  return { root, home, alluxioHome, mem, ssd1, ssd2, conf: c };
}

function populate(dir: string): void {
  fs.mkdirSync(path.join(dir, 'alluxioworker', '.tmp'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'alluxioworker', '123'), 'block');
  fs.writeFileSync(path.join(dir, 'keep-me'), 'not ours');
}

test('formatWorkerStorage: deletes only <dir>/<data folder> on every tier and recreates it with mode 1777', () => {
  const l = layout();
  for (const d of [l.mem, l.ssd1, l.ssd2]) populate(d);
  const { deleted } = formatWorkerStorage(l.conf, { home: l.home });
  const expected = [l.mem, l.ssd1, l.ssd2].map((d) => path.join(d, 'alluxioworker'));
  assert.deepEqual(deleted, expected);
  for (const d of [l.mem, l.ssd1, l.ssd2]) {
    const data = path.join(d, 'alluxioworker');
    assert.deepEqual(fs.readdirSync(data), []);
    assert.equal(fs.statSync(data).mode & 0o7777, 0o1777);
    assert.equal(fs.readFileSync(path.join(d, 'keep-me'), 'utf8'), 'not ours', 'the tier dir itself is kept');
  }
});

test('formatWorkerStorage onlyMissing: creates missing data folders, deletes nothing', () => {
  const l = layout();
  populate(l.mem);
  const { deleted } = formatWorkerStorage(l.conf, { home: l.home, onlyMissing: true });
  assert.deepEqual(deleted, []);
  assert.ok(fs.existsSync(path.join(l.mem, 'alluxioworker', '123')));
  assert.equal(fs.statSync(path.join(l.ssd1, 'alluxioworker')).mode & 0o7777, 0o1777);
});

test('formatWorkerStorage: a symlinked data folder is unlinked, its target kept', () => {
  const l = layout();
  const elsewhere = path.join(l.root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  fs.writeFileSync(path.join(elsewhere, 'x'), 'x');
  fs.symlinkSync(elsewhere, path.join(l.mem, 'alluxioworker'));
  formatWorkerStorage(l.conf, { home: l.home });
  assert.ok(fs.existsSync(path.join(elsewhere, 'x')));
  assert.ok(fs.lstatSync(path.join(l.mem, 'alluxioworker')).isDirectory());
});

/** Every refused layout: ConfigError naming the key, nothing deleted anywhere. */
function assertRefused(l: ReturnType<typeof layout>, re: RegExp, key = /alluxio\.worker\.(tieredstore\.level\d\.dirs\.path|data\.folder)/) {
  for (const d of [l.mem, l.ssd1, l.ssd2]) populate(d);
  assert.throws(() => formatWorkerStorage(l.conf, { home: l.home }), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, re);
    assert.match(e.message, key);
    return true;
  });
  for (const d of [l.mem, l.ssd1, l.ssd2]) {
    assert.ok(fs.existsSync(path.join(d, 'alluxioworker', '123')), `nothing deleted in ${d}`);
    assert.ok(fs.existsSync(path.join(d, 'keep-me')));
  }
}

test('refused: an empty data folder name (the tier dir itself would be wiped)', () => {
  for (const folder of ['', '/', '//', '.', './', 'a/..']) {
    assertRefused(layout({ 'alluxio.worker.data.folder': folder }), /names no subfolder/, /alluxio\.worker\.data\.folder/);
  }
});

test('refused: a data folder leaving the tier dir', () => {
  assertRefused(layout({ 'alluxio.worker.data.folder': '../x' }), /leaves the tier directory/, /alluxio\.worker\.data\.folder/);
});

test('refused: a data folder resolving to / (tier dir /, data folder ..-free but a symlink to /)', () => {
  const l = layout();
  const link = path.join(l.root, 'rootlink');
  fs.mkdirSync(link);
  fs.symlinkSync('/', path.join(link, 'alluxioworker'));
  const c = conf({ ...Object.fromEntries(['alluxio.home', 'alluxio.worker.data.folder', 'alluxio.worker.tieredstore.levels']
    .map((k) => [k, l.conf.get(k)])), 'alluxio.worker.tieredstore.level0.dirs.path': `${l.mem},${link}`,
  'alluxio.worker.tieredstore.level1.dirs.path': `${l.ssd1},${l.ssd2}` });
  assertRefused({ ...l, conf: c }, /resolves to \/\) .*: it is the root of the file system/);
});

test('refused: the home directory and its ancestors', () => {
  const l = layout();
  // tier dir = parent of home, data folder = basename(home)  -> target is the home dir
  const c1 = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level1.dirs.path': path.dirname(l.home), 'alluxio.worker.data.folder': path.basename(l.home) });
  assertRefused({ ...l, conf: c1 }, /it is the home directory/, /alluxio\.worker\.tieredstore\.level1\.dirs\.path/);
  const c2 = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level1.dirs.path': l.root, 'alluxio.worker.data.folder': 'home' });
  assertRefused({ ...l, conf: c2 }, /it is an ancestor of the home directory/);
});

test('refused: alluxio.home and its ancestors', () => {
  const l = layout();
  const c1 = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level1.dirs.path': path.dirname(l.alluxioHome), 'alluxio.worker.data.folder': 'alluxio' });
  assertRefused({ ...l, conf: c1 }, /it is alluxio\.home/);
  const c2 = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level1.dirs.path': l.root, 'alluxio.worker.data.folder': 'opt' });
  assertRefused({ ...l, conf: c2 }, /it is an ancestor of alluxio\.home/);
});

test('refused: a data folder that is a symlink back to a protected directory', () => {
  const l = layout();
  const tier = path.join(l.root, 'tier');
  fs.mkdirSync(tier);
  fs.symlinkSync(l.alluxioHome, path.join(tier, 'alluxioworker'));
  const c = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level1.dirs.path': `${l.ssd1},${tier}` });
  assertRefused({ ...l, conf: c }, /resolves to .*: it is alluxio\.home/);
});

test('planWorkerFormat reports every refused path at once', () => {
  const l = layout();
  const c = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level0.dirs.path': path.dirname(l.home),
    'alluxio.worker.tieredstore.level1.dirs.path': path.dirname(l.alluxioHome), 'alluxio.worker.data.folder': 'x' });
  // x under both: fine (not protected)
  assert.equal(planWorkerFormat(c, { home: l.home }).length, 2);
  const alias = path.join(l.root, 'alias');
  fs.symlinkSync(l.root, alias);
  const bad = conf({ ...baseOf(l), 'alluxio.worker.tieredstore.level0.dirs.path': l.root, 'alluxio.worker.tieredstore.level1.dirs.path': alias,
    'alluxio.worker.data.folder': 'opt' });
  assert.throws(() => planWorkerFormat(bad, { home: l.home }), (e: unknown) => e instanceof ConfigError && e.problems.length === 2);
});

function baseOf(l: ReturnType<typeof layout>): Record<string, string> {
  return {
    'alluxio.home': l.alluxioHome,
    'alluxio.worker.data.folder': '/alluxioworker/',
    'alluxio.worker.tieredstore.levels': '2',
    'alluxio.worker.tieredstore.level0.dirs.path': l.mem,
    'alluxio.worker.tieredstore.level1.dirs.path': `${l.ssd1},${l.ssd2}`,
  };
}

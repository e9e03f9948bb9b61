import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, FailedPreconditionError } from '../../src/errors.js';
import {
  JOURNAL_MARKER,
  checkReseed,
  checkSafeToWipe,
  formatJournal,
  isJournalFormatted,
  readJournalMarker,
} from '../../src/journal/format.js';

/**
 * A sandbox: <root>/home/user (fake home), <root>/opt/alluxio (fake alluxio.home), each with content
 * and (to prove the specific rule refuses, not just the "no marker" rule) a journal marker.
 */
const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function sandbox(): { root: string; home: string; alluxioHome: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'jfmt-')));
  roots.push(root);
  const home = path.join(root, 'home', 'user');
  const alluxioHome = path.join(root, 'opt', 'alluxio');
  for (const d of [home, alluxioHome]) {
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(d, 'precious.txt'), 'keep me');
    fs.writeFileSync(path.join(d, JOURNAL_MARKER), JSON.stringify({ format: 1, clusterId: 'x', formattedAt: 'then' }));
  }
  return { root, home, alluxioHome };
}

/** Every path under `dir` (recursive), to prove nothing was deleted. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

test('refuses / and the real home directory (checked without deleting anything)', () => {
  refuses(() => checkSafeToWipe('/', { protectedPaths: [], marker: JOURNAL_MARKER }), /refusing to format '\/': it is the root of the file system/);
  refuses(() => checkSafeToWipe(os.homedir(), { protectedPaths: [], marker: JOURNAL_MARKER }), /it is the home directory/);
  if (path.dirname(os.homedir()) !== '/') {
    refuses(() => checkSafeToWipe(path.dirname(os.homedir()), { protectedPaths: [], marker: JOURNAL_MARKER }), /ancestor of the home directory/);
  }
});

test('refuses the home dir, its ancestors, alluxio home and its ancestors, and deletes nothing', () => {
  const { root, home, alluxioHome } = sandbox();
  const before = tree(root);
  const opts = { home, protectedPaths: [alluxioHome], clusterId: 'c' };
  refuses(() => formatJournal(home, opts), /it is the home directory/);
  refuses(() => formatJournal(path.dirname(home), opts), /ancestor of the home directory/);
  refuses(() => formatJournal(path.join(home, '..', '..'), opts), /ancestor of the home directory/);
  refuses(() => formatJournal(alluxioHome, opts), /it is a protected directory/);
  refuses(() => formatJournal(path.dirname(alluxioHome), opts), /ancestor of a protected directory/);
  refuses(() => formatJournal(root, opts), /ancestor of the/);
  assert.deepEqual(tree(root), before);
});

test('refuses a non-empty directory without the marker, with the documented message and hint', () => {
  const { root } = sandbox();
  const dir = path.join(root, 'data');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'important.db'), 'x');
  const before = tree(root);
  assert.throws(() => formatJournal(dir, { home: path.join(root, 'home', 'user') }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `refusing to format ${dir}: it is not empty and has no ${JOURNAL_MARKER} marker, so it may not be an Alluxio journal`);
    assert.equal(e.hint, 'check alluxio.master.journal.folder; remove the directory yourself if it really is safe');
    return true;
  });
  assert.deepEqual(tree(root), before);
});

test('refuses a symlink that points at a protected directory (symlinks are resolved first)', () => {
  const { root, home, alluxioHome } = sandbox();
  const toHome = path.join(root, 'journal-link');
  const toAlluxio = path.join(root, 'other-link');
  fs.symlinkSync(home, toHome);
  fs.symlinkSync(path.dirname(alluxioHome), toAlluxio);
  const before = tree(root);
  refuses(() => formatJournal(toHome, { home }), new RegExp(`'${toHome}' \\(resolves to '${home}'\\): it is the home directory`));
  refuses(() => formatJournal(toAlluxio, { home, protectedPaths: [alluxioHome] }), /ancestor of a protected directory/);
  // A path under a symlinked parent resolves too.
  refuses(() => formatJournal(path.join(toAlluxio, 'alluxio'), { home, protectedPaths: [alluxioHome] }), /it is a protected directory/);
  assert.deepEqual(tree(root), before);
});

test('refuses a path that is a file', () => {
  const { root, home } = sandbox();
  const f = path.join(root, 'afile');
  fs.writeFileSync(f, 'x');
  refuses(() => formatJournal(f, { home }), /exists and is not a directory/);
  assert.equal(fs.readFileSync(f, 'utf8'), 'x');
});

test('formats an empty dir and a missing dir, writing the marker', () => {
  const { root, home, alluxioHome } = sandbox();
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  assert.equal(isJournalFormatted(empty), false);
  assert.deepEqual(formatJournal(empty, { home, protectedPaths: [alluxioHome], clusterId: 'cid-1' }), { deleted: [] });
  assert.equal(isJournalFormatted(empty), true);
  const m = readJournalMarker(empty)!;
  assert.equal(m.format, 1);
  assert.equal(m.clusterId, 'cid-1');
  assert.ok(!Number.isNaN(Date.parse(m.formattedAt)));
  assert.deepEqual(fs.readdirSync(empty), [JOURNAL_MARKER]);

  // A journal inside alluxio.home (Alluxio's default layout) is fine.
  const missing = path.join(alluxioHome, 'journal', 'deep');
  assert.deepEqual(formatJournal(missing, { home, protectedPaths: [alluxioHome] }).deleted, []);
  assert.equal(isJournalFormatted(missing), true);
  assert.equal(fs.readFileSync(path.join(alluxioHome, 'precious.txt'), 'utf8'), 'keep me');
});

test('formats a marked journal dir: wipes only its contents and reports what was deleted', () => {
  const { root, home } = sandbox();
  const dir = path.join(root, 'journal');
  formatJournal(dir, { home, clusterId: 'old' });
  fs.mkdirSync(path.join(dir, 'log'));
  fs.writeFileSync(path.join(dir, 'log', '00000000000000000001.log'), 'x');
  fs.mkdirSync(path.join(dir, 'checkpoints'));
  fs.writeFileSync(path.join(dir, 'stray.txt'), 'x');
  // A symlink inside is removed, its target is not followed.
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'keep.txt'), 'keep');
  fs.symlinkSync(outside, path.join(dir, 'link'));

  const { deleted } = formatJournal(dir, { home, clusterId: 'new' });
  assert.deepEqual(deleted, ['checkpoints', 'link', 'log', 'stray.txt'].map((n) => path.join(dir, n)));
  assert.deepEqual(fs.readdirSync(dir), [JOURNAL_MARKER]);
  assert.equal(readJournalMarker(dir)!.clusterId, 'new');
  assert.equal(fs.readFileSync(path.join(outside, 'keep.txt'), 'utf8'), 'keep');
});

test('formatting through a symlink wipes the real directory and keeps the link', () => {
  const { root, home } = sandbox();
  const real = path.join(root, 'real-journal');
  formatJournal(real, { home });
  fs.writeFileSync(path.join(real, 'old'), 'x');
  const link = path.join(root, 'journal');
  fs.symlinkSync(real, link);
  assert.deepEqual(formatJournal(link, { home }).deleted, [path.join(real, 'old')]);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(isJournalFormatted(link), true);
});

test('checkReseed: re-seed only a stopped member of a running quorum that can spare it', () => {
  const m = (address: string, available = true, recovering = false) => ({ address, available, recovering });
  const q = { leader: 'm1:19200', members: [m('m1:19200'), m('m2:19200'), m('m3:19200', false)] };
  assert.equal(checkReseed(['m3:19200'], undefined, false), false, 'nothing answers: an ordinary format');
  assert.equal(checkReseed(['m3:19200'], q, true), true);
  const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof FailedPreconditionError && re.test(e.message));
  refused(() => checkReseed(['m3:19200'], undefined, true), /run without a leader/);
  refused(() => checkReseed(['m2:19200'], q, true), /m2:19200: that master is running/);
  refused(() => checkReseed(['m1:19200'], q, true), /m1:19200: that master is running/);
  // m2 is down too: only the leader would be up to date.
  refused(() => checkReseed(['m3:19200'], { ...q, members: [m('m1:19200'), m('m2:19200', false), m('m3:19200', false)] }, true), /only 1 of the 3 members \(m1:19200\)/);
  // m2 is itself still recovering: it does not count.
  refused(() => checkReseed(['m3:19200'], { ...q, members: [m('m1:19200'), m('m2:19200', true, true), m('m3:19200', false)] }, true), /quorum needs 2/);
  // Five members, two re-seeded at once, three healthy left: allowed.
  const five = { leader: 'a:1', members: ['a:1', 'b:1', 'c:1', 'd:1', 'e:1'].map((x) => m(x, !['d:1', 'e:1'].includes(x))) };
  assert.equal(checkReseed(['d:1', 'e:1'], five, true), true);
});

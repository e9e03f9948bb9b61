/**
 * The pure permission model (src/server/master/permissions.ts), table by table, with exact
 * messages; the group cache (src/server/master/groups.ts); the audit line format (audit.ts).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  permitted, checkAccess, checkParentAccess, checkSticky, checkOwner, checkSetAttribute, checkDeleteSubtree, checkOwnerSubtree,
  modeString, createMode, applyModeSpec, isValidModeSpec, parseOctal, READ, WRITE, EXECUTE, type Subject, type PermInode,
} from '../../src/server/master/permissions.js';
import { GroupCache, osGroups } from '../../src/server/master/groups.js';
import { auditLine } from '../../src/server/master/audit.js';
import { PermissionDeniedError } from '../../src/errors.js';

const alice: Subject = { user: 'alice', groups: ['staff', 'dev'], superuser: false };
const bob: Subject = { user: 'bob', groups: ['users'], superuser: false };
const root: Subject = { user: 'root', groups: ['root'], superuser: true };
const ino = (owner: string, group: string, mode: number): PermInode => ({ owner, group, mode });

function denies(fn: () => void, message: string, path?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PermissionDeniedError, String(e));
    assert.equal(e.message, message);
    if (path !== undefined) assert.equal(e.path, path);
    return true;
  });
}

describe('permitted: owner, then group, then others (exclusively); superusers always', () => {
  const cases: [string, Subject, PermInode, number, boolean][] = [
    ['owner rw- reads', alice, ino('alice', 'x', 0o600), READ, true],
    ['owner rw- cannot execute', alice, ino('alice', 'x', 0o600), EXECUTE, false],
    ['owner needs every bit asked', alice, ino('alice', 'x', 0o500), READ | WRITE, false],
    ['owner without a bit is refused even when others have it', alice, ino('alice', 'x', 0o077), READ, false],
    ['group member gets group bits', alice, ino('carol', 'dev', 0o070), READ | WRITE | EXECUTE, true],
    ['group member without the bit, others with it: refused', alice, ino('carol', 'dev', 0o705), READ, false],
    ['other gets other bits', bob, ino('alice', 'staff', 0o755), READ | EXECUTE, true],
    ['other cannot write 755', bob, ino('alice', 'staff', 0o755), WRITE, false],
    ['no bits asked: allowed', bob, ino('alice', 'staff', 0o000), 0, true],
    ['superuser on 000', root, ino('alice', 'staff', 0o000), READ | WRITE | EXECUTE, true],
    ['sticky bit is not a permission', bob, ino('alice', 'staff', 0o1000), EXECUTE, false],
  ];
  for (const [name, s, n, bits, want] of cases) test(name, () => assert.equal(permitted(s, n, bits), want));
});

describe('checkAccess / checkParentAccess: traverse every ancestor, then the access on the last', () => {
  const rootDir = ino('root', 'root', 0o755);
  test('allowed', () => {
    checkAccess(bob, '/a/f', [rootDir, ino('alice', 'staff', 0o711), ino('alice', 'staff', 0o644)], READ);
    checkParentAccess(bob, '/a/new', [rootDir, ino('alice', 'staff', 0o777)], false, WRITE | EXECUTE);
    checkParentAccess(bob, '/', [rootDir], true, WRITE);
    checkAccess(root, '/x', [ino('a', 'a', 0), ino('a', 'a', 0)], READ);
  });
  test('an ancestor without execute', () => {
    denies(() => checkAccess(bob, '/a/f', [rootDir, ino('alice', 'staff', 0o750), ino('alice', 'staff', 0o644)], READ),
      'Permission denied: user=bob, access=--x, path=/a/f: failed at /a, inode owner=alice, group=staff, mode=rwxr-x---', '/a/f');
  });
  test('the last inode without the access', () => {
    denies(() => checkAccess(bob, '/a/f', [rootDir, ino('alice', 'staff', 0o755), ino('alice', 'staff', 0o600)], READ),
      'Permission denied: user=bob, access=r--, path=/a/f: failed at /a/f, inode owner=alice, group=staff, mode=rw-------');
  });
  test('parent of an existing path: the inode before the last', () => {
    denies(() => checkParentAccess(bob, '/p', [rootDir, ino('bob', 'users', 0o777)], true, WRITE | EXECUTE),
      'Permission denied: user=bob, access=-wx, path=/p: failed at /, inode owner=root, group=root, mode=rwxr-xr-x');
  });
  test('a path that does not exist yet: its deepest existing ancestor', () => {
    denies(() => checkParentAccess(bob, '/a/b/c', [rootDir, ino('alice', 'staff', 0o755)], false, WRITE | EXECUTE),
      'Permission denied: user=bob, access=-wx, path=/a/b/c: failed at /a, inode owner=alice, group=staff, mode=rwxr-xr-x');
  });
});

describe('checkSticky: in a sticky directory only the entry\'s owner, the directory\'s owner or a superuser', () => {
  const tmp = ino('root', 'root', 0o1777);
  const cases: [string, Subject, PermInode, PermInode, boolean][] = [
    ['owner of the entry', bob, tmp, ino('bob', 'users', 0o644), true],
    ['another user', bob, tmp, ino('alice', 'staff', 0o666), false],
    ['owner of the directory', alice, ino('alice', 'staff', 0o1777), ino('bob', 'users', 0o644), true],
    ['superuser', root, tmp, ino('alice', 'staff', 0o644), true],
    ['no sticky bit', bob, ino('root', 'root', 0o777), ino('alice', 'staff', 0o644), true],
  ];
  for (const [name, s, parent, child, ok] of cases) {
    test(name, () => {
      if (ok) checkSticky(s, '/tmp/x', parent, child);
      else {
        denies(() => checkSticky(s, '/tmp/x', parent, child),
          'Permission denied: user=bob, access=-w-, path=/tmp/x: failed at /tmp, inode owner=root, group=root, mode=rwxrwxrwt; the sticky bit is set: only the owner of /tmp/x (alice), of /tmp or a superuser may delete or rename it');
      }
    });
  }
});

describe('checkOwner and checkSetAttribute: chmod owner, chgrp owner in the group, chown superuser', () => {
  const chain = [ino('root', 'root', 0o755), ino('alice', 'staff', 0o700)];
  const cases: [string, Subject, { owner?: string; group?: string; mode?: string }, string | undefined][] = [
    ['owner chmods', alice, { mode: '755' }, undefined],
    ['another user cannot chmod', bob, { mode: '777' },
      'Permission denied: user=bob, access=---, path=/d: failed at /d, inode owner=alice, group=staff, mode=rwx------; only the owner (alice) or a superuser may change it'],
    ['owner chgrps to its own group', alice, { group: 'dev' }, undefined],
    ['owner cannot chgrp to a group it is not in', alice, { group: 'wheel' },
      'Permission denied: user=alice cannot change the group of /d to wheel: not a member of wheel (member of: staff,dev)'],
    ['owner cannot chown, even to itself', alice, { owner: 'alice' },
      'Permission denied: user=alice cannot change the owner of /d: only a superuser (the master\'s user or a member of the supergroup) may'],
    ['superuser chowns', root, { owner: 'bob', group: 'any', mode: '0' }, undefined],
  ];
  for (const [name, s, change, message] of cases) {
    test(name, () => {
      if (message === undefined) checkSetAttribute(s, '/d', chain, change);
      else denies(() => checkSetAttribute(s, '/d', chain, change), message, '/d');
    });
  }
  test('checkOwner needs to reach the path', () => {
    denies(() => checkOwner(alice, '/x/d', [ino('root', 'root', 0o700), ino('x', 'x', 0o777), ino('alice', 'staff', 0o700)]),
      'Permission denied: user=alice, access=--x, path=/x/d: failed at /, inode owner=root, group=root, mode=rwx------');
  });
});

describe('subtree checks (recursive delete, chmod -R, chgrp -R)', () => {
  interface T extends PermInode { kids?: [string, T][] }
  const t = (owner: string, mode: number, kids?: [string, T][]): T => ({ owner, group: 'g', mode, ...(kids ? { kids } : {}) });
  const children = (n: T) => n.kids;
  const view = (n: T): PermInode => n;
  test('delete: write on every descendant, execute on every directory with entries', () => {
    checkDeleteSubtree(bob, '/d', t('bob', 0o700, [['f', t('bob', 0o600)], ['e', t('bob', 0o700, [])]]), children, view);
    denies(() => checkDeleteSubtree(bob, '/d', t('bob', 0o700, [['f', t('alice', 0o644)], ['s', t('bob', 0o600, [['g', t('bob', 0o600)]])]]), children, view),
      'Cannot delete everything under /d: Permission denied: user=bob, access=-w-, path=/d/f: failed at /d/f, inode owner=alice, group=g, mode=rw-r--r--; ' +
      'Permission denied: user=bob, access=--x, path=/d/s: failed at /d/s, inode owner=bob, group=g, mode=rw-------');
    checkDeleteSubtree(root, '/d', t('x', 0, [['f', t('x', 0)]]), children, view);
  });
  test('at most three failures are named, the rest counted', () => {
    const kids: [string, T][] = Array.from({ length: 5 }, (_, i) => [`f${i}`, t('alice', 0o444)]);
    assert.throws(() => checkDeleteSubtree(bob, '/d', t('bob', 0o700, kids), children, view), /\(and 2 more\)$/);
  });
  test('chmod -R: the user owns every descendant', () => {
    checkOwnerSubtree(bob, '/d', t('bob', 0o700, [['f', t('bob', 0o000)]]), children, view);
    assert.throws(() => checkOwnerSubtree(bob, '/d', t('bob', 0o700, [['f', t('alice', 0o777)]]), children, view),
      /^PermissionDeniedError: Cannot change everything under \/d: .*only the owner \(alice\) or a superuser may change it$/);
  });
});

describe('modes', () => {
  test('modeString', () => {
    assert.equal(modeString(0o755), 'rwxr-xr-x');
    assert.equal(modeString(0o644), 'rw-r--r--');
    assert.equal(modeString(0o1777), 'rwxrwxrwt');
    assert.equal(modeString(0o1770), 'rwxrwx--T');
    assert.equal(modeString(0), '---------');
  });
  test('createMode applies the umask', () => {
    const cases: [number, number, number][] = [[0o022, 0o644, 0o755], [0o077, 0o600, 0o700], [0o000, 0o666, 0o777], [0o777, 0, 0], [0o002, 0o664, 0o775]];
    for (const [umask, file, dir] of cases) {
      assert.equal(createMode(false, umask), file, umask.toString(8));
      assert.equal(createMode(true, umask), dir, umask.toString(8));
    }
  });
  test('parseOctal and isValidModeSpec', () => {
    assert.equal(parseOctal('022'), 0o022);
    assert.equal(parseOctal('1777'), 0o1777);
    assert.equal(parseOctal('01777'), 0o1777);
    for (const bad of ['', '8', '12345', '-1', '0x1', ' 7']) assert.equal(parseOctal(bad), undefined, bad);
    for (const ok of ['755', '0', 'u+x', 'go-w', 'a=rX', '+t', 'u=rwx,g=rx,o=', 'ug+rw-x']) assert.ok(isValidModeSpec(ok), ok);
    for (const bad of ['', 'u+q', 'x', 'u', '99', 'u+x,', ',', 'z=r']) assert.ok(!isValidModeSpec(bad), bad);
  });
  test('applyModeSpec', () => {
    const cases: [string, number, boolean, number][] = [
      ['755', 0o000, false, 0o755],
      ['01777', 0o000, true, 0o1777],
      ['7777', 0o000, true, 0o1777],
      ['u+x', 0o644, false, 0o744],
      ['go-w', 0o777, false, 0o755],
      ['a=rX', 0o700, true, 0o555],
      ['a=rX', 0o600, false, 0o444],
      ['a=rX', 0o100, false, 0o555],
      ['+t', 0o777, true, 0o1777],
      ['o-t', 0o1777, true, 0o777],
      ['u=rwx,g=rx,o=', 0o000, true, 0o750],
      ['ug+rw-x', 0o711, false, 0o661],
      ['o=', 0o1777, true, 0o770],
      ['x', 0o644, false, 0o644], // invalid clause: no change
    ];
    for (const [spec, cur, dir, want] of cases) assert.equal(applyModeSpec(spec, cur, dir).toString(8), want.toString(8), `${spec} on ${cur.toString(8)}`);
  });
});

describe('GroupCache', () => {
  test('caches for the ttl, shares lookups in flight, bounded; an unknown user has no groups', async () => {
    let now = 0;
    const asked: string[] = [];
    const c = new GroupCache(1000, async (u) => { asked.push(u); return u === 'ghost' ? [] : [`${u}-primary`, 'extra']; }, () => now);
    assert.deepEqual(await Promise.all([c.groups('a'), c.groups('a')]), [['a-primary', 'extra'], ['a-primary', 'extra']]);
    assert.equal(await c.primary('a'), 'a-primary');
    assert.deepEqual(asked, ['a']);
    now = 1000;
    await c.groups('a');
    assert.deepEqual(asked, ['a', 'a']);
    assert.equal(await c.primary('ghost'), '');
    const failing = new GroupCache(1000, async () => { throw new Error('boom'); });
    assert.deepEqual(await failing.groups('x'), []);
  });
  test('osGroups asks id on this host', async () => {
    assert.deepEqual(await osGroups('root'), ['root']);
    assert.deepEqual(await osGroups('no-such-user-xyz'), []);
    assert.deepEqual(await osGroups('--help'), []);
  });
});

describe('audit line', () => {
  test('Alluxio\'s key=value tab-separated format', () => {
    assert.equal(auditLine({
      succeeded: false, allowed: false, user: 'nobody', group: 'nogroup', authType: 'SIMPLE', ip: '/127.0.0.1:5000', cmd: 'delete',
      src: '/p', dst: null, perm: 'root:root:rwxr-xr-x', executionTimeUs: 12.4,
    }), 'succeeded=false\tallowed=false\tugi=nobody,nogroup (AUTH=SIMPLE)\tip=/127.0.0.1:5000\tcmd=delete\tsrc=/p\tdst=null\tperm=root:root:rwxr-xr-x\texecutionTimeUs=12');
    assert.equal(auditLine({
      succeeded: true, allowed: true, user: '', group: '', authType: 'NOSASL', ip: '/x', cmd: 'rename',
      src: '/a\tb', dst: '/c\nd', perm: null, executionTimeUs: 1,
    }), 'succeeded=true\tallowed=true\tugi=null (AUTH=NOSASL)\tip=/x\tcmd=rename\tsrc=/a b\tdst=/c d\tperm=null\texecutionTimeUs=1');
  });
});

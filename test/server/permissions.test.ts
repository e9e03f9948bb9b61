/**
 * End to end (issue #10, defect 4): users and permissions with real master and worker processes
 * and the real CLI, run as root (the master's user: a superuser) and as the OS user `nobody`
 * (a real uid switch), or naming a user with -Dalluxio.security.login.username where OS
 * isolation does not matter. Needs root to switch uid: skipped without root only outside CI.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { TestCluster, CLI, waitFor, type CliResult } from '../harness/cluster.js';
import { protos, callUnary, CHANNEL_OPTIONS, USER_KEY } from '../../src/rpc.js';
import { AuthenticationError, PermissionDeniedError } from '../../src/errors.js';
import { ensureClusterSecret, SECRET_FILE, SECRET_KEY } from '../../src/clusterSecret.js';
import { NetTransport } from '../../src/journal/raft/transport.js';
import type { Message } from '../../src/journal/raft/types.js';
import { WorkerClient } from '../../src/client/workerClient.js';
import { needsRoot } from '../harness/root.js';

const NOBODY = 65534;
const skip = needsRoot('runs the CLI as user nobody, uid 65534');

function check(c: TestCluster, r: CliResult, expected = 0): CliResult {
  assert.equal(r.code, expected, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
  return r;
}

/** The real CLI as the OS user nobody. */
function asNobody(c: TestCluster, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...c.env, HOME: '/tmp' }, uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}

/** `fs ls` lines by path: [mode, owner, group]. */
async function ls(c: TestCluster, p: string): Promise<Map<string, [string, string, string]>> {
  const r = check(c, await c.cli(['fs', 'ls', p]));
  const out = new Map<string, [string, string, string]>();
  for (const l of r.stdout.trim().split('\n').filter(Boolean)) {
    const f = l.split(/\s+/);
    out.set(f.at(-1)!, [f[0]!, f[1]!, f[2]!]);
  }
  return out;
}

/** A cluster whose directory tree the user nobody can read (mkdtemp makes it 0700). */
async function openCluster(props: Record<string, string>): Promise<TestCluster> {
  const c = new TestCluster({ props });
  await c.setup();
  fs.chmodSync(c.dir, 0o755);
  fs.chmodSync(c.confDir, 0o755);
  fs.chmodSync(path.join(c.confDir, 'alluxio-site.properties'), 0o644);
  await c.start();
  return c;
}

describe('permissions (SIMPLE, the default)', { skip }, () => {
  let c: TestCluster;
  before(async () => {
    c = await openCluster({ 'alluxio.master.audit.logging.enabled': 'true', 'alluxio.user.file.writetype.default': 'CACHE_THROUGH' });
    const local = path.join(c.dir, 'data.txt');
    fs.writeFileSync(local, 'precious\n');
    check(c, await c.cli(['fs', 'mkdir', '/p/sub']));
    check(c, await c.cli(['fs', 'copyFromLocal', local, '/p/sub/data']));
  });
  after(async () => { await c?.stop(); });

  test('nobody cannot rm -R root\'s tree: typed error, non-zero exit, tree and UFS data intact', async () => {
    const r = await asNobody(c, ['fs', 'rm', '-R', '/p']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /Permission denied: user=nobody, access=-wx, path=\/p: failed at \/, inode owner=root, group=root, mode=rwxr-xr-x/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    check(c, await c.cli(['fs', 'test', '-e', '/p/sub/data']));
    assert.equal(fs.readFileSync(path.join(c.ufsDir, 'p', 'sub', 'data'), 'utf8'), 'precious\n');
    // A directory nobody may write, but with a subtree it may not: still refused, nothing deleted.
    check(c, await c.cli(['fs', 'mkdir', '/open']));
    check(c, await c.cli(['fs', 'chmod', '777', '/open']));
    check(c, await c.cli(['fs', 'mkdir', '/open/rootdir']));
    check(c, await c.cli(['fs', 'touch', '/open/rootdir/f']));
    const r2 = await asNobody(c, ['fs', 'rm', '-R', '/open/rootdir']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /Cannot delete everything under \/open\/rootdir: Permission denied: user=nobody, access=-w-, path=\/open\/rootdir\/f/);
    check(c, await c.cli(['fs', 'test', '-e', '/open/rootdir/f']));
  });

  test('nobody creates in a 777 directory: owner nobody, its primary group, umask 022 applied', async () => {
    check(c, await c.cli(['fs', 'mkdir', '/shared']));
    check(c, await c.cli(['fs', 'chmod', '777', '/shared']));
    check(c, await asNobody(c, ['fs', 'touch', '/shared/mine']));
    check(c, await asNobody(c, ['fs', 'mkdir', '/shared/mydir']));
    const l = await ls(c, '/shared');
    assert.deepEqual(l.get('/shared/mine'), ['-rw-r--r--', 'nobody', 'nogroup']);
    assert.deepEqual(l.get('/shared/mydir'), ['drwxr-xr-x', 'nobody', 'nogroup']);
    assert.deepEqual((await ls(c, '/')).get('/shared'), ['drwxrwxrwx', 'root', 'root']);
    // Outside it, nobody may not create.
    const r = await asNobody(c, ['fs', 'touch', '/p/intruder']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied: user=nobody, access=-wx, path=\/p\/intruder: failed at \/p, inode owner=root/);
    // A user named in the configuration (no OS isolation needed).
    check(c, await c.cli(['fs', 'touch', '/shared/alice-file', '-Dalluxio.security.login.username=alice']));
    assert.deepEqual((await ls(c, '/shared/alice-file')).get('/shared/alice-file')?.slice(0, 2), ['-rw-r--r--', 'alice']);
  });

  test('sticky bit: only the owner of the entry or of the directory (or a superuser) deletes or renames', async () => {
    check(c, await c.cli(['fs', 'mkdir', '/tmp']));
    check(c, await c.cli(['fs', 'chmod', '1777', '/tmp']));
    assert.deepEqual((await ls(c, '/')).get('/tmp')?.[0], 'drwxrwxrwt');
    check(c, await c.cli(['fs', 'touch', '/tmp/rootfile']));
    const rm = await asNobody(c, ['fs', 'rm', '/tmp/rootfile']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /the sticky bit is set: only the owner of \/tmp\/rootfile \(root\)/);
    const mv = await asNobody(c, ['fs', 'mv', '/tmp/rootfile', '/tmp/stolen']);
    assert.notEqual(mv.code, 0);
    assert.match(mv.stderr, /sticky bit/);
    check(c, await c.cli(['fs', 'test', '-e', '/tmp/rootfile']));
    check(c, await asNobody(c, ['fs', 'touch', '/tmp/n']));
    check(c, await asNobody(c, ['fs', 'mv', '/tmp/n', '/tmp/n2']));
    check(c, await asNobody(c, ['fs', 'rm', '/tmp/n2']));
    // Without the sticky bit, write on the directory is enough.
    check(c, await c.cli(['fs', 'touch', '/shared/rootfile']));
    check(c, await asNobody(c, ['fs', 'rm', '/shared/rootfile']));
  });

  test('chmod: owner or superuser; chown: superuser only; chgrp: owner to its own group, or superuser', async () => {
    let r = await asNobody(c, ['fs', 'chmod', '777', '/p']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied: user=nobody.*only the owner \(root\) or a superuser may change it/);
    r = await asNobody(c, ['fs', 'chown', 'nobody', '/shared/mine']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /user=nobody cannot change the owner of \/shared\/mine: only a superuser/);
    check(c, await c.cli(['fs', 'chown', '-R', 'nobody:nogroup', '/p']));
    assert.deepEqual((await ls(c, '/')).get('/p')?.slice(1), ['nobody', 'nogroup']);
    assert.deepEqual((await ls(c, '/p/sub/data')).get('/p/sub/data')?.slice(1), ['nobody', 'nogroup']);
    check(c, await asNobody(c, ['fs', 'chmod', '-R', 'go-rx', '/p']));
    assert.deepEqual((await ls(c, '/')).get('/p')?.[0], 'drwx------');
    assert.deepEqual((await ls(c, '/p/sub/data')).get('/p/sub/data')?.[0], '-rw-------');
    r = await asNobody(c, ['fs', 'chgrp', 'root', '/p']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot change the group of \/p to root: not a member of root/);
    check(c, await asNobody(c, ['fs', 'chgrp', 'nogroup', '/p']));
    check(c, await c.cli(['fs', 'chgrp', 'root', '/shared/mine']));
    assert.deepEqual((await ls(c, '/shared/mine')).get('/shared/mine')?.slice(1), ['nobody', 'root']);
    const bad = await c.cli(['fs', 'chmod', 'u+q', '/p']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"u\+q" is not a valid mode/);
    // Now nobody owns the whole tree: the parent (/, root's, 0755) still forbids removing /p ...
    r = await asNobody(c, ['fs', 'rm', '-R', '/p']);
    assert.notEqual(r.code, 0);
    // ... but everything inside it may go.
    check(c, await asNobody(c, ['fs', 'rm', '-R', '/p/sub']));
    assert.equal(fs.existsSync(path.join(c.ufsDir, 'p', 'sub')), false);
  });

  test('reading needs read permission; a call without a user is refused with a typed error', async () => {
    check(c, await c.cli(['fs', 'mkdir', '/private']));
    check(c, await c.cli(['fs', 'chmod', '700', '/private']));
    const r = await asNobody(c, ['fs', 'ls', '/private']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /user=nobody, access=r-x, path=\/private: failed at \/private/);
    const client = new (protos().file.FileSystemMasterClientService)(`localhost:${c.masterRpc}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as grpc.Client;
    try {
      await assert.rejects(callUnary(client, 'GetStatus', { path: '/' }, 5000, 'master'), AuthenticationError);
      const md = new grpc.Metadata();
      md.set(USER_KEY, 'nobody');
      await assert.rejects(callUnary(client, 'ListStatus', { path: '/private' }, 5000, 'master', md), PermissionDeniedError);
    } finally {
      client.close();
    }
  });

  test('the audit log has one line per operation, allowed or not', async () => {
    const file = path.join(c.dir, 'logs', 'master_audit.log');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const denied = lines.find((l) => /\tcmd=delete\tsrc=\/p\t/.test(l) && /\tallowed=false\t/.test(l));
    assert.ok(denied, lines.join('\n'));
    assert.match(denied!, /succeeded=false\tallowed=false\tugi=nobody,nogroup \(AUTH=SIMPLE\)\tip=\/[^\t]+\tcmd=delete\tsrc=\/p\tdst=null\tperm=root:root:rwxr-xr-x\texecutionTimeUs=\d+$/);
    assert.ok(lines.some((l) => /succeeded=true\tallowed=true\tugi=nobody,nogroup .*\tcmd=rename\tsrc=\/tmp\/n\tdst=\/tmp\/n2\t/.test(l)));
    assert.ok(lines.some((l) => /succeeded=true\tallowed=true\tugi=root,root .*\tcmd=setAttribute\tsrc=\/shared\t/.test(l)));
    assert.ok(lines.some((l) => /succeeded=true\tallowed=true\tugi=nobody,nogroup .*\tcmd=createFile\tsrc=\/shared\/mine\t/.test(l)));
    assert.ok(lines.some((l) => /succeeded=true\tallowed=true\tugi=root,root .*\tcmd=createDirectory\tsrc=\/shared\t/.test(l)));
  });
});

describe('a strict umask (0277): the writer may still finish its own file', { skip }, () => {
  let c: TestCluster;
  before(async () => {
    c = await openCluster({ 'alluxio.security.authorization.permission.umask': '277', 'alluxio.user.file.writetype.default': 'CACHE_THROUGH' });
    check(c, await c.cli(['fs', 'mkdir', '/w']));
    check(c, await c.cli(['fs', 'chmod', '777', '/w']));
  });
  after(async () => { await c?.stop(); });

  test('nobody writes a multi-block file that is read-only for it from the first block on; others may not add to it', async () => {
    const local = path.join(c.dir, 'three-blocks.bin');
    const data = Buffer.alloc(2.5 * 1024 * 1024, 9);
    fs.writeFileSync(local, data, { mode: 0o644 });
    check(c, await asNobody(c, ['fs', 'copyFromLocal', local, '/w/f']));
    assert.deepEqual((await ls(c, '/w/f')).get('/w/f'), ['-r--------', 'nobody', 'nogroup']);
    const back = await asNobody(c, ['fs', 'cat', '/w/f']);
    check(c, back);
    assert.equal(back.stdout.length, data.length);
    // Another user cannot read it (mode 0400), nor replace it.
    const other = await c.cli(['fs', 'cat', '/w/f', '-Dalluxio.security.login.username=alice']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /Permission denied: user=alice, access=r--, path=\/w\/f/);
  });
});

describe('NOSASL: no users, no checks (the open behaviour)', { skip }, () => {
  let c: TestCluster;
  before(async () => {
    c = await openCluster({ 'alluxio.security.authentication.type': 'NOSASL', 'alluxio.security.authorization.permission.umask': '077' });
  });
  after(async () => { await c?.stop(); });

  test('nobody may delete root\'s tree; new inodes show the master\'s user and the umask', async () => {
    check(c, await c.cli(['fs', 'mkdir', '/p/sub']));
    check(c, await c.cli(['fs', 'touch', '/p/sub/f']));
    assert.deepEqual((await ls(c, '/p/sub')).get('/p/sub/f'), ['-rw-------', 'root', 'root']);
    check(c, await asNobody(c, ['fs', 'rm', '-R', '/p']));
    check(c, await c.cli(['fs', 'test', '-e', '/p']), 1);
  });
});

describe('cluster secret: the worker data port and the embedded journal port accept only cluster members', { skip }, () => {
  let c: TestCluster;
  before(async () => {
    c = new TestCluster();
    await c.setup();
    fs.chmodSync(c.dir, 0o755);
    fs.chmodSync(c.confDir, 0o755);
    fs.chmodSync(path.join(c.confDir, 'alluxio-site.properties'), 0o644);
    assert.equal(ensureClusterSecret(path.join(c.confDir, SECRET_FILE)), true);
    assert.equal(ensureClusterSecret(path.join(c.confDir, SECRET_FILE)), false, 'an existing secret is kept');
    assert.equal(fs.statSync(path.join(c.confDir, SECRET_FILE)).mode & 0o777, 0o600);
    await c.start();
  });
  after(async () => { await c?.stop(); });

  test('clients holding the secret read and write; others are refused with a typed error', async () => {
    const local = path.join(c.dir, 'd.txt');
    fs.writeFileSync(local, 'members only\n');
    check(c, await c.cli(['fs', 'copyFromLocal', local, '/f', '-Dalluxio.user.file.writetype.default=MUST_CACHE']));
    check(c, await c.cli(['fs', 'chmod', '644', '/f']));
    assert.equal(check(c, await c.cli(['fs', 'cat', '/f'])).stdout, 'members only\n');
    // nobody may read /f (mode 644) but not the secret file (0600, root's): the worker refuses it.
    const r = await asNobody(c, ['fs', 'cat', '/f']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthenticated: worker .* accepts only members of this cluster/);
    // A raw client without the secret.
    const w = new WorkerClient(`localhost:${c.workerPorts[0]!.rpc}`);
    try {
      await assert.rejects(async () => { for await (const _ of w.readBlock(1, 0, 1, false)) { /* nothing */ } }, AuthenticationError);
    } finally {
      w.close();
    }
  });

  test('journal peers without the secret are refused on both wires (framed and gRPC); with it, messages flow', async () => {
    const secret = 'a'.repeat(64);
    const msg = (from: string, i: number): Message => ({ type: 'App', from, to: 'b', term: 2, index: i, logTerm: 1, commit: 0, entries: [] });
    // Each binds port 0; the peers learn the bound ports. x speaks the framed wire, y gRPC only (an older master).
    const bLog: string[] = [], xLog: string[] = [];
    const { transport: a, port: pa } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map(), { secret });
    const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map(), { secret, log: (m) => bLog.push(m) });
    const { transport: x } = await NetTransport.start('x', { host: '127.0.0.1', port: 0 }, new Map(), { log: (m) => xLog.push(m) });
    const { transport: y } = await NetTransport.start('y', { host: '127.0.0.1', port: 0 }, new Map(), { wire: 'grpc' });
    for (const t of [a, b, x, y]) { t.setPeer('a', `127.0.0.1:${pa}`); t.setPeer('b', `127.0.0.1:${pb}`); }
    const raw = new (protos().raft.RaftJournalService)(`127.0.0.1:${pb}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as grpc.Client;
    try {
      const got: Message[] = [];
      b.onMessage((m) => got.push(m));
      x.send([msg('x', 1)]);
      y.send([msg('y', 1)]);
      a.send([msg('a', 2)]);
      await waitFor('a message from a delivered and both outsiders refused', (observe) => {
        observe({ delivered: got.map((m) => m.from), outsiderFailures: [x.failures, y.failures] });
        return got.length >= 1 && x.failures >= 1 && y.failures >= 1;
      }, 5000, 50);
      assert.deepEqual(got.map((m) => m.from), ['a']);
      assert.equal(x.failures, 1, 'the outsider\'s framed connection was refused');
      assert.equal(y.failures, 1, 'the outsider\'s gRPC stream was refused');
      // The framed refusal: a typed error back to x (logged there), counted and logged at b.
      assert.equal(b.rejected, 1);
      assert.match(bLog.join('\n'), /^Closed a raft connection from 127\.0\.0\.1:\d+: Unauthenticated: embedded journal b accepts only members of this cluster/m);
      assert.match(xLog.join('\n'), /^Raft peer b \(127\.0\.0\.1:\d+\) refused this node's connection: Unauthenticated: embedded journal b accepts only members/m);
      assert.doesNotMatch(xLog.join('\n'), /does not speak the framed raft protocol/, 'an answered refusal is no reason to fall back to gRPC');
      await assert.rejects(callUnary(raw, 'Deliver', { from: 'x', clusterId: '', messages: [JSON.stringify(msg('x', 3))] }, 5000, 'b'), AuthenticationError);
      const md = new grpc.Metadata();
      md.set(SECRET_KEY, 'b'.repeat(64));
      await assert.rejects(callUnary(raw, 'Deliver', { from: 'x', clusterId: '', messages: [] }, 5000, 'b', md), AuthenticationError);
      md.set(SECRET_KEY, secret);
      await callUnary(raw, 'Deliver', { from: 'a', clusterId: '', messages: [JSON.stringify(msg('a', 4))] }, 5000, 'b', md);
      assert.deepEqual(got.map((m) => m.index), [2, 4]);
    } finally {
      raw.close();
      await Promise.all([a.close(), b.close(), x.close(), y.close()]);
    }
  });
});

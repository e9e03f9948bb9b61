/** Exact strings every remote builder produces (convention 3), and that the probe scripts run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { toShell } from '../../src/orchestrate/shell.js';
import * as b from '../../src/orchestrate/builders/remote.js';
import { confHash } from '../../src/orchestrate/install.js';
import { isRoot } from '../harness/root.js';
import { parseReply } from '../../src/orchestrate/protocol.js';
import { INSTALL_ROOT } from '../../src/conf/installRoot.js';
import { killQuietly, spawnDummy } from './helpers.js';

const cases: [string, readonly string[], string][] = [
  ['alluxio', b.alluxio('/opt/alluxio', ['start', 'master', '-Dalluxio.master.rpc.port=1']), '/opt/alluxio/bin/alluxio start master -Dalluxio.master.rpc.port=1'],
  ['alluxio with a space in home', b.alluxio('/opt/my alluxio', ['stop', 'worker', '-s']), "'/opt/my alluxio/bin/alluxio' stop worker -s"],
  ['unpackInstall', b.unpackInstall('/opt/alluxio', 'abc123'),
    `sh -c 'set -e; mkdir -p "$1"; rm -f "$1/.install-hash"; tar -x -z -m -C "$1"; printf "%s\\n" "$2" > "$1/.install-hash.tmp"; mv "$1/.install-hash.tmp" "$1/.install-hash"' unpack /opt/alluxio abc123`],
  ['unpackConf', b.unpackConf('/opt/alluxio'),
    `sh -c 'set -e; d="$1/conf"; mkdir -p "$d.new"; tar -x -z -m -C "$d.new"; rm -rf "$d.old"; if [ -d "$d" ]; then mv "$d" "$d.old"; fi; mv "$d.new" "$d"; rm -rf "$d.old"' unpack-conf /opt/alluxio`],
  ['unpackInto', b.unpackInto("/etc/it's"), `sh -c 'set -e; mkdir -p "$1"; tar -x -z -m -C "$1"' unpack '/etc/it'\\''s'`],
  ['lockAcquire', b.lockAcquire('/opt/alluxio/run/cluster.lock', 'root@ctl pid 7: alluxio start all'),
    `sh -c 'mkdir -p "$(dirname "$1")"; if mkdir "$1" 2>/dev/null; then printf "%s\\n" "$2" > "$1/owner"; echo LOCKED; else echo HELD; cat "$1/owner" 2>/dev/null; fi' lock /opt/alluxio/run/cluster.lock 'root@ctl pid 7: alluxio start all'`],
  ['lockRelease', b.lockRelease('/opt/alluxio/run/cluster.lock'), 'rm -rf -- /opt/alluxio/run/cluster.lock'],
  ['auditAppend', b.auditAppend('/opt/alluxio/logs/audit.log', '2026-11-26T00:00:00.000Z root@ctl "alluxio start all" OK'),
    `sh -c 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" >> "$1"' audit /opt/alluxio/logs/audit.log '2026-11-26T00:00:00.000Z root@ctl "alluxio start all" OK'`],
  ['resolveNames', b.resolveNames(['h1', 'h2']),
    `sh -c 'for n in "$@"; do a=$(getent hosts "$n" | awk "NR==1{print \\$1}"); [ -n "$a" ] && printf "%s %s\\n" "$n" "$a"; done; true' resolve h1 h2`],
];

for (const [name, argv, expected] of cases) {
  test(`builder ${name}`, () => assert.equal(toShell(argv), expected));
}

test('probeBasics: the argv, and run locally it answers a probe reply: node, hashes (conf hash exactly as confHash()) and the run dir\'s servers', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-probe-'));
  const run = path.join(home, 'run');
  const server = await spawnDummy(path.join(home, 'dist/src/server/master/main.js'));
  const other = await spawnDummy('not-a-server');
  try {
    fs.mkdirSync(path.join(home, 'conf'));
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(home, 'conf', 'alluxio-site.properties'), 'alluxio.master.hostname=h1\n');
    fs.writeFileSync(path.join(home, 'conf', 'masters'), 'h1\n');
    fs.writeFileSync(path.join(home, '.install-hash'), 'feed\n');
    fs.writeFileSync(path.join(run, 'master-19200.pid'), `${server.pid}\n`);
    fs.writeFileSync(path.join(run, 'worker.pid'), `${other.pid}\n`);
    fs.writeFileSync(path.join(run, 'master.pid'), 'garbage\n');
    fs.writeFileSync(path.join(run, 'cluster.lock'), '');
    const argv = b.probeBasics(home, run);
    assert.deepEqual(argv.slice(0, 2), ['node', '-e']);
    assert.deepEqual(argv.slice(3), [home, path.join(home, 'conf'), run]);
    const r = spawnSync('sh', ['-c', toShell(argv)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const reply = parseReply('probe', 'h1', { code: r.status!, stdout: r.stdout, stderr: r.stderr });
    assert.ok(reply.ok);
    const j = reply.result;
    assert.equal(j.node, process.version);
    assert.equal(j.installHash, 'feed');
    assert.equal(j.confHash, confHash(path.join(home, 'conf')));
    assert.equal(j.hostname, os.hostname());
    assert.ok(Math.abs(j.timeMs - Date.now()) < 10_000);
    assert.deepEqual(j.servers.map(({ cmd, ...s }) => ({ ...s, cmd: cmd !== undefined })), [
      { name: 'master-19200', kind: 'master', pidFile: path.join(run, 'master-19200.pid'), pid: server.pid, running: true, cmd: true },
      { name: 'master', kind: 'master', pidFile: path.join(run, 'master.pid'), running: false, cmd: false },
      { name: 'worker', kind: 'worker', pidFile: path.join(run, 'worker.pid'), pid: other.pid, running: false, cmd: false },
    ]);
  } finally {
    killQuietly(server); killQuietly(other);
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('probeBasics with the expected hashes: the same run answers the install\'s facts; with other hashes, none', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-probe-'));
  try {
    fs.mkdirSync(path.join(home, 'conf'));
    fs.writeFileSync(path.join(home, 'conf', 'alluxio-site.properties'), 'alluxio.master.hostname=h1\n');
    fs.writeFileSync(path.join(home, '.install-hash'), 'feed\n');
    fs.symlinkSync(path.join(INSTALL_ROOT, 'dist'), path.join(home, 'dist'));
    const probe = (installHash: string) => {
      const argv = b.probeBasics(home, path.join(home, 'run'), { installHash, confHash: confHash(path.join(home, 'conf')), flags: { 'alluxio.master.hostname': 'h9' } });
      const r = spawnSync('sh', ['-c', toShell(argv)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const reply = parseReply('probe', 'h1', { code: r.status!, stdout: r.stdout, stderr: r.stderr });
      assert.ok(reply.ok);
      return reply.result;
    };
    const current = probe('feed');
    assert.equal(current.factsError, undefined, JSON.stringify(current.factsError));
    assert.equal(current.facts?.hostname, os.hostname());
    assert.equal(current.facts?.master.running, false);
    const stale = probe('other');
    assert.equal(stale.facts, undefined);
    assert.equal(stale.installHash, 'feed');
  } finally { fs.rmSync(home, { recursive: true, force: true }); }
});

test('envChecks: a busy port and an unwritable dir fail, a free port and a creatable dir pass', async () => {
  const net = await import('node:net');
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '0.0.0.0', () => r()));
  const busyPort = (busy.address() as import('node:net').AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-env-'));
  try {
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    const argv = b.envChecks({ ports: [['busy', busyPort]], dirs: [['new', path.join(dir, 'a', 'b')], ['ro', path.join(ro, 'x')]], sudo: false });
    const r = spawnSync('sh', ['-c', toShell(argv)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { check: string; ok: boolean; detail: string }[];
    assert.deepEqual(out.map((x) => [x.check, x.ok]), [['busy', false], ['new', true], ['ro', isRoot]]);
    assert.equal(out[0]!.detail, `port ${busyPort} is in use (EADDRINUSE)`);
    assert.equal(out[1]!.detail, `${path.join(dir, 'a', 'b')} is writable (created under ${dir})`);
  } finally {
    busy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * diffConf's controller (src/orchestrate/diffConf.ts) with a fake executor: it sends the conf dir
 * as a gzip'd tar on stdin, reads only the configProbe replies, scopes each differing key, and
 * reports; it never pushes nor locks. Cases: a diff needing restarts, no diff, a CLIENT-only diff,
 * a host that fails (a typed failure, garbage, a timeout) and a host with a stale install.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { loadConfig } from '../../src/conf/index.js';
import { INSTALL_ROOT } from '../../src/conf/installRoot.js';
import { ConfigError, TimeoutError } from '../../src/errors.js';
import { ClusterSession } from '../../src/orchestrate/cluster.js';
import { clusterDiffConf, keyScope } from '../../src/orchestrate/diffConf.js';
import type { Executor, ExecResult } from '../../src/orchestrate/executor.js';
import { confHash, installHash } from '../../src/orchestrate/install.js';
import { errorReply, okReply, type ConfigProcess } from '../../src/orchestrate/protocol.js';
import { diffProperties } from '../../src/orchestrate/local/configProbe.js';
import { tmpDir } from './helpers.js';

const M = 'm1.invalid';
const W = 'w1.invalid';
const TIMEOUT = 'alluxio.master.worker.timeout';
const WRITETYPE = 'alluxio.user.file.writetype.default';
const HB = 'alluxio.worker.block.heartbeat.interval';

type Answer = (args: string[]) => Partial<ExecResult> | 'timeout';
const json = (o: unknown) => `${JSON.stringify(o)}\n`;
const probeOk = (host: string, processes: ConfigProcess[]): Answer => () => ({ stdout: json(okReply('configProbe', host, { processes })) });
const running = (kind: 'master' | 'worker', diff: ConfigProcess['diff']): ConfigProcess => ({ kind, name: kind, running: true, pid: 7, configHash: 'old', expectedHash: diff!.length ? 'new' : 'old', diff });

class FakeExecutor implements Executor {
  /** Every command run: [host, argv, stdin]. */
  readonly runs: [string, readonly string[], Buffer | undefined][] = [];
  constructor(private readonly answers: Map<string, Answer>, private readonly hashes: Map<string, { install: string; conf: string }>) {}
  isLocal(): boolean { return false; }
  async run(host: string, argv: readonly string[], _o?: unknown, input?: Buffer): Promise<ExecResult> {
    this.runs.push([host, argv, input]);
    const res = (r: Partial<ExecResult>): ExecResult => ({ host, code: 0, stdout: '', stderr: '', ms: 1, ...r });
    if (argv[0] === 'node') {
      const h = this.hashes.get(host)!;
      return res({ stdout: json(okReply('probe', host, { node: process.version, installHash: h.install, confHash: h.conf, hostname: host, timeMs: Date.now(), servers: [] })) });
    }
    assert.ok(argv[0]!.endsWith('/bin/alluxio'), argv.join(' '));
    const a = this.answers.get(host)!(argv.slice(1).filter((x) => x !== '--json'));
    if (a === 'timeout') throw new TimeoutError(`[${host}] configProbe timed out after 60 s`);
    return res(a);
  }
  runWithInput(host: string, argv: readonly string[], input: Readable | Buffer, o?: unknown): Promise<ExecResult> {
    return this.run(host, argv, o, input as Buffer);
  }
  async close(): Promise<void> { /* nothing */ }
}

async function session(answers: Record<string, Answer>, o: { json?: boolean; stale?: string } = {}) {
  const dir = tmpDir();
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(conf);
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), `alluxio.home=/opt/alluxio\nalluxio.work.dir=${dir}/work\n${TIMEOUT}=10min\n`);
  fs.writeFileSync(path.join(conf, 'masters'), `${M}\n`);
  fs.writeFileSync(path.join(conf, 'workers'), `${W}\n`);
  const c = loadConfig({ flags: {}, env: { ALLUXIO_CONF_DIR: conf }, home: INSTALL_ROOT });
  const current = { install: installHash(INSTALL_ROOT), conf: confHash(conf) };
  const hashes = new Map([M, W].map((h) => [h, h === o.stale ? { install: 'other', conf: 'other' } : current]));
  const exec = new FakeExecutor(new Map(Object.entries(answers)), hashes);
  const out: string[] = [];
  const s = await ClusterSession.open(c, { parallel: 4, dryRun: false, json: o.json ?? false, acceptNewHostKeys: false }, 'alluxio diffConf', {}, { out: (l) => out.push(l), err: (l) => out.push(l) }, exec);
  return { s, exec, out };
}

/** Nothing but the probe and configProbe ran (no push, no lock, no audit), and configProbe got the conf dir as a gzip'd tar. */
function assertReadOnly(exec: FakeExecutor): void {
  for (const [, argv, input] of exec.runs) {
    if (argv[0] === 'node') continue;
    assert.equal(argv[1], 'configProbe', argv.join(' '));
    assert.ok(input, 'configProbe gets the conf on stdin');
    assert.ok(zlib.gunzipSync(input).includes('alluxio-site.properties'), 'the tar holds the site file');
  }
}

test('keyScope and diffProperties: scopes from the schema; only differing keys, in key order', () => {
  assert.deepEqual(keyScope(TIMEOUT), { scope: 'MASTER', affects: ['master'] });
  assert.deepEqual(keyScope(WRITETYPE), { scope: 'CLIENT', affects: [] });
  assert.deepEqual(keyScope(HB), { scope: 'WORKER', affects: ['worker'] });
  assert.deepEqual(keyScope('alluxio.master.mount.table.root.ufs'), { scope: 'SERVER', affects: ['master', 'worker'] });
  assert.deepEqual(diffProperties({ b: '1', a: 'x', c: '' }, { a: 'y', b: '1', d: 'new' }), [
    { key: 'a', old: 'x', new: 'y' }, { key: 'd', old: '', new: 'new' },
  ]);
});

test('diffConf: a MASTER and a CLIENT key differ: per process the keys, what each affects, who needs a restart', async () => {
  const diff = [{ key: TIMEOUT, old: '5min', new: '10min' }, { key: WRITETYPE, old: 'ASYNC_THROUGH', new: 'CACHE_THROUGH' }];
  const { s, exec, out } = await session({ [M]: probeOk(M, [running('master', diff)]), [W]: probeOk(W, [running('worker', diff)]) });
  try {
    assert.equal(await clusterDiffConf(s, 'all'), 0);
  } finally { await s.close(); }
  assertReadOnly(exec);
  assert.deepEqual(exec.runs.filter(([, a]) => a[0] !== 'node').map(([h, a]) => [h, a.slice(1)]), [[M, ['configProbe', 'master', '--json']], [W, ['configProbe', 'worker', '--json']]]);
  const text = out.join('\n');
  assert.ok(text.includes([
    `[${M}] master: 2 keys differ (restart needed)`,
    `  ${TIMEOUT}: 5min -> 10min (MASTER: restart masters)`,
    `  ${WRITETYPE}: ASYNC_THROUGH -> CACHE_THROUGH (CLIENT: clients only: no restart needed)`,
    `[${W}] worker: 2 keys differ (no restart needed)`,
    `  ${TIMEOUT}: 5min -> 10min (MASTER: masters only: no restart of this worker)`,
    `  ${WRITETYPE}: ASYNC_THROUGH -> CACHE_THROUGH (CLIENT: clients only: no restart needed)`,
  ].join('\n')), text);
  assert.ok(out.includes(`Would need a restart: ${M} master`), text);
});

test('diffConf: no differences, and a process that does not run', async () => {
  const { s, out } = await session({ [M]: probeOk(M, [running('master', [])]), [W]: probeOk(W, [{ kind: 'worker', name: 'worker', running: false }]) });
  try {
    assert.equal(await clusterDiffConf(s, 'all'), 0);
  } finally { await s.close(); }
  assert.ok(out.includes(`[${M}] master: no differences`), out.join('\n'));
  assert.ok(out.includes(`[${W}] worker: not running`), out.join('\n'));
  assert.ok(out.includes('No differences: every running process uses what conf/ gives it'), out.join('\n'));
});

test('diffConf: a CLIENT-only change restarts nothing (--json)', async () => {
  const diff = [{ key: WRITETYPE, old: 'ASYNC_THROUGH', new: 'THROUGH' }];
  const { s, out } = await session({ [M]: probeOk(M, [running('master', diff)]), [W]: probeOk(W, [running('worker', diff)]) }, { json: true });
  try {
    assert.equal(await clusterDiffConf(s, 'all'), 0);
  } finally { await s.close(); }
  const doc = JSON.parse(out.join('\n')) as { ok: boolean; restart: string[]; hosts: { host: string; processes: { restart: boolean; diff: { key: string; scope: string; affects: string[] }[] }[] }[] };
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.restart, []);
  assert.deepEqual(doc.hosts.map((h) => [h.host, h.processes.map((p) => [p.restart, p.diff.map((d) => [d.key, d.scope, d.affects])])]), [
    [M, [[false, [[WRITETYPE, 'CLIENT', []]]]]], [W, [[false, [[WRITETYPE, 'CLIENT', []]]]]],
  ]);
});

test('diffConf: only the asked role; a WORKER key restarts the worker', async () => {
  const { s, exec, out } = await session({ [W]: probeOk(W, [running('worker', [{ key: HB, old: '1sec', new: '2sec' }])]) });
  try {
    assert.equal(await clusterDiffConf(s, 'workers'), 0);
  } finally { await s.close(); }
  assert.deepEqual([...new Set(exec.runs.map(([h]) => h))], [W]);
  assert.ok(out.includes(`  ${HB}: 1sec -> 2sec (WORKER: restart workers)`), out.join('\n'));
  assert.ok(out.includes(`Would need a restart: ${W} worker`), out.join('\n'));
});

for (const [name, answer, expected] of [
  ['a typed failure', () => ({ code: 1, stdout: json(errorReply('configProbe', W, new ConfigError('bad site file', { hint: 'fix it' }))) }), /bad site file/],
  ['garbage', () => ({ code: 1, stdout: 'segfault\n' }), /configProbe: the reply is not JSON/],
  ['a timeout', () => 'timeout' as const, /timed out/],
] as [string, Answer, RegExp][]) {
  test(`diffConf: a host that cannot be asked (${name}) fails in the summary, exit 1; the others are reported`, async () => {
    const { s, out } = await session({ [M]: probeOk(M, [running('master', [])]), [W]: answer });
    let code: number;
    try {
      code = await clusterDiffConf(s, 'all');
    } finally { await s.close(); }
    assert.equal(code, 1);
    const text = out.join('\n');
    assert.ok(out.includes(`[${M}] master: no differences`), text);
    assert.match(text, new RegExp(`\\[${W}\\] FAILED diffConf: .*${expected.source}`), text);
    assert.ok(text.includes(`1 host(s) failed: ${W}`), text);
  });
}

test('diffConf: a host whose install is not this one is not asked and fails with a hint (nothing pushed)', async () => {
  const { s, exec, out } = await session({ [M]: probeOk(M, [running('master', [])]), [W]: probeOk(W, []) }, { stale: W });
  let code: number;
  try {
    code = await clusterDiffConf(s, 'all');
  } finally { await s.close(); }
  assert.equal(code, 1);
  assertReadOnly(exec);
  assert.ok(!exec.runs.some(([h, a]) => h === W && a[0] !== 'node'), 'the stale host runs nothing but the probe');
  assert.match(out.join('\n'), /FAILED diffConf: \[w1\.invalid\] the install in \/opt\/alluxio is not this one[^\n]*\n\[w1\.invalid\]\s+Hint: push the install first/);
  assert.ok(out.includes('No differences on the hosts that answered (1 host(s) could not be asked)'), out.join('\n'));
});

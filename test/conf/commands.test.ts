import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import type { CliContext } from '../../src/commands/context.js';
import * as getConf from '../../src/commands/getConf.js';
import * as validateConf from '../../src/commands/validateConf.js';
import * as fsadmin from '../../src/commands/fsadmin.js';
import { loadConfig, type Config } from '../../src/conf/index.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { makeHome } from './helpers.js';

interface Run { out: string[]; err: string[]; exitCode: number; error?: unknown }

async function run(args: string[], site?: string, flags: Record<string, string> = {}, env: Record<string, string> = {}): Promise<Run & { file: string; home: string }> {
  const h = makeHome(site);
  const r: Run = { out: [], err: [], exitCode: 0 };
  let cached: Config | undefined;
  const ctx: CliContext = {
    flags,
    conf: () => (cached ??= loadConfig({ home: h.home, flags, env })),
    out: (l) => { r.out.push(l); },
    err: (l) => { r.err.push(l); },
    setExitCode: (c) => { if (c !== 0) r.exitCode = c; },
  };
  const program = new Command('alluxio').exitOverride();
  program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  getConf.register(program, ctx);
  validateConf.register(program, ctx);
  fsadmin.register(program, ctx);
  for (const c of program.commands) c.exitOverride();
  try { await program.parseAsync(args, { from: 'user' }); } catch (e) { r.error = e; }
  return { ...r, file: h.file, home: h.home };
}

test('getConf: one key prints its resolved value', async () => {
  const r = await run(['getConf', 'alluxio.master.journal.folder'], 'alluxio.work.dir=/data\n');
  assert.deepEqual(r.out, ['/data/journal']);
});

test('getConf: an unset key prints an empty line', async () => {
  assert.deepEqual((await run(['getConf', 'alluxio.master.hostname'])).out, ['']);
});

test('getConf: an alias prints the canonical value', async () => {
  assert.deepEqual((await run(['getConf', 'alluxio.underfs.address'], 'alluxio.master.mount.table.root.ufs=/u\n')).out, ['/u']);
});

test('getConf --source: the source only', async () => {
  const r = await run(['getConf', '--source', 'alluxio.master.hostname'], '\nalluxio.master.hostname=m1\n');
  assert.deepEqual(r.out, [`SITE_PROPERTY (${r.file}:2)`]);
  assert.deepEqual((await run(['getConf', '--source', 'alluxio.master.rpc.port'])).out, ['DEFAULT']);
  assert.deepEqual((await run(['getConf', '--source', 'alluxio.master.rpc.port'], undefined, { 'alluxio.master.rpc.port': '1' })).out, ['SYSTEM_PROPERTY']);
  assert.deepEqual((await run(['getConf', '--source', 'alluxio.master.hostname'], undefined, {}, { ALLUXIO_MASTER_HOSTNAME: 'x' })).out,
    ['ENVIRONMENT (ALLUXIO_MASTER_HOSTNAME)']);
});

const UNITS: Array<[string[], string, string]> = [
  [['--unit', 'KB'], 'alluxio.user.block.size.bytes.default', '65536'],
  [['--unit', 'mb'], 'alluxio.user.block.size.bytes.default', '64'],
  [['--unit', 'GB'], 'alluxio.user.block.size.bytes.default', '0'],
  [['--unit', 'SEC'], 'alluxio.master.worker.timeout', '300'],
  [['--unit', 'MIN'], 'alluxio.master.worker.timeout', '5'],
  [['--unit', 'MS'], 'alluxio.master.embedded.journal.election.timeout.min', '300'],
];
for (const [opt, key, want] of UNITS) {
  test(`getConf ${opt.join(' ')} ${key} = ${want}`, async () => {
    assert.deepEqual((await run(['getConf', ...opt, key])).out, [want]);
  });
}

test('getConf --unit: a bad unit or a value of another kind is a ConfigError', async () => {
  const bad = await run(['getConf', '--unit', 'XB', 'alluxio.user.block.size.bytes.default']);
  assert.ok(bad.error instanceof ConfigError);
  assert.equal(bad.error.message, 'XB is not a valid unit');
  const kind = await run(['getConf', '--unit', 'MB', 'alluxio.master.worker.timeout']);
  assert.ok(kind.error instanceof ConfigError);
  assert.equal(kind.error.message, 'alluxio.master.worker.timeout: "5min" is not a size (e.g. 512MB, 1GB)');
});

test('getConf: no key prints every key=value, sorted', async () => {
  const r = await run(['getConf'], 'alluxio.master.hostname=m1\n');
  const conf = loadConfig({ home: r.home, env: {} });
  assert.deepEqual(r.out, conf.keys().map((k) => `${k}=${conf.get(k)}`));
  assert.ok(r.out.includes('alluxio.master.hostname=m1'));
  assert.deepEqual(r.out.map((l) => l.split('=')[0]), [...conf.keys()].sort());
});

test('getConf --source with no key appends each source', async () => {
  const r = await run(['getConf', '--source'], 'alluxio.master.hostname=m1\n');
  assert.ok(r.out.includes(`alluxio.master.hostname=m1 (SITE_PROPERTY (${r.file}:1))`));
  assert.ok(r.out.includes('alluxio.master.rpc.port=19998 (DEFAULT)'));
});

test('getConf: unknown key', async () => {
  const r = await run(['getConf', 'alluxio.master.hostnam']);
  assert.ok(r.error instanceof UsageError); // a bad argument, exit 1 as Alluxio
  assert.equal(r.error.message, 'alluxio.master.hostnam is not a valid configuration key');
  assert.match(r.error.hint!, /^did you mean alluxio\.master\.hostname\? usage: alluxio getConf/);
});

test('getConf: more than one key', async () => {
  const r = await run(['getConf', 'alluxio.master.hostname', 'alluxio.master.rpc.port']);
  assert.ok(r.error instanceof UsageError);
  assert.equal(r.error.message, 'More arguments than expected. Args: [alluxio.master.hostname, alluxio.master.rpc.port]');
});

test('getConf: an invalid configuration is reported, not printed', async () => {
  const r = await run(['getConf', 'alluxio.master.hostname'], 'alluxio.master.rpc.port=x\n');
  assert.ok(r.error instanceof ConfigError);
  assert.deepEqual(r.error.problems, [`${r.file}:1: alluxio.master.rpc.port: "x" is not a valid port (1-65535)`]);
});

test('validateConf: valid', async () => {
  const r = await run(['validateConf'], 'alluxio.master.hostname=m1\n');
  assert.deepEqual([r.out, r.err, r.exitCode, r.error], [['Validating configuration.', 'Configuration is valid.'], [], 0, undefined]);
});

test('validateConf: valid with warnings', async () => {
  const r = await run(['validateConf'], 'alluxio.worker.memory.size=1GB\n');
  assert.deepEqual(r.out, ['Validating configuration.', 'Configuration is valid.']);
  assert.deepEqual(r.err, [`Warning: ${r.file}:1: alluxio.worker.memory.size is deprecated; use alluxio.worker.ramdisk.size`]);
});

test('validateConf: invalid lists every problem and exits 1', async () => {
  const r = await run(['validateConf'], 'alluxio.master.rpc.prot=1\nalluxio.zookeeper.enabled=maybe\n', { 'alluxio.master.web.port': 'x' });
  assert.deepEqual(r.out, ['Validating configuration.']);
  assert.deepEqual(r.err, [
    `${r.file}:1: unknown property "alluxio.master.rpc.prot" (did you mean "alluxio.master.rpc.port"?)`,
    `${r.file}:2: alluxio.zookeeper.enabled: "maybe" is not a boolean (true or false)`,
    '-Dalluxio.master.web.port: alluxio.master.web.port: "x" is not a valid port (1-65535)',
    'Configuration is invalid',
  ]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.error, undefined);
});

test('fsadmin journal quorum: with the UFS journal it says it applies to the embedded journal only (no master asked)', async () => {
  const site = 'alluxio.master.journal.type=UFS\nalluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181,zk2:2181\n';
  for (const args of [['info', '--domain', 'MASTER'], ['elect', '--address', 'm2:19200'], ['add', '--domain', 'MASTER', '--address', 'm4:19200']]) {
    const r = await run(['fsadmin', 'journal', 'quorum', ...args], site);
    assert.ok(r.error instanceof UsageError, String(r.error));
    assert.equal((r.error as UsageError).message,
      `fsadmin journal quorum ${args[0]} applies to the embedded journal only (alluxio.master.journal.type=EMBEDDED); this cluster uses alluxio.master.journal.type=UFS with ZooKeeper election (zk1:2181,zk2:2181)`);
    assert.match((r.error as UsageError).hint ?? '', /stop the leading master/);
  }
});

/**
 * Server logs (issue #15, point 4): levels per logger name, the rolling log file, the
 * log4j.properties settings, and a master and worker started by the real CLI writing and rolling
 * their own master.log / worker.log, with stdout and stderr in master.out / worker.out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, effectiveLevel, levelsSet, RollingFile, setLevel } from '../../src/log.js';
import { DEFAULT_MAX_BACKUPS, DEFAULT_MAX_FILE_BYTES, loadLogConf, parseLogConf } from '../../src/server/logConf.js';
import { ConfigError } from '../../src/errors.js';
import { cli, formatAndStartLocal, killFromPidFiles, makeCliEnv, logsOf, explain } from '../orchestrate/helpers.js';

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) \S+ - /;

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-log-test-'));
  return d;
}

test('levels: the nearest dotted parent wins, root is the default; DEBUG lines only when enabled', () => {
  const lines: string[] = [];
  const a = createLogger('alluxio.master.journal.Raft', (l) => lines.push(l));
  const b = createLogger('alluxio.worker.Store', (l) => lines.push(l));
  const before = levelsSet().root!;
  try {
    setLevel('root', 'INFO');
    a.debug('hidden'); a.info('shown a');
    setLevel('alluxio.master', 'DEBUG');
    assert.deepEqual([effectiveLevel('alluxio.master.journal.Raft'), effectiveLevel('alluxio.master'), effectiveLevel('alluxio.masterX'), effectiveLevel('alluxio.worker.Store')], ['DEBUG', 'DEBUG', 'INFO', 'INFO']);
    a.debug('debug a'); b.debug('hidden b');
    setLevel('alluxio.master.journal.Raft', 'ERROR');
    a.warn('hidden warn'); a.error('error a');
    setLevel('', 'OFF'); // '' is root
    b.error('hidden error b');
  } finally {
    setLevel('root', before);
    setLevel('alluxio.master', before);
    setLevel('alluxio.master.journal.Raft', before);
  }
  assert.deepEqual(lines.map((l) => l.replace(LINE, '')), ['shown a', 'debug a', 'error a']);
  for (const l of lines) assert.match(l, LINE);
  assert.match(lines[1]!, / DEBUG alluxio\.master\.journal\.Raft - debug a$/);
});

test('RollingFile: rolls past the size to .1, shifts up to MaxBackupIndex, drops the oldest', () => {
  const d = tmp();
  const f = path.join(d, 'master.log');
  const r = new RollingFile(f, 100, 2);
  for (let i = 0; i < 10; i++) r.write(`line ${i} ${'x'.repeat(40)}`); // 49 bytes each: a roll every 3 lines (>= 100)
  r.close();
  assert.deepEqual(fs.readdirSync(d).sort(), ['master.log', 'master.log.1', 'master.log.2']);
  const nums = (p: string) => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]));
  assert.deepEqual([nums(`${f}.2`), nums(`${f}.1`), nums(f)], [[3, 4, 5], [6, 7, 8], [9]]);
  fs.rmSync(d, { recursive: true });
});

test('RollingFile: MaxBackupIndex 0 truncates instead; an existing file counts toward the size', () => {
  const d = tmp();
  const f = path.join(d, 'worker.log');
  fs.writeFileSync(f, 'y'.repeat(90) + '\n');
  const r = new RollingFile(f, 100, 0);
  r.write('z'.repeat(20)); // 91 + 21 >= 100: truncated after this line
  r.write('after');
  r.close();
  assert.deepEqual(fs.readdirSync(d), ['worker.log']);
  assert.equal(fs.readFileSync(f, 'utf8'), 'after\n');
  fs.rmSync(d, { recursive: true });
});

const LOG4J: Array<[name: string, text: string, appender: 'MASTER_LOGGER' | 'WORKER_LOGGER', want: object | string[]]> = [
  ['empty: defaults', '', 'MASTER_LOGGER', { rootLevel: undefined, levels: {}, maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxBackups: DEFAULT_MAX_BACKUPS }],
  ['Alluxio lines', 'log4j.rootLogger=WARN, ${alluxio.logger.type}\nlog4j.logger.alluxio.master=debug\nlog4j.appender.MASTER_LOGGER.MaxFileSize=2MB\nlog4j.appender.MASTER_LOGGER.MaxBackupIndex=7\nlog4j.appender.WORKER_LOGGER.MaxFileSize=1KB\nlog4j.appender.MASTER_LOGGER.layout=org.apache.log4j.PatternLayout\n',
    'MASTER_LOGGER', { rootLevel: 'WARN', levels: { 'alluxio.master': 'DEBUG' }, maxFileBytes: 2 * 1024 * 1024, maxBackups: 7 }],
  ['the worker reads its own appender', 'log4j.appender.MASTER_LOGGER.MaxFileSize=2MB\nlog4j.appender.WORKER_LOGGER.MaxFileSize=1KB\nlog4j.appender.WORKER_LOGGER.MaxBackupIndex=0\n',
    'WORKER_LOGGER', { rootLevel: undefined, levels: {}, maxFileBytes: 1024, maxBackups: 0 }],
  ['bad values, every one named', 'log4j.rootLogger=LOUD, X\nlog4j.appender.MASTER_LOGGER.MaxFileSize=big\nlog4j.appender.MASTER_LOGGER.MaxBackupIndex=-1\nlog4j.logger.a=x\n', 'MASTER_LOGGER', [
    'F:1: log4j.rootLogger: "LOUD" is not a log level (one of TRACE, DEBUG, INFO, WARN, ERROR, OFF)',
    'F:2: log4j.appender.MASTER_LOGGER.MaxFileSize: "big" is not a positive size (e.g. 10MB)',
    'F:3: log4j.appender.MASTER_LOGGER.MaxBackupIndex: "-1" is not a whole number of files (0 or more)',
    'F:4: log4j.logger.a: "x" is not a log level (one of TRACE, DEBUG, INFO, WARN, ERROR, OFF)',
  ]],
];
for (const [name, text, appender, want] of LOG4J) {
  test(`log4j.properties: ${name}`, () => {
    if (Array.isArray(want)) {
      assert.throws(() => parseLogConf(text, 'F', appender), (e: unknown) => e instanceof ConfigError && assert.deepEqual(e.problems, want) === undefined);
    } else {
      assert.deepEqual(parseLogConf(text, 'F', appender), want);
    }
  });
}

test('log4j.properties: no file means the defaults', () => {
  const d = tmp();
  assert.deepEqual(loadLogConf(d, 'WORKER_LOGGER'), { rootLevel: undefined, levels: {}, maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxBackups: DEFAULT_MAX_BACKUPS });
  fs.rmSync(d, { recursive: true });
});

test('a master and a worker started by the CLI write and roll their own logs; stdout/stderr go to .out', async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  // A tiny master.log so that start-up alone rolls it (at most 2 old files); the worker logs WARN and up only.
  fs.writeFileSync(path.join(e.confDir, 'log4j.properties'), [
    'log4j.rootLogger=INFO, ${alluxio.logger.type}',
    'log4j.logger.AlluxioWorker=WARN',
    'log4j.appender.MASTER_LOGGER.MaxFileSize=200B', 'log4j.appender.MASTER_LOGGER.MaxBackupIndex=2', '',
  ].join('\n'));
  const why = explain(e);
  await formatAndStartLocal(e);
  const r = await cli(e, ['stop', 'local']);
  assert.equal(r.code, 0, why(r));
  const files = fs.readdirSync(e.logsDir).sort();
  const read = (f: string) => fs.readFileSync(path.join(e.logsDir, f), 'utf8');
  const masterLogs = files.filter((n) => n.startsWith('master.log'));
  assert.deepEqual(masterLogs, ['master.log', 'master.log.1', 'master.log.2'], `master.log rolled, at most 2 old files kept:\n${logsOf(e.logsDir)}`);
  for (const f of masterLogs) {
    const lines = read(f).split('\n').filter((x) => x && !x.startsWith('----- '));
    assert.ok(lines.length >= 1 && lines.every((l) => LINE.test(l)), `${f}: every line has a timestamp, level and logger:\n${read(f)}`);
  }
  assert.match(read('master.log'), / INFO  AlluxioMaster - Stopped/);
  // The worker's level: WARN and up only, so none of its INFO lines.
  assert.doesNotMatch(read('worker.log'), / INFO  AlluxioWorker/, read('worker.log'));
  for (const kind of ['master', 'worker']) {
    // stdout/stderr: the launch banner and nothing else (no log line went to stdout)
    const out = read(`${kind}.out`);
    assert.match(out, /^----- .* launching /);
    assert.doesNotMatch(out, LINE);
  }
});

test('a bad log4j.properties: the server does not start, and the error names the file and key', async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  fs.writeFileSync(path.join(e.confDir, 'log4j.properties'), 'log4j.appender.MASTER_LOGGER.MaxFileSize=lots\n');
  let r = await cli(e, ['format']);
  assert.equal(r.code, 0);
  r = await cli(e, ['start', 'master']);
  assert.notEqual(r.code, 0);
  assert.match(`${r.stdout}${r.stderr}`, /log4j\.properties:1: log4j\.appender\.MASTER_LOGGER\.MaxFileSize: "lots" is not a positive size/);
});

test('alluxio logLevel changes and shows a running master\'s and worker\'s levels; the web action wants the cluster secret', async (t) => {
  const e = await makeCliEnv({ 'alluxio.worker.block.heartbeat.interval': '100ms' });
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  await formatAndStartLocal(e);
  const workerLog = () => fs.readFileSync(path.join(e.logsDir, 'worker.log'), 'utf8');
  assert.doesNotMatch(workerLog(), / DEBUG /);

  // Show, set on every master and worker, show again.
  let r = await cli(e, ['logLevel', '--logName=AlluxioWorker', '--target=master,workers']);
  assert.equal(r.code, 0, why(r));
  assert.deepEqual(r.stdout.split('\n').filter(Boolean).map((l) => l.replace(/ \S+:\d+:/, ' X:')).sort(), ['master X: AlluxioWorker is at level INFO', 'worker X: AlluxioWorker is at level INFO']);
  r = await cli(e, ['logLevel', '--logName=AlluxioWorker', '--level=debug']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^worker \S+: AlluxioWorker is at level DEBUG$/m);
  // The worker now writes its DEBUG lines (a heartbeat every 100 ms).
  const t0 = Date.now();
  while (!/ DEBUG AlluxioWorker - Heartbeat: /.test(workerLog()) && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 100));
  assert.match(workerLog(), / DEBUG AlluxioWorker - Heartbeat: /);
  // host:port targets, the role from :worker (not a default port)
  r = await cli(e, ['logLevel', '--logName=AlluxioWorker', `--target=localhost:${e.ports.workerWeb}:worker`, '--level=INFO']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, `worker localhost:${e.ports.workerWeb}: AlluxioWorker is at level INFO\n`);

  // Usage errors, before any network
  r = await cli(e, ['logLevel', '--logName=x', `--target=localhost:${e.ports.workerWeb}`]);
  assert.notEqual(r.code, 0, why(r));
  assert.match(r.stderr, /port \d+ is not a default web port .*\nHint: add the role/);
  r = await cli(e, ['logLevel', '--logName=x', '--level=LOUD']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--level LOUD is not a log level\nHint: one of TRACE, DEBUG, INFO, WARN, ERROR, OFF/);
  // A target that does not answer: named, exit 1.
  r = await cli(e, ['logLevel', '--logName=x', '--target=127.0.0.1:1:master']);
  assert.equal(r.code, 1, why(r));
  assert.match(r.stderr, /^master 127\.0\.0\.1:1: /);

  // The web action itself: POST only, and only with the cluster secret.
  const url = `http://localhost:${e.ports.masterWeb}/api/v1/master/logLevel?logName=root&level=OFF`;
  assert.equal((await fetch(url)).status, 405);
  assert.equal((await fetch(url, { method: 'POST' })).status, 403);
  assert.equal((await fetch(url, { method: 'POST', headers: { 'x-alluxio-cluster-secret': '0'.repeat(64) } })).status, 403);
  r = await cli(e, ['logLevel', '--logName=root', '--target=master']);
  assert.match(r.stdout, /root is at level INFO/, 'the refused calls changed nothing');
  r = await cli(e, ['stop', 'local']);
  assert.equal(r.code, 0, why(r));
});

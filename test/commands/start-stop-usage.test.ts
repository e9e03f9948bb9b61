/**
 * `alluxio start` / `alluxio stop` / format family through the real CLI (node dist/src/cli.js):
 * usage errors, exact messages and exit codes. Nothing here starts a server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStartArgs, START_USAGE } from '../../src/commands/start.js';
import { parseStopArgs, STOP_USAGE } from '../../src/commands/stop.js';
import { JOURNAL_MARKER } from '../../src/journal/format.js';
import { cli, makeCliEnv } from '../orchestrate/helpers.js';

const HOST = os.hostname();

test('parseStartArgs: options, ACTION, MOPT and the -f quirk', () => {
  assert.deepEqual(parseStartArgs(['local']), { action: 'local', async: false, format: false, mountMode: 'NoMount', mountNote: 'Assuming NoMount by default.' });
  assert.deepEqual(parseStartArgs(['-a', 'master']), { action: 'master', async: true, format: false });
  assert.deepEqual(parseStartArgs(['-aN', 'master', '-f']), { action: 'master', async: true, format: true });
  assert.deepEqual(parseStartArgs(['worker', 'Mount']), { action: 'worker', async: false, format: false, mountMode: 'Mount' });
  assert.deepEqual(parseStartArgs(['local', 'SudoMount', '-f']), { action: 'local', async: false, format: true, mountMode: 'SudoMount' });
  // `-f` in the MOPT position: SudoMount (Alluxio quirk) and format
  assert.deepEqual(parseStartArgs(['worker', '-f']),
    { action: 'worker', async: false, format: true, mountMode: 'SudoMount', mountNote: 'Assuming SudoMount given -f option.' });
  // master takes no MOPT
  assert.deepEqual(parseStartArgs(['master', 'NoMount']), { error: 'Invalid argument: NoMount' });
  assert.deepEqual(parseStartArgs([]), { error: 'no ACTION specified' });
  assert.deepEqual(parseStartArgs(['-a']), { error: 'no ACTION specified' });
  assert.deepEqual(parseStartArgs(['bogus']), { error: 'Invalid ACTION: bogus' });
  assert.deepEqual(parseStartArgs(['-x', 'master']), { error: 'Invalid option: -x' });
  assert.throws(() => parseStartArgs(['worker', 'mount']), /Invalid mount mode: mount/);
});

test('parseStopArgs', () => {
  assert.deepEqual(parseStopArgs([]), { soft: false });
  assert.deepEqual(parseStopArgs(['local']), { action: 'local', soft: false });
  assert.deepEqual(parseStopArgs(['worker', '-s']), { action: 'worker', soft: true });
  assert.deepEqual(parseStopArgs(['bogus']), { error: 'Invalid component: bogus' });
  assert.deepEqual(parseStopArgs(['master', 'worker']), { error: 'Invalid argument: worker' });
  assert.deepEqual(parseStopArgs(['master', '-k']), { error: 'Invalid option: -k' });
});

test('start with no ACTION: error + usage on stderr, exit 1', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `Error: no ACTION specified\n${START_USAGE}\n`);
});

test('start bogus: Invalid ACTION + usage, exit 1', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start', 'bogus']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `Error: Invalid ACTION: bogus\n${START_USAGE}\n`);
});

test('start -x master / start master extra: usage errors, exit 1', async () => {
  const e = await makeCliEnv();
  let r = await cli(e, ['start', '-x', 'master']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: Invalid option: -x\n${START_USAGE}\n`);
  r = await cli(e, ['start', 'master', 'extra']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: Invalid argument: extra\n${START_USAGE}\n`);
});

test('start worker Foo: Invalid mount mode, exit 1, nothing started', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start', 'worker', 'Foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Error: Invalid mount mode: Foo\nHint: use one of Mount, SudoMount, NoMount (case-sensitive)\n');
  assert.equal(fs.existsSync(e.runDir), false);
});

test('start -h: help with every action on stdout, exit 0', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start', '-h']);
  assert.equal(r.code, 0);
  for (const a of ['all', 'local', 'master', 'masters', 'worker', 'workers', 'Mount', 'SudoMount', 'NoMount']) {
    assert.match(r.stdout, new RegExp(`^  ${a} `, 'm'), a);
  }
  assert.match(r.stdout, /^Examples:$/m);
});

test('stop with no ACTION: usage on stdout, exit 0, nothing killed', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['stop']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${STOP_USAGE}\n`);
  assert.equal(r.stderr, '');
});

test('stop bogus: Invalid component + usage, exit 1', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['stop', 'bogus']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `Error: Invalid component: bogus\n${STOP_USAGE}\n`);
});

test('stop master with nothing running: Killed 0, exit 0', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['stop', 'master']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `Killed 0 process(es) on ${HOST}\n`);
});

test('start master with an unformatted journal: refused before anything is spawned', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start', 'master']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const journal = path.join(e.workDir, 'journal');
  assert.equal(r.stderr,
    `Error: the journal folder ${journal} (alluxio.master.journal.folder) is not formatted\n`
    + "Hint: run 'alluxio format' (or 'alluxio formatJournal') first, or start with -f; it is never formatted implicitly\n");
  assert.equal(fs.existsSync(path.join(e.runDir, 'master.pid')), false);
  assert.equal(fs.existsSync(path.join(e.logsDir, 'master.log')), false);
});

test('start -a worker Mount with a non-MEM level 0: Mount failed, not starting worker', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['start', '-a', 'worker', 'Mount', '-Dalluxio.worker.tieredstore.level0.alias=SSD']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Mount failed, not starting worker\n'
    + "Error: Can't Mount/SudoMount when alluxio.worker.tieredstore.level0.alias is not MEM (it is SSD)\n"
    + 'Hint: use NoMount, or set the level-0 alias to MEM\n');
  assert.equal(fs.existsSync(path.join(e.runDir, 'worker.pid')), false);
});

test('format: bad arguments are a usage error', async () => {
  const e = await makeCliEnv();
  for (const args of [['format', 'a'], ['format', '-s', '-s'], ['format', '-x'], ['formatJournal', 'x']]) {
    const r = await cli(e, args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /^Error: (Invalid|Unexpected) arguments: /);
  }
});

test('format, format -s, formatMaster, formatWorker on this host', async () => {
  const e = await makeCliEnv();
  const journal = path.join(e.workDir, 'journal');
  const data = path.join(e.ramdisk, 'alluxioworker');
  // conf/masters and conf/workers name localhost: driven directly, without SSH.
  let r = await cli(e, ['format']);
  assert.equal(r.code, 0, r.stderr);
  for (const line of [
    'Formatting masters', `[localhost] Formatting Alluxio Master @ ${HOST}`, `[localhost] Formatted journal ${journal}`,
    'Formatting workers', `[localhost] Formatting Alluxio Worker @ ${HOST}`, `[localhost] Created ${data} (mode 1777)`,
  ]) assert.ok(r.stdout.split('\n').includes(line), `missing "${line}" in:\n${r.stdout}`);
  assert.match(r.stdout, /^localhost +format journal +changed +formatted$/m);
  assert.match(r.stdout, /^localhost +format worker +changed +formatted$/m);
  assert.ok(fs.existsSync(path.join(journal, JOURNAL_MARKER)));
  assert.equal(fs.statSync(data).mode & 0o7777, 0o1777);

  fs.writeFileSync(path.join(data, '42'), 'block');
  r = await cli(e, ['format', '-s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Journal .* is already formatted; skipping it \(-s\)/);
  assert.match(r.stdout, /Worker data folder .* exists; skipping it \(-s\)/);
  assert.ok(fs.existsSync(path.join(data, '42')));

  r = await cli(e, ['formatWorker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Formatting Alluxio Worker @ ${HOST}\nDeleted ${data}\nCreated ${data} (mode 1777)\nFormatting complete\n`);
  assert.equal(fs.existsSync(path.join(data, '42')), false);

  fs.writeFileSync(path.join(journal, 'log.0'), 'entries');
  r = await cli(e, ['formatMaster']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `formatMaster is deprecated - use formatMasters instead\nFormatting Alluxio Master @ ${HOST}\n`
    + `Deleted ${path.join(journal, 'log.0')}\nFormatted journal ${journal}\nFormatting complete\n`);

  r = await cli(e, ['formatMasters']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[localhost\] Formatting complete$/m);
  assert.doesNotMatch(r.stdout, /format worker/);
});

test('format refuses a journal folder that is alluxio.home, deleting nothing', async () => {
  const e = await makeCliEnv();
  fs.writeFileSync(path.join(e.home, 'precious'), 'x');
  const r = await cli(e, ['format', `-Dalluxio.master.journal.folder=${e.home}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: 2 configuration problems:\n {2}\[localhost\] refusing to format .*alluxio\.home/);
  assert.match(r.stderr, /\n {2}nothing was formatted on any host\n/);
  assert.ok(fs.existsSync(path.join(e.home, 'precious')));
  assert.equal(fs.existsSync(path.join(e.ramdisk, 'alluxioworker')), false, 'worker storage untouched too');
});

test('stop master --port P naming no master of this host is a usage error that stops nothing', async () => {
  const e = await makeCliEnv();
  const r = await cli(e, ['stop', 'master', '--port', '12345']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^Error: no master of this host has embedded journal port 12345; this host's masters: \d+\n/);
  assert.doesNotMatch(r.stdout, /Killed/);
});

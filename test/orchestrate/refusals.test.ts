/** Each refusal, tested once where it is decided (src/orchestrate/refusals.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, HostError } from '../../src/errors.js';
import { formatPathRefusals, formatWhileRunning, journalFormat, startUnformatted, workerFormat } from '../../src/orchestrate/refusals.js';

test('format while something runs: nothing running is no refusal', () => {
  assert.equal(formatWhileRunning('host', []), undefined);
  assert.equal(formatWhileRunning('cluster', []), undefined);
});

test('format while something runs, on one host: names each process, the hint stops them', () => {
  const one = formatWhileRunning('host', [{ name: 'master', host: 'h1', pid: 5 }]);
  assert.ok(one instanceof HostError);
  assert.equal(one.message, '[h1] cannot format while the master (pid 5) is running on this host');
  assert.equal(one.hint, 'stop it first: alluxio-stop.sh local (or alluxio stop master / alluxio stop worker)');
  const two = formatWhileRunning('host', [{ name: 'master-19200', host: 'h1', pid: 5 }, { name: 'master-19201', host: 'h1', pid: 6 }]);
  assert.equal(two!.message, '[h1] cannot format while the master-19200 (pid 5) and the master-19201 (pid 6) are running on this host');
  assert.match(two!.hint!, /^stop them first/);
});

test('format while something runs, across the cluster: every process with its host; nothing formatted anywhere', () => {
  const e = formatWhileRunning('cluster', [{ name: 'master', host: 'h1', pid: 5 }, { name: 'worker', host: 'h2', pid: 6 }]);
  assert.ok(e instanceof HostError);
  assert.equal(e.host, 'h1');
  assert.equal(e.message, '[h1] cannot format while master on h1 (pid 5), worker on h2 (pid 6) are running; nothing was formatted');
  assert.equal(e.hint, 'stop the cluster first: alluxio-stop.sh all');
});

test('journal format: -s skips a formatted journal (even an unsafe one); an unsafe path is refused; else format', () => {
  assert.equal(journalFormat({ folder: '/j', formatted: true }, true), 'skip');
  assert.equal(journalFormat({ folder: '/', formatted: true, refusal: 'refusing /' }, true), 'skip');
  assert.deepEqual(journalFormat({ folder: '/', formatted: true, refusal: 'refusing /' }, false), { refused: 'refusing /' });
  assert.deepEqual(journalFormat({ folder: '/', formatted: false, refusal: 'refusing /' }, true), { refused: 'refusing /' });
  assert.equal(journalFormat({ folder: '/j', formatted: true }, false), 'format');
  assert.equal(journalFormat({ folder: '/j', formatted: false }, true), 'format');
});

test('worker format: a refused storage path; -s skips when every data folder exists', () => {
  assert.deepEqual(workerFormat({ error: 'refusing /home' }, false), { refused: 'refusing /home' });
  assert.deepEqual(workerFormat({ error: 'refusing /home' }, true), { refused: 'refusing /home' });
  assert.equal(workerFormat([{ dataDir: '/a', exists: true }], true), 'skip');
  assert.equal(workerFormat([{ dataDir: '/a', exists: true }, { dataDir: '/b', exists: false }], true), 'format');
  assert.equal(workerFormat([{ dataDir: '/a', exists: true }], false), 'format');
});

test('start of a master on an unformatted journal: one problem per folder, never formatted implicitly', () => {
  assert.equal(startUnformatted([{ folder: '/j', formatted: true }]), undefined);
  const e = startUnformatted([{ folder: '/a', formatted: false }, { folder: '/b', formatted: true }, { folder: '/c', formatted: false }]);
  assert.ok(e instanceof ConfigError);
  assert.deepEqual(e.problems, ['the journal folder /a (alluxio.master.journal.folder) is not formatted', 'the journal folder /c (alluxio.master.journal.folder) is not formatted']);
  assert.match(e.hint!, /alluxio format.*never formatted implicitly/);
});

test('unsafe paths across the cluster: every one listed, then that nothing was formatted', () => {
  assert.equal(formatPathRefusals([]), undefined);
  const e = formatPathRefusals([{ host: 'h1', reason: 'refusing /' }]);
  assert.ok(e instanceof ConfigError);
  assert.deepEqual(e.problems, ['[h1] refusing /', 'nothing was formatted on any host']);
});

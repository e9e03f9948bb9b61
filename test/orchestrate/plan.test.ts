/** The pure --dry-run planner: exact steps for each action and fact combination. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, renderPlan, type HostInput, type PlanOptions, type Verb } from '../../src/orchestrate/plan.js';
import { ConfigError, HostError } from '../../src/errors.js';
import type { HostFactsJson } from '../../src/orchestrate/local/facts.js';

function facts(over: Partial<HostFactsJson> = {}): HostFactsJson {
  return {
    hostname: 'h1', node: 'v20.20.2', timeMs: 0, installRoot: '/opt/alluxio', installHash: 'x', confHash: 'y',
    master: { running: false }, worker: { running: false },
    journal: { folder: '/opt/alluxio/journal', formatted: true },
    workerStorage: [{ dataDir: '/mnt/ramdisk/alluxioworker', exists: true }],
    ...over,
  };
}

const base: HostInput = { host: 'h1', installed: true, installCurrent: true, confCurrent: true, master: true, worker: false, facts: facts() };

/** The rendered steps of one host (what --dry-run prints for it). */
function rendered(verb: Verb, input: HostInput, o: PlanOptions = {}): string[] {
  return renderPlan(plan(verb, [input], o)).map(([, text]) => text);
}

const rows: [string, Verb, HostInput, string[], PlanOptions?][] = [
  ['start, stale install: state unknown', 'start', { ...base, installCurrent: false, facts: undefined }, ['push install; start master (state unknown until the install is pushed; the host decides)']],
  ['start, conf differs', 'start', { ...base, confCurrent: false, facts: undefined }, ['push conf; start master (state unknown until the install is pushed; the host decides)']],
  ['start, already running', 'start', { ...base, facts: facts({ master: { running: true, pid: 42 } }) }, ['start master: master already running (pid 42)']],
  ['start, journal not formatted', 'start', { ...base, facts: facts({ journal: { folder: '/j', formatted: false } }) }, ['REFUSED: the journal folder /j (alluxio.master.journal.folder) is not formatted']],
  ['format+start formats then starts', 'format+start', { ...base, facts: facts({ journal: { folder: '/j', formatted: false } }) }, ['format journal /j; start master']],
  ['format+start refused while the master runs', 'format+start', { ...base, worker: true, facts: facts({ master: { running: true, pid: 5 } }) }, ['REFUSED: [h1] cannot format while the master (pid 5) is running on this host; format worker storage /mnt/ramdisk/alluxioworker; start worker']],
  ['start worker and master on one host', 'start', { ...base, worker: true }, ['start master; start worker']],
  ['start -a SudoMount: the arguments', 'start', { ...base, worker: true }, ['start master; start worker'], { async: true, mountMode: 'SudoMount' }],
  ['start with the embedded journal waits for a leader', 'start', base, ['start master', 'then wait until one of h1 leads'], { electsLeader: true }],
  ['stop running worker', 'stop', { ...base, master: false, worker: true, facts: facts({ worker: { running: true, pid: 9 } }) }, ['stop worker (pid 9)']],
  ['stop, nothing running', 'stop', base, ['stop master: no master was running']],
  ['stop from the probe\'s pid files (no facts): a running worker', 'stop', { ...base, master: false, worker: true, facts: undefined, servers: [
    { name: 'worker', kind: 'worker', pidFile: '/r/worker.pid', pid: 9, running: true },
    { name: 'master', kind: 'master', pidFile: '/r/master.pid', pid: 8, running: true },
  ] }, ['stop worker (pid 9)']],
  ['stop from the probe\'s pid files (no facts): a stale one is not running', 'stop', { ...base, facts: undefined, servers: [
    { name: 'master-19200', kind: 'master', pidFile: '/r/master-19200.pid', pid: 8, running: false },
  ] }, ['stop master: no master was running']],
  ['stop never pushes', 'stop', { ...base, installCurrent: false, confCurrent: false, facts: undefined }, ['stop master (state unknown: no current install to ask; the host decides)']],
  ['stop, not installed, nothing runs', 'stop', { ...base, installed: false, installCurrent: false, facts: undefined, servers: [] }, ['stop master: not installed: nothing to stop']],
  ['stop, not installed, a master runs from another install', 'stop', {
    ...base, installed: false, installCurrent: false, facts: undefined,
    servers: [{ name: 'master', kind: 'master', pidFile: '/r/master.pid', pid: 77, running: true, cmd: '/usr/bin/node /opt/other/dist/src/server/master/main.js' }],
  }, ['REFUSED: [h1] alluxio.home holds no install, but master (pid 77, /r/master.pid) is running; left running']],
  ['format -s skips a formatted journal', 'format -s', base, ['journal /opt/alluxio/journal already formatted: skip']],
  ['format -s formats a missing worker folder', 'format -s', { ...base, master: false, worker: true, facts: facts({ workerStorage: [{ dataDir: '/m/alluxioworker', exists: false }] }) }, ['format worker storage /m/alluxioworker']],
  ['neither role', 'start', { ...base, master: false }, []],
  // several masters on one host (one per local entry of the embedded journal addresses)
  ['several masters: start the ones not running', 'start', { ...base, facts: several([true, false, false]) }, ['master-19200 already running (pid 100): nothing to do; start master-19201; start master-19202']],
  ['several masters: an unformatted journal refuses the start', 'start', { ...base, facts: several([false, false, false], [true, false, true]) }, ['REFUSED: the journal folder /j/19201 (alluxio.master.journal.folder) is not formatted']],
  ['several masters: stop the running ones', 'stop', { ...base, facts: several([true, false, true]) }, ['stop master-19200 (pid 100), master-19202 (pid 102)']],
  ['several masters: stop, none running', 'stop', { ...base, facts: several([false, false, false]) }, ['stop master: no master was running']],
  ['several masters: format -s formats the unformatted journals', 'format -s', { ...base, facts: several([false, false, false], [true, false, true]) }, ['journal /j/19200 already formatted: skip; journal /j/19202 already formatted: skip; format journal /j/19201']],
  ['several masters: format+start', 'format+start', { ...base, facts: several([false, false, false], [false, false, false]) }, ['format journal /j/19200, /j/19201, /j/19202; start master-19200; start master-19201; start master-19202']],
];

/** Facts of a host with three masters (journal ports 19200-19202). */
function several(running: boolean[], formatted = [true, true, true]): HostFactsJson {
  const ports = [19200, 19201, 19202];
  const masters = ports.map((p, i) => ({ name: `master-${p}`, journalPort: p, running: running[i]!, ...(running[i] ? { pid: 100 + i } : {}) }));
  const first = masters.find((m) => m.running);
  return facts({
    master: first ? { running: true, pid: first.pid! } : { running: false },
    masters,
    journal: { folder: ports.map((p) => `/j/${p}`).join(', '), formatted: formatted.every(Boolean) },
    journals: ports.map((p, i) => ({ name: `master-${p}`, journalPort: p, folder: `/j/${p}`, formatted: formatted[i]! })),
  });
}

for (const [name, verb, input, steps, o] of rows) {
  test(`plan: ${name}`, () => assert.deepEqual(rendered(verb, input, o), steps));
}

test('plan: the steps carry the exact remote arguments', () => {
  const p = plan('start', [{ ...base, worker: true }], { async: true, mountMode: 'SudoMount', electsLeader: true, workersNeedLeader: true });
  assert.deepEqual(p.phases.map((ph) => ph.name), ['start master', 'start worker']);
  assert.deepEqual(p.phases[0]!.steps, [{ kind: 'start', host: 'h1', role: 'master', args: ['start', '-a', 'master', '--no-leader-wait'], names: ['master'], running: [] }]);
  assert.deepEqual(p.phases[1]!.steps, [{ kind: 'start', host: 'h1', role: 'worker', args: ['start', '-a', 'worker', 'SudoMount'], needsLeader: true, names: ['worker'] }]);
  const stop = plan('stop', [{ ...base, facts: facts({ master: { running: true, pid: 3 }, masters: [{ name: 'master', journalPort: 19200, running: true, pid: 3 }] }) }], { soft: true });
  assert.deepEqual(stop.phases[0]!.steps, [{ kind: 'stop', host: 'h1', role: 'master', args: ['stop', 'master', '-s'], pids: [{ name: 'master', pid: 3 }] }]);
});

// Each refusal is decided in refusals.ts; the plan refuses as a whole where apply must not start.
test('plan: format while anything of the cluster runs is refused as a whole, naming every process', () => {
  const p = plan('format', [
    { ...base, worker: true, facts: facts({ masters: [{ name: 'master', journalPort: 19200, running: true, pid: 5 }], master: { running: true, pid: 5 } }) },
    { ...base, host: 'h2', master: false, worker: true, facts: facts({ worker: { running: true, pid: 6 } }) },
    { ...base, host: 'h3', master: false, worker: true },
  ]);
  assert.ok(p.refusal instanceof HostError);
  assert.equal(p.refusal.message, '[h1] cannot format while master on h1 (pid 5), worker on h2 (pid 6) are running; nothing was formatted');
  assert.deepEqual(renderPlan(p).map(([h, t]) => `${h}: ${t}`), [
    'h1: REFUSED: [h1] cannot format while the master (pid 5) is running on this host; format worker storage /mnt/ramdisk/alluxioworker',
    'h2: REFUSED: [h2] cannot format while the worker (pid 6) is running on this host',
    'h3: format worker storage /mnt/ramdisk/alluxioworker',
    'undefined: REFUSED: [h1] cannot format while master on h1 (pid 5), worker on h2 (pid 6) are running; nothing was formatted',
  ]);
});

test('plan: an unsafe path on any host refuses the format as a whole', () => {
  const p = plan('format', [
    { ...base, facts: facts({ journal: { folder: '/', formatted: false, refusal: 'refusing to format /' } }) },
    { ...base, host: 'h2', master: false, worker: true, facts: facts({ workerStorage: { error: 'refusing to format /home' } }) },
  ]);
  assert.ok(p.refusal instanceof ConfigError);
  assert.equal(p.refusal.message, '3 configuration problems:\n  [h1] refusing to format /\n  [h2] refusing to format /home\n  nothing was formatted on any host');
});

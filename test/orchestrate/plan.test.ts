/** The pure --dry-run planner: exact steps for each action and fact combination. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFor, type Action, type HostPlanInput } from '../../src/orchestrate/plan.js';
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

const base: HostPlanInput = { reachable: true, installCurrent: true, confCurrent: true, master: true, worker: false, facts: facts() };

const rows: [string, Action, HostPlanInput, string[]][] = [
  ['unreachable', 'start', { ...base, reachable: false }, ['unreachable: nothing can be planned']],
  ['start, stale install: state unknown', 'start', { ...base, installCurrent: false, facts: undefined }, ['push install', 'start master (state unknown until the install is pushed)']],
  ['start, conf differs', 'start', { ...base, confCurrent: false }, ['push conf', 'start master']],
  ['start, already running', 'start', { ...base, facts: facts({ master: { running: true, pid: 42 } }) }, ['master already running (pid 42): nothing to do']],
  ['start, journal not formatted', 'start', { ...base, facts: facts({ journal: { folder: '/j', formatted: false } }) }, ['REFUSED: journal /j is not formatted (alluxio format)']],
  ['format+start formats then starts', 'format+start', { ...base, facts: facts({ journal: { folder: '/j', formatted: false } }) }, ['format journal /j', 'start master']],
  ['start worker and master on one host', 'start', { ...base, worker: true }, ['start master', 'start worker']],
  ['stop running worker', 'stop', { ...base, master: false, worker: true, facts: facts({ worker: { running: true, pid: 9 } }) }, ['stop worker (pid 9)']],
  ['stop, nothing running', 'stop', base, ['master not running: nothing to stop']],
  ['stop never pushes', 'stop', { ...base, installCurrent: false, confCurrent: false, facts: undefined }, ['stop master (state unknown: no current install to ask)']],
  ['format refused while running', 'format', { ...base, facts: facts({ master: { running: true, pid: 5 } }) }, ['REFUSED: master is running (pid 5); format needs it stopped']],
  ['format -s skips a formatted journal', 'format -s', base, ['journal /opt/alluxio/journal already formatted: skip']],
  ['format -s formats a missing worker folder', 'format -s', { ...base, master: false, worker: true, facts: facts({ workerStorage: [{ dataDir: '/m/alluxioworker', exists: false }] }) }, ['format worker storage /m/alluxioworker']],
  ['format with a refused storage path', 'format', { ...base, master: false, worker: true, facts: facts({ workerStorage: { error: 'refusing to format /' } }) }, ['REFUSED: refusing to format /']],
  ['neither role', 'start', { ...base, master: false }, ['nothing to do']],
  ['format with a refused journal path', 'format', { ...base, facts: facts({ journal: { folder: '/', formatted: false, refusal: 'refusing to format /' } }) }, ['REFUSED: refusing to format /']],
  // several masters on one host (one per local entry of the embedded journal addresses)
  ['several masters: start the ones not running', 'start', { ...base, facts: several([true, false, false]) }, ['master-19200 already running (pid 100): nothing to do', 'start master-19201', 'start master-19202']],
  ['several masters: an unformatted journal is refused', 'start', { ...base, facts: several([false, false, false], [true, false, true]) }, ['start master-19200', 'REFUSED: journal /j/19201 of master-19201 is not formatted (alluxio format)', 'start master-19202']],
  ['several masters: stop the running ones', 'stop', { ...base, facts: several([true, false, true]) }, ['stop master-19200 (pid 100), master-19202 (pid 102)']],
  ['several masters: stop, none running', 'stop', { ...base, facts: several([false, false, false]) }, ['masters not running: nothing to stop']],
  ['several masters: format refused while any runs', 'format', { ...base, facts: several([false, true, false]) }, ['REFUSED: master-19201 (pid 101) is running; format needs it stopped']],
  ['several masters: format -s formats the unformatted journals', 'format -s', { ...base, facts: several([false, false, false], [true, false, true]) }, ['journal /j/19200 already formatted: skip', 'format journal /j/19201', 'journal /j/19202 already formatted: skip']],
  ['several masters: format+start', 'format+start', { ...base, facts: several([false, false, false], [false, false, false]) }, ['format journal /j/19200', 'format journal /j/19201', 'format journal /j/19202', 'start master-19200', 'start master-19201', 'start master-19202']],
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

for (const [name, action, input, steps] of rows) {
  test(`plan: ${name}`, () => assert.deepEqual(planFor(action, 'h1', input), { host: 'h1', steps }));
}

/** The pure --dry-run planner: exact steps for each action and fact combination. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFor, type Action, type HostPlanInput } from '../../src/orchestrate/plan.js';
import type { HostFactsJson } from '../../src/commands/facts.js';

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
];

for (const [name, action, input, steps] of rows) {
  test(`plan: ${name}`, () => assert.deepEqual(planFor(action, 'h1', input), { host: 'h1', steps }));
}

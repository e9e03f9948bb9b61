/**
 * rollingRestart's plan and apply (src/orchestrate/rolling.ts) with faked hosts: the plan from
 * configProbe diffs and the masters' state; apply through a fake RollingOps that records the
 * order and can fail a step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../src/errors.js';
import { parseStopArgs } from '../../src/commands/stop.js';
import type { HostDiff, ProcessDiff } from '../../src/orchestrate/diffConf.js';
import { scopeProcess } from '../../src/orchestrate/diffConf.js';
import { applyRolling, describeStep, planRolling, registrationCheck, resumeMessage, type MasterState, type RollingOps, type RollingStep } from '../../src/orchestrate/rolling.js';
import { HostError } from '../../src/errors.js';
import { parseRollingArgs } from '../../src/commands/rollingRestart.js';
import type { WorkerInfo } from '../../src/client/fileSystem.js';

const TIMEOUT = { key: 'alluxio.master.worker.timeout', old: '5min', new: '10min' };
const WRITETYPE = { key: 'alluxio.user.file.writetype.default', old: 'ASYNC_THROUGH', new: 'CACHE_THROUGH' };
const HB = { key: 'alluxio.worker.block.heartbeat.interval', old: '1s', new: '2s' };

/** A running process with these differing keys (old hash 'old', expected 'new' when any differ). */
function proc(kind: 'master' | 'worker', name: string, diff: typeof TIMEOUT[]): ProcessDiff {
  return scopeProcess({ kind, name, running: true, pid: 7, configHash: diff.length ? 'old' : 'new', expectedHash: 'new', diff });
}

/** Three masters of one host (journal ports 1..3, the second leads) and workers w1, w2. */
function cluster(masterDiff: typeof TIMEOUT[], workerDiff: typeof TIMEOUT[], o: { updated?: string[] } = {}): { diffs: HostDiff[]; masters: MasterState[] } {
  const names = ['master-1', 'master-2', 'master-3'];
  return {
    diffs: [
      { host: 'm', processes: names.map((n) => proc('master', n, o.updated?.includes(n) ? [] : masterDiff)) },
      { host: 'w1', processes: [proc('worker', 'worker', workerDiff)] },
      { host: 'w2', processes: [proc('worker', 'worker', o.updated?.includes('w2') ? [] : workerDiff)] },
    ],
    masters: [1, 2, 3].map((p) => ({ rpcAddress: `m:${100 + p}`, journalAddress: `m:${p}`, isLeader: p === 2, appliedIndex: 10 })),
  };
}

const brief = (st: RollingStep) => (st.kind === 'restartMaster' ? `${st.role} ${st.name}` : st.kind === 'elect' ? `elect ${st.from}->${st.to}` : `workers ${st.hosts.join(',')}`);

test('plan: standbys one at a time, then elect an updated standby, then the old leader, then workers', () => {
  const { diffs, masters } = cluster([TIMEOUT], [HB]);
  const p = planRolling(diffs, masters, { batch: 1 });
  assert.equal(p.refusal, undefined);
  assert.deepEqual(p.steps.map(brief), ['standby master-1', 'standby master-3', 'elect m:2->m:1', 'leader master-2', 'workers w1', 'workers w2']);
  const first = p.steps[0]!;
  assert.ok(first.kind === 'restartMaster' && first.port === 1 && first.rpcAddress === 'm:101' && first.expectedHash === 'new');
  assert.deepEqual(planRolling(diffs, masters, { batch: 2 }).steps.slice(4).map(brief), ['workers w1,w2']);
});

test('plan: processes whose keys they read are unchanged are not restarted (MASTER key: workers kept)', () => {
  const { diffs, masters } = cluster([TIMEOUT], [TIMEOUT]);
  const p = planRolling(diffs, masters, { batch: 1 });
  assert.deepEqual(p.steps.map(brief), ['standby master-1', 'standby master-3', 'elect m:2->m:1', 'leader master-2']);
  assert.deepEqual(p.unchanged, ['w1 worker', 'w2 worker']);
});

test('plan: a CLIENT-only change restarts nothing', () => {
  const { diffs, masters } = cluster([WRITETYPE], [WRITETYPE]);
  const p = planRolling(diffs, masters, { batch: 1 });
  assert.equal(p.refusal, undefined);
  assert.deepEqual(p.steps, []);
});

test('plan: refused (no step) when a master is down, lagging, or none leads', () => {
  const base = cluster([TIMEOUT], []);
  const down = planRolling(base.diffs, base.masters.map((m) => (m.rpcAddress === 'm:103' ? { rpcAddress: m.rpcAddress, isLeader: false, down: 'connection refused' } : m)), { batch: 1 });
  assert.ok(down.refusal instanceof UnavailableError);
  assert.match(down.refusal.message, /master m:103 is down \(connection refused\): restarting another one could break the quorum/);
  assert.deepEqual(down.steps, []);
  const lag = planRolling(base.diffs, base.masters.map((m) => (m.rpcAddress === 'm:101' ? { ...m, lagging: true } : m)), { batch: 1 });
  assert.match(lag.refusal!.message, /master m:1 is lagging/);
  const noLeader = planRolling(base.diffs, base.masters.map((m) => ({ ...m, isLeader: false })), { batch: 1 });
  assert.match(noLeader.refusal!.message, /no master leads/);
  // A master process that is not running on its host is refused as well.
  const stopped: HostDiff[] = [{ ...base.diffs[0]!, processes: [...base.diffs[0]!.processes.slice(0, 2), { kind: 'master', name: 'master-3', running: false, restart: false }] }];
  assert.match(planRolling(stopped, base.masters, { batch: 1 }).refusal!.message, /master master-3 on m is not running/);
});

test('plan: a rerun skips what is already updated (its running hash is the expected one)', () => {
  const { diffs, masters } = cluster([TIMEOUT], [HB], { updated: ['master-1', 'master-3', 'w2'] });
  const p = planRolling(diffs, masters, { batch: 1 });
  assert.deepEqual(p.steps.map(brief), ['elect m:2->m:1', 'leader master-2', 'workers w1']);
});

function fakeOps(failAt?: string): { ops: RollingOps; log: string[]; audit: string[] } {
  const log: string[] = [];
  const audit: string[] = [];
  const act = async (st: RollingStep) => {
    log.push(brief(st));
    if (brief(st) === failAt) throw new Error(`${brief(st)} did not apply the leader's commit index within 30 s`);
    return 'done';
  };
  return {
    log, audit,
    ops: { restartMaster: act, elect: act, restartWorkers: act, progress: () => undefined, audit: async (_st, outcome) => { audit.push(outcome); } },
  };
}

test('apply: the steps in order, each audited', async () => {
  const { diffs, masters } = cluster([TIMEOUT], [HB]);
  const p = planRolling(diffs, masters, { batch: 1 });
  const f = fakeOps();
  const r = await applyRolling(p.steps, f.ops);
  assert.equal(r.stoppedAt, undefined);
  assert.deepEqual(f.log, p.steps.map(brief));
  assert.deepEqual(f.audit, p.steps.map((st) => `OK ${describeStep(st)}: done`));
  assert.equal(resumeMessage(r, 'all'), undefined);
});

test('apply: stops at the first failing step, says where and how to resume', async () => {
  const { diffs, masters } = cluster([TIMEOUT], [HB]);
  const p = planRolling(diffs, masters, { batch: 1 });
  const f = fakeOps('standby master-3');
  const r = await applyRolling(p.steps, f.ops);
  assert.equal(r.stoppedAt, 1);
  assert.deepEqual(f.log, ['standby master-1', 'standby master-3']);
  assert.deepEqual(r.outcomes.map((o) => o.status), ['done', 'failed', 'not-run', 'not-run', 'not-run', 'not-run']);
  assert.match(f.audit[1]!, /^FAILED restart standby master master-3 on m/);
  const msg = resumeMessage(r, 'all')!;
  assert.match(msg, /^Stopped at step 2 of 6 \(restart standby master master-3 on m \(m:3\)/);
  assert.match(msg, /1 step\(s\) completed before it/);
  assert.match(msg, /To resume, fix the cause and rerun: alluxio rollingRestart all --resume$/m);
});

test('stop master --port: one master of a host (what a rolling restart stops); only with master', () => {
  assert.deepEqual(parseStopArgs(['master', '--port', '19201']), { action: 'master', soft: false, port: 19201 });
  assert.deepEqual(parseStopArgs(['worker', '--port', '19201']), { error: 'Option --port (one master of this host) applies to master, not worker' });
  assert.deepEqual(parseStopArgs(['master', '--port', 'x']), { error: 'Option --port needs an embedded journal port: --port <1-65535>' });
});

test('--resume (as a rerun), --batch and the component parse; bad values are usage errors', () => {
  assert.deepEqual(parseRollingArgs([]), { what: 'all', batch: 1, resume: false });
  assert.deepEqual(parseRollingArgs(['masters', '--resume']), { what: 'masters', batch: 1, resume: true });
  assert.deepEqual(parseRollingArgs(['--resume', 'workers', '--batch=2']), { what: 'workers', batch: 2, resume: true });
  assert.deepEqual(parseRollingArgs(['--batch', '0']), { error: '--batch 0: expected a whole number of workers, 1 or more' });
  assert.deepEqual(parseRollingArgs(['masters', 'x']), { error: 'Invalid arguments: masters x' });
});

test('a restarted worker: waited for until LIVE with its id and hash; fewer blocks than before fails naming it', () => {
  const w = (o: Partial<WorkerInfo>): WorkerInfo => ({
    id: 4, address: { host: 'w1', rpcPort: 29999, webPort: 30000 }, capacityBytes: 1, usedBytes: 0, state: 'LIVE', lastContactSec: 0,
    startTimeMs: 0, blockCount: 12, tiers: [], configHash: 'new', ...o,
  });
  const was = { id: 4, blocks: 12 };
  assert.equal(registrationCheck('w1', was, undefined, 'new'), 'waiting');
  assert.equal(registrationCheck('w1', was, w({ state: 'LOST' }), 'new'), 'waiting');
  assert.equal(registrationCheck('w1', was, w({ id: 5 }), 'new'), 'waiting');
  assert.equal(registrationCheck('w1', was, w({ configHash: 'old' }), 'new'), 'waiting');
  assert.equal(registrationCheck('w1', was, w({}), 'new'), 'ok');
  assert.equal(registrationCheck('w1', was, w({ blockCount: 15 }), 'new'), 'ok', 'new blocks written since are fine');
  assert.equal(registrationCheck('w1', {}, w({ blockCount: 0 }), undefined), 'ok', 'a worker the master did not list before');
  const e = registrationCheck('w1', was, w({ blockCount: 9 }), 'new');
  assert.ok(e instanceof HostError);
  assert.equal(e.host, 'w1');
  assert.match(e.message, /the worker on w1 \(id 4\) registered again with 9 block\(s\), but held 12 when it stopped: 3 block\(s\) went missing/);
});

test('plan, ZooKeeper mode (masters have no journal address): standbys first, the leader last, no quorum elect', () => {
  const diffs: HostDiff[] = ['m1', 'm2', 'm3'].map((h) => ({ host: h, processes: [proc('master', 'master', [TIMEOUT])] }));
  const masters: MasterState[] = ['m1', 'm2', 'm3'].map((h) => ({ rpcAddress: `${h}:19998`, isLeader: h === 'm1', appliedIndex: 10 }));
  const p = planRolling(diffs, masters, { batch: 1 });
  assert.equal(p.refusal, undefined);
  assert.deepEqual(p.steps.map(brief), ['standby master', 'standby master', 'leader master']);
  assert.deepEqual(p.steps.map((st) => (st.kind === 'restartMaster' ? st.host : '')), ['m2', 'm3', 'm1']);
  assert.match(describeStep(p.steps[2]!), /^restart leader master master on m1 \(m1:19998\): stop \(it leaves the ZooKeeper election: an updated standby takes over\), start/);
});

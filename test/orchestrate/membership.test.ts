/**
 * addMaster / removeMaster (src/orchestrate/membership.ts): the pure plan and its refusals,
 * table-driven, and apply with faked hosts (order, first failure stops, resume message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, FailedPreconditionError, HostError, UnavailableError } from '../../src/errors.js';
import { applyMembership, describeMemberStep, membershipResume, planMembership, quorumOf, type MemberStep, type MembershipFacts, type QuorumMember } from '../../src/orchestrate/membership.js';

const J = (h: string) => `${h}:19200`;

/** A cluster of `members` (m1 leads unless told), conf/ listing `listed`. */
function facts(op: 'add' | 'remove', host: string, o: {
  members: string[]; listed: string[]; leader?: string; down?: string[]; recovering?: string[]; lagging?: string[];
  noLeader?: boolean; localJournal?: boolean; hostRunsMaster?: boolean; addresses?: string[];
}): MembershipFacts {
  const members: QuorumMember[] = o.members.map((h) => ({ address: J(h), available: !(o.down ?? []).includes(h), ...((o.recovering ?? []).includes(h) ? { recovering: true } : {}) }));
  return {
    op, host, mastersFile: '/conf/masters', masters: o.listed, addresses: o.addresses ?? o.listed.map(J), journalType: 'EMBEDDED',
    ...(o.noLeader || o.localJournal ? {} : { quorum: { leader: J(o.leader ?? 'm1'), members } }),
    ...(o.localJournal ? { localJournal: true } : {}),
    lagging: (o.lagging ?? []).map(J), hostRunsMaster: o.hostRunsMaster ?? false, stale: [{ host, install: true, conf: true }],
    rpcOf: Object.fromEntries([...o.members, host].map((h) => [J(h), `${h}:19998`])), journalFolder: '/opt/alluxio/journal',
  };
}

const kinds = (steps: readonly MemberStep[]) => steps.map((st) => (st.kind === 'elect' ? `elect ${st.to}` : st.kind));
const M3 = ['m1', 'm2', 'm3'];

test('quorumOf', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(quorumOf), [1, 2, 2, 3, 3]);
});

const cases: { name: string; f: MembershipFacts; steps?: string[]; refusal?: [Function, RegExp]; resumed?: RegExp }[] = [
  { name: 'add to a healthy 3: push, format only the new journal, start, quorum add, catch up, roll',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'] }),
    steps: ['push', 'formatJournal', 'startMaster', 'quorumAdd', 'waitCaughtUp', 'roll'] },
  { name: 'add: a master left running on the new host (not a member) is stopped before its journal is re-seeded',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'], hostRunsMaster: true }),
    steps: ['push', 'stopMaster', 'formatJournal', 'startMaster', 'quorumAdd', 'waitCaughtUp', 'roll'] },
  { name: 'add to 3 with one down: 4 members need 3 up to date, 2 are',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'], down: ['m3'] }),
    refusal: [UnavailableError, /adding m4:19200 would leave the quorum unable to commit while it catches up: 4 members need 3 up to date, and 2 of the 3 running members are \(m3:19200 \(down\) not counting\)/] },
  { name: 'add to 4 with one down: 5 members need 3, 3 are up to date',
    f: facts('add', 'm5', { members: [...M3, 'm4'], listed: [...M3, 'm4', 'm5'], down: ['m4'] }),
    steps: ['push', 'formatJournal', 'startMaster', 'quorumAdd', 'waitCaughtUp', 'roll'] },
  { name: 'add with a member still recovering: it does not count',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'], recovering: ['m2'] }),
    refusal: [UnavailableError, /m2:19200 \(recovering\)/] },
  { name: 'add with a master lagging',
    f: facts('add', 'm5', { members: [...M3, 'm4'], listed: [...M3, 'm4', 'm5'], lagging: ['m2'] }),
    refusal: [UnavailableError, /master m2:19200 is lagging: it did not apply the leader's commit index within 30 s; nothing was changed/] },
  { name: 'add rerun: already a member, resume with the catch-up and the roll (no format)',
    f: facts('add', 'm4', { members: [...M3, 'm4'], listed: [...M3, 'm4'], recovering: ['m4'] }),
    steps: ['push', 'startMaster', 'waitCaughtUp', 'roll'], resumed: /m4:19200 is a member already/ },
  { name: 'add: host not in conf/masters',
    f: facts('add', 'm4', { members: M3, listed: M3, addresses: [...M3, 'm4'].map(J) }),
    refusal: [ConfigError, /m4 is not in \/conf\/masters: add it there first/] },
  { name: 'add: host not in the address list',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'], addresses: M3.map(J) }),
    refusal: [ConfigError, /alluxio\.master\.embedded\.journal\.addresses \(m1:19200,m2:19200,m3:19200\) has no entry for m4/] },
  { name: 'add: the list also drops a member',
    f: facts('add', 'm4', { members: M3, listed: ['m1', 'm2', 'm4'] }),
    refusal: [ConfigError, /by more than m4:19200: drops m3:19200; one master per command/] },
  { name: 'add: the new host cannot be reached',
    f: { ...facts('add', 'm4', { members: M3, listed: [...M3, 'm4'] }), hostUnreachable: 'connection refused' },
    refusal: [HostError, /m4 could not be checked \(connection refused\); nothing was changed/] },
  { name: 'add: no leader',
    f: facts('add', 'm4', { members: M3, listed: [...M3, 'm4'], noLeader: true }),
    refusal: [UnavailableError, /no master leads/] },
  { name: 'add to a single master on the local journal: refused with the steps',
    f: facts('add', 'm2', { members: ['m1'], listed: ['m1', 'm2'], localJournal: true }),
    refusal: [FailedPreconditionError, /single-master local journal[\s\S]*alluxio format/] },
  { name: 'remove a standby of 5',
    f: facts('remove', 'm5', { members: [...M3, 'm4', 'm5'], listed: [...M3, 'm4'] }),
    steps: ['quorumRemove', 'stopMaster', 'push', 'roll'] },
  { name: 'remove a standby while another is lagging',
    f: facts('remove', 'm5', { members: [...M3, 'm4', 'm5'], listed: [...M3, 'm4'], lagging: ['m3'] }),
    refusal: [UnavailableError, /master m3:19200 is lagging/] },
  { name: 'remove the leader: transfer to a caught-up member first',
    f: facts('remove', 'm1', { members: [...M3, 'm4'], listed: ['m2', 'm3', 'm4'], leader: 'm1', down: ['m2'] }),
    steps: ['elect m3:19200', 'quorumRemove', 'stopMaster', 'push', 'roll'] },
  { name: 'remove from 3 while another is down: the 2 left need 2 up to date, 1 is',
    f: facts('remove', 'm3', { members: M3, listed: ['m1', 'm2'], down: ['m2'] }),
    refusal: [UnavailableError, /removing m3:19200 would leave the quorum unable to elect: the 2 members left need 2 up to date, and 1 are \(m2:19200 \(down\) not counting\)/] },
  { name: 'remove 2 -> 1: refused (a single master runs the local journal)',
    f: facts('remove', 'm2', { members: ['m1', 'm2'], listed: ['m1'], down: ['m2'] }),
    refusal: [FailedPreconditionError, /would list one master \(m1:19200\).*keeps at least two masters/] },
  { name: 'remove two at once: one per command',
    f: facts('remove', 'm5', { members: [...M3, 'm4', 'm5'], listed: M3 }),
    refusal: [ConfigError, /drops m4:19200, m5:19200 .*one master per command/] },
  { name: 'remove: host still in conf/masters',
    f: facts('remove', 'm3', { members: M3, listed: M3, addresses: ['m1', 'm2'].map(J) }),
    refusal: [ConfigError, /m3 is still in \/conf\/masters: remove it there first/] },
  { name: 'remove: host still in the address list',
    f: facts('remove', 'm3', { members: M3, listed: ['m1', 'm2'], addresses: M3.map(J) }),
    refusal: [ConfigError, /still lists m3:19200 on m3: remove it first/] },
  { name: 'remove rerun: no longer a member, resume with the stop and the roll',
    f: facts('remove', 'm4', { members: M3, listed: M3 }),
    steps: ['stopMaster', 'push', 'roll'], resumed: /no member of the quorum runs on m4/ },
];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    const p = planMembership(c.f);
    if (c.refusal) {
      assert.ok(p.refusal instanceof c.refusal[0], `expected a refusal, got ${p.refusal?.name}: ${p.refusal?.message ?? kinds(p.steps).join(', ')}`);
      assert.match(p.refusal.message, c.refusal[1]);
      assert.deepEqual(p.steps, [], 'a refusal changes nothing');
      return;
    }
    assert.equal(p.refusal, undefined, p.refusal?.message);
    assert.deepEqual(kinds(p.steps), c.steps);
    if (c.resumed) assert.match(p.resumed ?? '', c.resumed); else assert.equal(p.resumed, undefined);
    for (const st of p.steps) assert.ok(describeMemberStep(st).length > 0);
    // Only the new master's journal is ever formatted.
    for (const st of p.steps) if (st.kind === 'formatJournal') assert.equal(st.host, c.f.host);
  });
}

test('ZooKeeper mode (UFS journal): no quorum to change; the refusal says what to do instead', () => {
  for (const op of ['add', 'remove'] as const) {
    const p = planMembership({ ...facts(op, 'm4', { members: M3, listed: op === 'add' ? [...M3, 'm4'] : M3 }), journalType: 'UFS' });
    assert.deepEqual(p.steps, []);
    assert.match(p.refusal!.message, /journal\.type=UFS: the masters share one journal folder and ZooKeeper elects the leader/);
    assert.match(p.refusal!.hint!, op === 'add' ? /alluxio-start\.sh masters/ : /alluxio-stop\.sh master on m4/);
  }
});

test('apply: steps in order, audited; the first failure stops the run and says how to resume', async () => {
  const p = planMembership(facts('add', 'm4', { members: M3, listed: [...M3, 'm4'] }));
  const ran: string[] = [];
  const audit: string[] = [];
  const r = await applyMembership(p.steps, {
    progress() {},
    async audit(_st, outcome) { audit.push(outcome); },
    async run(st) {
      ran.push(st.kind);
      if (st.kind === 'waitCaughtUp') throw new Error('m4:19200 did not catch up within 120 s');
      return 'done';
    },
  });
  assert.deepEqual(ran, ['push', 'formatJournal', 'startMaster', 'quorumAdd', 'waitCaughtUp']);
  assert.equal(r.stoppedAt, 4);
  assert.deepEqual(r.outcomes.map((o) => o.status), ['done', 'done', 'done', 'done', 'failed', 'not-run']);
  assert.equal(audit.length, 5);
  assert.match(audit[4]!, /^FAILED wait until m4:19200/);
  const msg = membershipResume(r, 'add', 'm4')!;
  assert.match(msg, /^Stopped at step 5 of 6 \(wait until m4:19200/);
  assert.match(msg, /rerun: alluxio addMaster m4/);
  // The rerun: m4 is a member now, so the plan resumes without a format.
  const again = planMembership(facts('add', 'm4', { members: [...M3, 'm4'], listed: [...M3, 'm4'], recovering: ['m4'] }));
  assert.ok(!again.steps.some((st) => st.kind === 'formatJournal' || st.kind === 'quorumAdd'));
});

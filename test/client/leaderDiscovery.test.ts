/**
 * Leader discovery on fake masters: all asked at once, the first leader wins, a frozen master is
 * never waited for (its question is aborted when the leader answers), hints are followed also to
 * masters not configured, and the search ends at the deadline naming every master asked.
 */
import { test } from 'node:test';
import { getEventListeners } from 'node:events';
import assert from 'node:assert/strict';
import { discoverLeader, validHint, probeTimeout, MIN_PROBE_TIMEOUT_MS, type Probe, type DiscoveryOptions } from '../../src/client/leaderDiscovery.js';
import { TimeoutError, UnavailableError } from '../../src/errors.js';
import { waitFor } from '../harness/wait.js';

test('validHint: host:port with a valid host and port 1-65535, else undefined', () => {
  const cases: [hint: unknown, valid: boolean][] = [
    ['localhost:19998', true], ['m1.example.com:1', true], ['10.0.0.7:65535', true], ['[::1]:19998', true],
    ['', false], ['localhost', false], [':19998', false], ['localhost:0', false], ['localhost:65536', false],
    ['localhost:19998x', false], ['local host:19998', false], ['a:b:c', false], ['x'.repeat(400) + ':1', false],
    [undefined, false], [42, false],
  ];
  for (const [hint, valid] of cases) assert.equal(validHint(hint), valid ? hint : undefined, String(hint));
});

test('probeTimeout: doubles per consecutive time-out, capped by the maximum and the remaining budget, never below the minimum', () => {
  const o = { probeTimeoutMs: 1000, maxProbeTimeoutMs: 30_000 };
  const cases: [timeouts: number, remainingMs: number, expected: number][] = [
    [0, 60_000, 1000], [1, 60_000, 2000], [3, 60_000, 8000], [5, 60_000, 30_000], [1000, 60_000, 30_000],
    [0, 500, 500], [4, 5000, 5000], [0, 10, MIN_PROBE_TIMEOUT_MS], [0, -50, MIN_PROBE_TIMEOUT_MS],
  ];
  for (const [timeouts, remaining, expected] of cases) assert.equal(probeTimeout(timeouts, remaining, o), expected, `${timeouts} ${remaining}`);
});

/** How a fake master behaves when asked; `leadsAfter` n: a standby with no leader for its first n answers, then the leader. */
type Fake =
  | { kind: 'leader' } | { kind: 'standby'; hint?: string } | { kind: 'frozen' } | { kind: 'down' }
  | { kind: 'leadsAfter'; n: number };

interface Record { asks: number; timeouts: number[]; ends: ('answered' | 'timedOut' | 'aborted' | 'failed')[] }

function fakeProbe(masters: Readonly<{ [addr: string]: Fake }>, recs: Map<string, Record>): Probe {
  return (addr, timeoutMs, signal) => {
    const rec = recs.get(addr) ?? { asks: 0, timeouts: [], ends: [] };
    recs.set(addr, rec);
    rec.asks++;
    rec.timeouts.push(timeoutMs);
    const m = masters[addr] ?? { kind: 'down' };
    if (m.kind === 'down') { rec.ends.push('failed'); return Promise.reject(new UnavailableError(`${addr} is unavailable: connection refused`)); }
    if (m.kind === 'frozen') {
      return new Promise((_, reject) => {
        const t = setTimeout(() => { rec.ends.push('timedOut'); reject(new TimeoutError(`call to ${addr} timed out`)); }, timeoutMs);
        signal.addEventListener('abort', () => { clearTimeout(t); rec.ends.push('aborted'); reject(new Error('aborted')); }, { once: true });
      });
    }
    rec.ends.push('answered');
    if (m.kind === 'leader') return Promise.resolve({ isLeader: true });
    if (m.kind === 'leadsAfter') return Promise.resolve({ isLeader: rec.asks > m.n });
    return Promise.resolve({ isLeader: false, leaderHint: m.hint });
  };
}

interface Case {
  name: string;
  masters: { [addr: string]: Fake };
  /** Configured addresses, in order (default: the keys of `masters`). */
  initial?: string[];
  opts?: Partial<DiscoveryOptions> & { budgetMs?: number };
  leader: string | undefined;
  /** Checks on what each master was asked. */
  check?: (recs: Map<string, Record>, tried: Map<string, string>) => void;
}

const cases: Case[] = [
  { name: 'one leader among standbys', masters: { 'a:1': { kind: 'standby' }, 'b:1': { kind: 'leader' }, 'c:1': { kind: 'standby' } }, leader: 'b:1' },
  {
    name: 'frozen masters first: the leader wins, the frozen ones are never waited for (their questions are aborted)',
    masters: { 'a:1': { kind: 'frozen' }, 'b:1': { kind: 'frozen' }, 'c:1': { kind: 'leader' } },
    opts: { probeTimeoutMs: 60_000, maxProbeTimeoutMs: 60_000, budgetMs: 60_000 },
    leader: 'c:1',
    check: (recs) => { assert.deepEqual(recs.get('a:1')!.ends, ['aborted']); assert.deepEqual(recs.get('b:1')!.ends, ['aborted']); },
  },
  {
    name: 'a frozen old leader named by the standbys while one of them is elected',
    masters: { 'a:1': { kind: 'frozen' }, 'b:1': { kind: 'standby', hint: 'a:1' }, 'c:1': { kind: 'leadsAfter', n: 3 } },
    opts: { probeTimeoutMs: 60_000, maxProbeTimeoutMs: 60_000, budgetMs: 60_000 },
    leader: 'c:1',
    check: (recs) => { assert.equal(recs.get('a:1')!.asks, 1); assert.deepEqual(recs.get('a:1')!.ends, ['aborted']); assert.equal(recs.get('c:1')!.asks, 4); },
  },
  {
    name: "a standby's hint to a master not configured is followed",
    masters: { 's:1': { kind: 'standby', hint: 'elsewhere:2' }, 'elsewhere:2': { kind: 'leader' } },
    initial: ['s:1'],
    leader: 'elsewhere:2',
    check: (recs) => assert.equal(recs.get('elsewhere:2')!.asks, 1),
  },
  {
    name: 'hints that are not host:port are ignored',
    masters: { 'a:1': { kind: 'standby', hint: 'garbage' }, 'b:1': { kind: 'standby', hint: 'h:0' }, 'c:1': { kind: 'standby', hint: 'h:99999' }, 'd:1': { kind: 'standby', hint: '' } },
    opts: { budgetMs: 300 },
    leader: undefined,
    check: (recs, tried) => {
      assert.deepEqual([...recs.keys()].sort(), ['a:1', 'b:1', 'c:1', 'd:1']);
      assert.deepEqual([...tried.values()], ['standby, no leader known', 'standby, no leader known', 'standby, no leader known', 'standby, no leader known']);
    },
  },
  {
    name: 'a chain of hints to ever new masters stops at maxCandidates',
    masters: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`h${i}:1`, { kind: 'standby', hint: `h${i + 1}:1` } as Fake])),
    initial: ['h0:1'],
    opts: { budgetMs: 300, maxCandidates: 4 },
    leader: undefined,
    check: (recs) => assert.deepEqual([...recs.keys()].sort(), ['h0:1', 'h1:1', 'h2:1', 'h3:1']),
  },
  {
    name: 'nobody leads: gives up at the deadline and says why for every master',
    masters: { 'a:1': { kind: 'down' }, 'b:1': { kind: 'standby', hint: 'a:1' } },
    opts: { budgetMs: 300 },
    leader: undefined,
    check: (_, tried) => assert.deepEqual(Object.fromEntries(tried), { 'a:1': 'a:1 is unavailable: connection refused', 'b:1': 'standby (leader is a:1)' }),
  },
  {
    name: 'a frozen master keeps one question in flight and is asked again after each time-out with a doubled deadline',
    masters: { 'a:1': { kind: 'frozen' }, 'b:1': { kind: 'standby' } },
    opts: { probeTimeoutMs: 100, maxProbeTimeoutMs: 1000, budgetMs: 1000 },
    leader: undefined,
    check: (recs) => {
      const a = recs.get('a:1')!;
      assert.deepEqual(a.timeouts.slice(0, 3), [100, 200, 400]);
      assert.ok(a.ends.length === a.asks && a.ends.every((e) => e === 'timedOut'), JSON.stringify(a));
      assert.ok(recs.get('b:1')!.asks > a.asks, 'the answering master is asked every round');
    },
  },
];

test('discoverLeader: an abort (the client closes) ends the search at once and aborts the questions in flight', async () => {
  const recs = new Map<string, Record>();
  const ac = new AbortController();
  const search = discoverLeader(['a:1', 'b:1'], fakeProbe({ 'a:1': { kind: 'frozen' }, 'b:1': { kind: 'standby' } }, recs), {
    deadline: Date.now() + 60_000, pollMs: 20, probeTimeoutMs: 60_000, maxProbeTimeoutMs: 60_000, maxCandidates: 16, signal: ac.signal,
  });
  await waitFor('a question to each master, the one to a:1 in flight', (observe) => {
    observe(Object.fromEntries(recs));
    return (recs.get('a:1')?.asks ?? 0) >= 1 && recs.get('a:1')!.ends.length === 0 && (recs.get('b:1')?.asks ?? 0) >= 1;
  }, 10_000, 5);
  ac.abort();
  const r = await search;
  assert.equal(r.leader, undefined);
  assert.deepEqual(recs.get('a:1')!.ends, ['aborted']);
  assert.ok(recs.get('b:1')!.asks >= 1);
});

test('discoverLeader: a finished search leaves no listener on the client\'s long-lived signal (one per failover leaked before)', async () => {
  const ac = new AbortController();
  for (let i = 0; i < 20; i++) {
    const r = await discoverLeader(['a:1', 'b:1'], fakeProbe({ 'a:1': { kind: 'standby' }, 'b:1': { kind: 'leader' } }, new Map()), {
      deadline: Date.now() + 10_000, pollMs: 20, probeTimeoutMs: 1000, maxProbeTimeoutMs: 1000, maxCandidates: 16, signal: ac.signal,
    });
    assert.equal(r.leader, 'b:1');
  }
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
});

for (const c of cases) {
  test(`discoverLeader: ${c.name}`, async () => {
    const recs = new Map<string, Record>();
    const { budgetMs = 5000, ...opts } = c.opts ?? {};
    const r = await discoverLeader(c.initial ?? Object.keys(c.masters), fakeProbe(c.masters, recs), {
      deadline: Date.now() + budgetMs, pollMs: 20, probeTimeoutMs: 1000, maxProbeTimeoutMs: 5000, maxCandidates: 16, ...opts,
    });
    assert.equal(r.leader, c.leader);
    c.check?.(recs, r.tried);
    // Nothing is left in flight: every question ended.
    for (const [addr, rec] of recs) assert.equal(rec.ends.length, rec.asks, addr);
  });
}

/**
 * ZkElection against a real ZooKeeper (test/harness/zookeeper.ts): standalone for most cases,
 * a 3-member ensemble for failover across ZooKeeper servers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ZkElection, epochPath, type ConnectionErrorPolicy } from '../../../src/journal/zk/election.js';
import type { ElectionEvent } from '../../../src/journal/election.js';
import { ZooKeeperServers, TcpProxy, zooKeeperSkipReason } from '../../harness/zookeeper.js';
import { waitFor } from '../../harness/wait.js';

const skip = zooKeeperSkipReason();
let zk: ZooKeeperServers;
let n = 0;

before(async () => { if (!skip) zk = await ZooKeeperServers.start({ members: 1, tickMs: 200 }); });
after(async () => { await zk?.destroy(); });

interface Cand { e: ZkElection; events: ElectionEvent[]; logs: string[]; name: string }

function candidate(name: string, root: string, ensemble = zk.connectString(), o: { sessionTimeoutMs?: number; policy?: ConnectionErrorPolicy } = {}): Cand {
  const events: ElectionEvent[] = [];
  const logs: string[] = [];
  const e = new ZkElection({
    ensemble, electionPath: `${root}/election`, leaderPath: `${root}/leader`,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 2000, connectionTimeoutMs: 1500, policy: o.policy ?? 'SESSION',
    address: name, log: (m) => logs.push(m),
  });
  e.onChange((ev) => events.push(ev));
  return { e, events, logs, name };
}

const root = () => `/t${process.pid}_${n++}`;
const leaders = (cs: Cand[]) => cs.filter((c) => c.e.isLeader());

test('three candidates: one leader, predecessor watching, failover, strictly increasing epochs, the address published', { skip }, async () => {
  const r = root();
  const cs = [candidate('m1:19998', r), candidate('m2:19998', r), candidate('m3:19998', r), candidate('m4:19998', r)];
  try {
    // In order, each candidate node created before the next starts (start() may return before
    // it exists): m1 leads, each other watches the one before it.
    for (const c of cs) {
      await c.e.start();
      await waitFor(`${c.name}'s candidate node`, () => c.e.candidateNode() !== undefined);
    }
    const first = await waitFor('a leader', () => leaders(cs).length === 1 && leaders(cs)[0]);
    assert.equal(first.name, 'm1:19998');
    assert.equal(await cs[2]!.e.leaderAddress(), 'm1:19998');
    const e1 = first.e.epoch()!;
    assert.equal(await first.e.confirm(e1), true);
    assert.equal(await first.e.confirm(e1 + 1), false);
    assert.equal(await cs[1]!.e.confirm(e1), false, 'a standby confirms nothing');

    // Removing the last candidate (m4) wakes nobody; removing m2 wakes m3 (it watches m2) and
    // nobody else; neither changes the leader.
    await waitFor('every candidate placed', () => cs.every((c) => c.e.checks >= 1));
    const checks = () => cs.map((c) => c.e.checks);
    const before4 = checks();
    await cs[3]!.e.close();
    await cs[1]!.e.close();
    const m3 = await waitFor('m3 to re-check (its predecessor went)', () => cs[2]!.e.checks > before4[2]! && cs[2]!.e.checks);
    assert.equal(cs[0]!.e.checks, before4[0], 'the leader was not woken');
    assert.equal(m3, before4[2]! + 1, 'm3 was woken once');
    assert.deepEqual(leaders(cs).map((c) => c.name), ['m1:19998']);
    assert.equal(cs[2]!.events.length, 0);
    assert.equal(first.events.length, 1);

    // The leader leaves: m3 leads with a greater epoch; the old epoch can no longer be confirmed.
    await first.e.close();
    await waitFor('m3 to lead', () => cs[2]!.e.isLeader());
    const e3 = cs[2]!.e.epoch()!;
    assert.ok(e3 > e1, `epoch ${e3} > ${e1}`);
    assert.equal(await cs[2]!.e.confirm(e3), true);
    assert.equal(await waitFor('the new address', async () => (await cs[2]!.e.leaderAddress()) === 'm3:19998'), true);
    assert.deepEqual(first.events.map((x) => x.leader), [true, false]);
  } finally {
    for (const c of cs) await c.e.close();
  }
});

test('a leader whose session is gone loses to the next; its epoch is refused afterwards', { skip }, async () => {
  const r = root();
  const a = candidate('a:1', r), b = candidate('b:1', r);
  try {
    await a.e.start(); await waitFor('a leads', () => a.e.isLeader());
    await b.e.start();
    const ea = a.e.epoch()!;
    // Expire a's session from the outside: remove its candidate node, as an expiry would.
    const admin = await zk.client();
    try {
      const kids = await new Promise<string[]>((res, rej) => admin.getChildren(`${r}/election`, (e, k) => (e ? rej(e) : res(k))));
      const aNode = kids.sort()[0]!;
      const before = Date.now();
      await new Promise<void>((res, rej) => admin.remove(`${r}/election/${aNode}`, -1, (e) => (e ? rej(e) : res())));
      await waitFor('b leads', () => b.e.isLeader());
      console.log(`# b led ${Date.now() - before} ms after a's candidate node went`);
      const eb = b.e.epoch()!;
      assert.ok(eb > ea);
      // a still believes it leads (no event told it): confirm is the round trip that says no.
      assert.equal(await a.e.confirm(ea), false);
      const ep = await new Promise<string>((res, rej) => admin.getData(epochPath(`${r}/election`), (e, d) => (e ? rej(e) : res(d.toString()))));
      assert.equal(Number(ep), eb);
    } finally { admin.close(); }
  } finally { await a.e.close(); await b.e.close(); }
});

for (const policy of ['SESSION', 'STANDARD'] as const) {
  test(`policy ${policy}: a connection loss shorter than the session timeout`, { skip }, async () => {
    const r = root();
    const proxy = await TcpProxy.start(zk.connectString());
    const a = candidate('a:1', r, proxy.address, { sessionTimeoutMs: 4000, policy });
    const b = candidate('b:1', r, zk.connectString(), { sessionTimeoutMs: 4000, policy });
    try {
      await a.e.start(); await waitFor('a leads', () => a.e.isLeader());
      await b.e.start();
      const ea = a.e.epoch()!;
      proxy.cut();
      await waitFor('a to notice the connection loss', () => a.logs.some((l) => l.includes('lost the connection')));
      const during = a.e.isLeader();
      proxy.restore();
      await waitFor('a reconnected with its session', () => a.logs.some((l) => l.includes('again after')), 20_000);
      await waitFor('a leads again', () => a.e.isLeader(), 20_000);
      console.log(`# ${policy}: events of a: ${JSON.stringify(a.events)}`);
      assert.equal(b.e.isLeader(), false, 'the session lived: b never led');
      assert.equal(b.events.length, 0);
      if (policy === 'SESSION') {
        assert.equal(during, true, 'SESSION keeps leadership while disconnected');
        assert.deepEqual(a.events, [{ leader: true, epoch: ea }]);
        assert.equal(a.e.epoch(), ea);
      } else {
        assert.equal(during, false, 'STANDARD steps down at the connection loss');
        assert.deepEqual(a.events.map((x) => x.leader), [true, false, true]);
        assert.ok(a.e.epoch()! > ea, 'a new leadership, a new epoch');
        assert.equal(await a.e.confirm(ea), false);
      }
      assert.equal(await a.e.confirm(a.e.epoch()!), true);
    } finally { await a.e.close(); await b.e.close(); await proxy.close(); }
  });
}

test('ZooKeeper stopped: the leader steps down on its own within the session timeout; back: a leader again', { skip }, async () => {
  const r = root();
  const sessionTimeoutMs = 2000;
  const a = candidate('a:1', r, zk.connectString(), { sessionTimeoutMs });
  try {
    await a.e.start(); await waitFor('a leads', () => a.e.isLeader());
    const stopped = Date.now();
    await zk.stopAll();
    await waitFor('a steps down', () => !a.e.isLeader(), 30_000);
    const took = Date.now() - stopped;
    console.log(`# leader stepped down ${took} ms after ZooKeeper stopped (session timeout ${sessionTimeoutMs} ms)`);
    const down = a.events.at(-1)!;
    assert.equal(down.leader, false);
    assert.match((down as { reason: string }).reason, new RegExp(zk.connectString().replace(/\./g, '\\.')));
    await waitFor('an error naming the ensemble', () => a.logs.some((l) => l.includes('cannot reach') && l.includes(zk.connectString())), 20_000);
    const restarted = Date.now();
    await zk.startAll();
    await waitFor('a leads again', () => a.e.isLeader(), 60_000);
    console.log(`# leader again ${Date.now() - restarted} ms after ZooKeeper was started again`);
    assert.ok(a.e.epoch()! > (a.events[0] as { epoch: number }).epoch);
  } finally { await a.e.close(); }
});

test('3-member ensemble: the election survives losing one ZooKeeper server', { skip }, async () => {
  const z3 = await ZooKeeperServers.start({ members: 3, tickMs: 200 });
  const r = root();
  const cs = [candidate('x:1', r, z3.connectString(), { sessionTimeoutMs: 3000 }), candidate('y:1', r, z3.connectString(), { sessionTimeoutMs: 3000 })];
  try {
    for (const c of cs) await c.e.start();
    const l = await waitFor('a leader', () => leaders(cs).length === 1 && leaders(cs)[0]);
    const zl = await z3.leaderIndex();
    await z3.stopMember(zl);
    const e = l.e.epoch()!;
    await waitFor('confirm through the remaining quorum', () => l.e.confirm(e), 30_000);
    await l.e.close();
    const next = await waitFor('the other leads', () => leaders(cs).length === 1 && leaders(cs)[0], 30_000);
    assert.notEqual(next.name, l.name);
    assert.ok(next.e.epoch()! > e);
    assert.equal(await next.e.leaderAddress(), next.name);
  } finally {
    for (const c of cs) await c.e.close();
    await z3.destroy();
  }
});

test('the session timeout ZooKeeper grants (clamped to 20 ticks) is the one the step-down timer uses', { skip }, async () => {
  const a = candidate('a:1', root(), zk.connectString(), { sessionTimeoutMs: 60_000 });
  try {
    await a.e.start();
    await waitFor('a leads', () => a.e.isLeader());
    assert.equal(a.e.sessionTimeoutMs(), 20 * zk.tickMs);
    assert.ok(a.logs.some((l) => l.includes(`granted a session timeout of ${20 * zk.tickMs} ms instead of alluxio.zookeeper.session.timeout=60000 ms`)), a.logs.join('\n'));
  } finally { await a.e.close(); }
});

test('a leader cut off from ZooKeeper for good steps down before another master leads (no zombie)', { skip }, async () => {
  const r = root();
  const proxy = await TcpProxy.start(zk.connectString());
  const a = candidate('a:1', r, proxy.address, { sessionTimeoutMs: 2000 });
  const b = candidate('b:1', r, zk.connectString(), { sessionTimeoutMs: 2000 });
  let aDown = 0, bUp = 0;
  a.e.onChange((ev) => { if (!ev.leader) aDown = Date.now(); });
  b.e.onChange((ev) => { if (ev.leader) bUp = Date.now(); });
  try {
    await a.e.start(); await waitFor('a leads', () => a.e.isLeader());
    await b.e.start();
    const cut = Date.now();
    proxy.cut();
    await waitFor('b leads', () => bUp > 0, 30_000);
    console.log(`# cut at 0: a stepped down at ${aDown - cut} ms, b led at ${bUp - cut} ms (session timeout 2000 ms)`);
    assert.ok(aDown > 0 && aDown <= bUp, 'a stepped down before b led');
    assert.ok(b.e.epoch()! > (a.events[0] as { epoch: number }).epoch);
  } finally { await a.e.close(); await b.e.close(); await proxy.close(); }
});

test('started while ZooKeeper is down: start() returns after the connection timeout naming the ensemble; ZooKeeper up: it leads, no restart', { skip }, async () => {
  await zk.stopAll();
  const a = candidate('a:1', root(), zk.connectString(), { sessionTimeoutMs: 2000 });
  try {
    const t0 = Date.now();
    await a.e.start();
    console.log(`# start() returned after ${Date.now() - t0} ms with ZooKeeper down (connection timeout 1500 ms)`);
    assert.equal(a.e.isLeader(), false);
    await waitFor('the error naming the ensemble', () => a.logs.some((l) => l.includes(`cannot reach ZooKeeper ${zk.connectString()} (alluxio.zookeeper.address) within alluxio.zookeeper.connection.timeout=1500 ms`)), 20_000);
    assert.match(a.e.status(), new RegExp(`ZooKeeper ${zk.connectString().replace(/\./g, '\\.')} .*not connected`));
    await zk.startAll();
    await waitFor('a leads', () => a.e.isLeader(), 60_000).catch((e: Error) => assert.fail(`${e.message}\n${a.logs.join('\n')}\n${a.e.status()}`));
  } finally { await a.e.close(); }
});

/**
 * Three election candidates as separate processes (candidateMain.ts, built with createZkElection
 * from -D flags) on a 3-member ZooKeeper ensemble: one leader; kill -9 of the leader hands over
 * once its session expires (measured and printed), with a greater epoch.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZooKeeperServers, zooKeeperSkipReason } from '../../harness/zookeeper.js';
import { waitFor, giveUp } from '../../harness/wait.js';

const skip = zooKeeperSkipReason();
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'candidateMain.js');
interface Proc { name: string; p: ChildProcess; out: string[]; err: string }
const procs: Proc[] = [];
let zk: ZooKeeperServers | undefined;

after(async () => {
  for (const x of procs) if (x.p.exitCode === null && x.p.signalCode === null) x.p.kill('SIGKILL');
  await zk?.destroy();
});

function candidate(name: string, ensemble: string, sessionMs: number): Proc {
  const p = spawn(process.execPath, [MAIN, name, `-Dalluxio.zookeeper.address=${ensemble}`, `-Dalluxio.zookeeper.session.timeout=${sessionMs}ms`,
    '-Dalluxio.zookeeper.connection.timeout=3s', '-Dalluxio.zookeeper.election.path=/procs/election', '-Dalluxio.zookeeper.leader.path=/procs/leader'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const x: Proc = { name, p, out: [], err: '' };
  p.stdout!.setEncoding('utf8').on('data', (d: string) => x.out.push(...d.split('\n').filter(Boolean)));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => { x.err += d; });
  procs.push(x);
  return x;
}

const leads = (x: Proc) => { const last = x.out.filter((l) => l.startsWith('leader') || l.startsWith('down')).at(-1); return last?.startsWith('leader') ? Number(last.split(' ')[1]) : undefined; };

test('three candidate processes: one leader; kill -9 of the leader: another leads once the session expires', { skip }, async () => {
  zk = await ZooKeeperServers.start({ members: 3, tickMs: 200 });
  const sessionMs = 2000;
  const cs = ['p1:1', 'p2:1', 'p3:1'].map((n) => candidate(n, zk!.connectString(), sessionMs));
  const alive = (x: Proc) => x.p.exitCode === null && x.p.signalCode === null;
  const first = await waitFor('one leader among the processes', (observe) => {
    for (const x of cs) if (!alive(x)) giveUp(`${x.name} exited: ${x.err.slice(-2000)}`);
    observe(cs.map((x) => `${x.name}: ${x.out.join('|')}`));
    const l = cs.filter((x) => leads(x) !== undefined);
    return cs.every((x) => x.out.includes('started')) && l.length === 1 && l[0];
  }, 60_000);
  const e1 = leads(first)!;
  const killed = Date.now();
  first.p.kill('SIGKILL');
  const rest = cs.filter((x) => x !== first);
  const next = await waitFor('another process to lead', (observe) => {
    observe(rest.map((x) => `${x.name}: ${x.out.join('|')}`));
    const l = rest.filter((x) => leads(x) !== undefined);
    return l.length === 1 && l[0];
  }, 60_000);
  console.log(`# kill -9 of the leader -> next leader after ${Date.now() - killed} ms (session timeout ${sessionMs} ms)`);
  assert.ok(leads(next)! > e1, `epoch ${leads(next)} > ${e1}`);
  assert.equal(rest.filter((x) => leads(x) !== undefined).length, 1);
});

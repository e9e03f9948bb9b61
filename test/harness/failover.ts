/**
 * kill -9 of the leader under a steady write load, round after round, for any HA mode of a
 * TestCluster (embedded Raft: test/server/ha.test.ts; ZooKeeper + shared journal:
 * test/server/zk-ha.test.ts): a writer process with four clients creating directories, the
 * leader killed once it acknowledged a write and has another in flight, a new leader waited
 * for, the old one started again as a standby that caught up. The caller checks that every
 * acknowledged path is in the namespace at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLI, getJson, startNode, writeProgress, type TestCluster } from './cluster.js';
import { giveUp, waitFor } from './wait.js';

export interface FailoverRounds {
  /** Paths the writer saw acknowledged. */
  acked: string[];
  /** One line per round: who was killed, who leads next and after how long. */
  rounds: string[];
  /** Milliseconds from each kill to the next leader answering as such. */
  failoverMs: number[];
  /** The writer's stderr (its failed calls). */
  writerErrors: string;
}

/**
 * `rounds` kill -9 rounds under writes to `dir` (MUST_CACHE directories). `leaderTimeoutMs`:
 * how long a new leader may take (the ZooKeeper mode waits for the killed leader's session to
 * expire).
 */
export async function killLeaderUnderWrites(c: TestCluster, o: { dir: string; rounds: number; leaderTimeoutMs?: number }): Promise<FailoverRounds> {
  const script = path.join(c.dir, 'failover-writer.mjs');
  const stopFile = path.join(c.dir, 'failover-writer.stop');
  fs.rmSync(stopFile, { force: true });
  const mod = (m: string) => JSON.stringify(path.join(path.dirname(CLI), ...m.split('/')));
  // Four clients write until told to stop (bounded in time and count); each path goes to stdout
  // as "sent <path>" before its call, then alone once acknowledged; every failure to stderr.
  fs.writeFileSync(script, `
    import fs from 'node:fs';
    import { loadConfig } from ${mod('conf/index.js')};
    import { FileSystem } from ${mod('client/fileSystem.js')};
    const afs = new FileSystem(loadConfig({ env: process.env, home: process.cwd() }));
    const deadline = Date.now() + 240_000;
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 100_000 && Date.now() < deadline && !fs.existsSync(${JSON.stringify(stopFile)}); i++) {
        const p = ${JSON.stringify(o.dir)} + '/w' + w + '_' + i;
        process.stdout.write('sent ' + p + '\\n');
        try { await afs.createDirectory(p, { recursive: true, writeType: 'MUST_CACHE' }); process.stdout.write(p + '\\n'); }
        catch (e) { process.stderr.write(p + ' ' + e.message + '\\n'); }
      }
    }));
    afs.close();`);
  const writer = startNode([script], c.env, 270_000);
  const rounds: string[] = [];
  const failoverMs: number[] = [];
  const info = (i: number) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`);
  try {
    for (let round = 0; round < o.rounds; round++) {
      const leader = await c.waitLeader(o.leaderTimeoutMs);
      // Kill once this leader acknowledged a write and another is in flight (sent, not answered).
      const ackedBefore = writeProgress(writer).acked.length;
      await waitFor(`a write acknowledged by master ${leader} and another in flight`, (observe) => {
        const now = writeProgress(writer);
        if (writer.child.exitCode !== null) giveUp(`the writer exited with ${writer.child.exitCode}:\n${writer.stderr().slice(-3000)}`);
        observe({ ackedThisRound: now.acked.length - ackedBefore, inFlight: now.inFlight });
        return now.acked.length > ackedBefore && now.inFlight > 0;
      }, 30_000, 10);
      const t0 = Date.now();
      await c.kill('master', leader, 'SIGKILL');
      const next = await c.waitLeader(o.leaderTimeoutMs);
      if (next === leader) throw new Error(`round ${round + 1}: master ${leader} was killed but answers as leader`);
      failoverMs.push(Date.now() - t0);
      rounds.push(`round ${round + 1}: killed ${leader}, ${next} leads after ${failoverMs.at(-1)} ms`);
      // Back as a standby that has caught up, so that the next round starts from a full cluster.
      await c.startMaster(leader);
      await waitFor(`master ${leader} caught up as a standby`, async () => {
        const [i, l] = [await info(leader), await info(next)];
        return !i.isLeader && i.leaderAddress === `localhost:${c.masterPorts[next]!.rpc}` && i.journalLastIndex >= l.journalLastIndex - 50;
      }, 20_000);
    }
  } finally {
    fs.writeFileSync(stopFile, '');
  }
  const out = await writer.done;
  return { acked: writeProgress(writer).acked, rounds, failoverMs, writerErrors: out.stderr };
}

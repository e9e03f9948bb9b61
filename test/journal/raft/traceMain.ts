/**
 * Child process of trace.test.ts: three RaftJournals on the in-memory network, one proposal
 * through the leader, then exit (the trace is written at exit). Prints the proposal's index.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RaftJournal } from '../../../src/journal/raft/driver.js';
import { MemoryNetwork } from '../../../src/journal/raft/transport.js';
import type { AnyEntry, StateMachine } from '../../../src/journal/types.js';

const sm = (): StateMachine => ({ decode: (v) => v as AnyEntry, apply: () => undefined, snapshot: () => Buffer.alloc(0), restore: () => undefined });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-trace-raft-'));
const net = new MemoryNetwork();
const ids = ['a', 'b', 'c'];
const nodes = ids.map((id) => new RaftJournal({ id, voters: ids, dir: path.join(dir, id), transport: net.transport(id), tickMs: 10, electionTicks: 10, heartbeatTicks: 1, fsync: false }));
try {
  for (const j of nodes) await j.start(sm());
  let leader: RaftJournal | undefined;
  for (let i = 0; i < 500 && !leader; i++) { leader = nodes.find((j) => j.isLeader()); if (!leader) await new Promise((r) => setTimeout(r, 10)); }
  if (!leader) throw new Error('no leader within 5 s');
  await leader.propose({ type: 'put' } as AnyEntry);
  console.log(leader.stats().lastIndex);
} finally {
  for (const j of nodes) await j.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);

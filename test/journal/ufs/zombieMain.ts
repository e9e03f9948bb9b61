/**
 * A master process that leads the shared journal in `folder` under `epoch` and never learns it
 * lost: its election always says it leads and confirms every epoch (the worst case, a stale view).
 * It proposes `z0`, `z1`, ... one at a time and prints `ack <i>` or `rejected <i> <message>` per
 * proposal (test/journal/ufs/processes.test.ts SIGSTOPs and SIGCONTs it).
 *
 *   node dist/test/journal/ufs/zombieMain.js <folder> <epoch>
 */
import { UfsJournal } from '../../../src/journal/ufs/journal.js';
import type { ElectionEvent, LeaderElection } from '../../../src/journal/election.js';
import type { AnyEntry, StateMachine } from '../../../src/journal/types.js';

// `node --test dist/test/` runs every .js file below a directory named test: not a test.
if (process.env.NODE_TEST_CONTEXT !== undefined && process.argv.length <= 2) process.exit(0);

const [folder, epochArg] = process.argv.slice(2);
const epoch = Number(epochArg);
if (!folder || !(epoch >= 1)) { process.stderr.write('usage: zombieMain <folder> <epoch>\n'); process.exit(2); }

class Believer implements LeaderElection {
  private listeners: ((e: ElectionEvent) => void)[] = [];
  async start(): Promise<void> { setImmediate(() => { for (const l of this.listeners) l({ leader: true, epoch }); }); }
  isLeader(): boolean { return true; }
  epoch(): number { return epoch; }
  onChange(l: (e: ElectionEvent) => void): void { this.listeners.push(l); }
  async confirm(): Promise<boolean> { return true; }
  async leaderAddress(): Promise<string> { return 'zombie:1'; }
  async close(): Promise<void> {}
}

const sm: StateMachine = {
  decode: (v) => v as AnyEntry,
  apply: (_e, i) => i,
  snapshot: () => Buffer.from('[]'),
  restore: () => undefined,
};
const j = new UfsJournal({ folder, election: new Believer(), who: 'zombie:1', pollMs: 50, log: (m) => process.stderr.write(`${m}\n`) });
await j.start(sm);
let stop = false;
process.on('SIGTERM', () => { stop = true; });
for (let i = 0; !stop; i++) {
  if (!j.isLeader()) { await new Promise((r) => setTimeout(r, 5)); i--; continue; }
  try {
    await j.propose({ type: 'put', k: `z${i}`, v: i });
    process.stdout.write(`ack ${i}\n`);
  } catch (e) {
    process.stdout.write(`rejected ${i} ${(e as Error).message}\n`);
  }
}
await j.close();

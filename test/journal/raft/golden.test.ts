/**
 * Golden interaction tests for the Raft core (convention 2).
 *
 * Each test/journal/testdata/*.txt file is a script: a command line, a `----` line, the expected
 * output, and a blank line; `#` lines before a command are comments. The runner executes the
 * commands in order against one in-memory cluster and compares every output block exactly.
 * `UPDATE_GOLDEN=1` rewrites the expected blocks instead (review the diff like code).
 *
 * Commands (node ids are "1", "2", ...; `[ids]` defaults to every running node):
 *   add-nodes N [election=10] [heartbeat=1] [prevote=true] [checkquorum=true] [inflight=16]
 *             [maxentries=64] [join]     create N nodes; voters = the new nodes, or none with `join`
 *   campaign ID                          start an election (pre-vote first when enabled)
 *   tick N [ids]                         N ticks on each node
 *   propose ID DATA                      propose a normal entry
 *   conf-change ID add|remove NODE       propose a membership change
 *   transfer-leader FROM TO              leadership transfer
 *   read-index ID CTX                    linearizable read request
 *   compact ID INDEX                     application snapshot at INDEX; compact log
 *   ready [ids]                          handle one Ready per node (persist, queue messages, apply)
 *   deliver [FROM->TO ...]               deliver queued messages (all, or only those links)
 *   drop [FROM->TO ...]                  discard queued messages (all, or only those links)
 *   stabilize [ids]                      ready + deliver until nothing happens
 *   partition A B | C D                  cut every link between the groups (new messages dropped)
 *   heal                                 remove partitions
 *   crash ID / restart ID                lose volatile state / restart from storage
 *   conn-reset ID [ids]                  the connections to ID were reset (its process died, or a
 *                                        flaky link): each of ids (default: every other running
 *                                        node) gets peerLost(ID), as the driver reports it
 *   wipe ID [recovering]                 restart with empty storage (raft/ wiped); `recovering`
 *                                        as the driver starts a member it knows lost its log
 *   status ID / log ID                   print the node's status / log and state machine
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message, NodeId } from '../../../src/journal/raft/types.js';
import { TestNode, byId, fmtEntry, fmtMessage, fmtReady, lcg } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Runs from dist/test/journal/raft; the scripts stay in the source tree.
const testdata = path.resolve(here, '../../../../test/journal/testdata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Block {
  comments: string[];
  command: string;
  expected: string;
}

function parseScript(text: string, file: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.startsWith('#'))) {
      if (lines[i]!.startsWith('#')) comments.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) break;
    const command = lines[i++]!;
    if (lines[i] !== '----') throw new Error(`${file}:${i + 1}: expected ---- after "${command}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== '') out.push(lines[i++]!);
    blocks.push({ comments, command, expected: out.join('\n') });
  }
  return blocks;
}

function renderScript(blocks: readonly Block[]): string {
  return blocks.map((b) => [...b.comments, b.command, '----', b.expected].join('\n') + '\n').join('\n');
}

/** The interpreter's world: nodes, the network queue, partitions. */
class World {
  nodes = new Map<NodeId, TestNode>();
  down = new Set<NodeId>();
  queue: Message[] = [];
  cut = new Set<string>();

  run(command: string): string {
    const [cmd, ...args] = command.trim().split(/\s+/);
    const out: string[] = [];
    switch (cmd) {
      case 'add-nodes':
        this.addNodes(args);
        return 'ok';
      case 'campaign':
        this.node(args[0]).core.campaign();
        return 'ok';
      case 'tick': {
        const n = Number(args[0]);
        for (const id of this.ids(args.slice(1))) for (let k = 0; k < n; k++) this.node(id).core.tick();
        return 'ok';
      }
      case 'propose':
        return this.guard(() => `index ${this.node(args[0]).core.propose(args.slice(1).join(' '))}`);
      case 'conf-change':
        return this.guard(() => {
          const op = args[1] as 'add' | 'remove';
          const node = args[2]!;
          if (op === 'add' && !this.nodes.has(node)) this.addNodes(['1', 'join'], node);
          return `index ${this.node(args[0]).core.proposeConfChange({ op, node })}`;
        });
      case 'transfer-leader':
        return this.guard(() => {
          this.node(args[0]).core.transferLeadership(args[1]!);
          return 'ok';
        });
      case 'read-index':
        return this.guard(() => {
          this.node(args[0]).core.readIndex(args[1]!);
          return 'ok';
        });
      case 'compact':
        return this.guard(() => {
          const s = this.node(args[0]).compact(Number(args[1]));
          return s ? `snapshot ${s.term}/${s.index} voters=[${s.voters.join(',')}]` : 'nothing to compact';
        });
      case 'ready':
        this.readyAll(this.ids(args), out);
        break;
      case 'deliver':
        this.deliver(args, out);
        break;
      case 'drop': {
        const keep: Message[] = [];
        for (const m of this.queue) {
          if (this.matches(m, args)) out.push(`dropped: ${fmtMessage(m)}`);
          else keep.push(m);
        }
        this.queue = keep;
        break;
      }
      case 'stabilize':
        this.stabilize(this.ids(args), out);
        break;
      case 'partition': {
        const groups = args.join(' ').split('|').map((g) => g.trim().split(/\s+/).filter(Boolean));
        for (const a of groups) for (const b of groups) {
          if (a === b) continue;
          for (const x of a) for (const y of b) this.cut.add(`${x}->${y}`);
        }
        return 'ok';
      }
      case 'heal':
        this.cut.clear();
        return 'ok';
      case 'crash':
        this.node(args[0]);
        this.down.add(args[0]!);
        return 'ok';
      case 'conn-reset': {
        const lost = args[0]!;
        const to = args.length > 1 ? args.slice(1) : this.ids([]).filter((id) => id !== lost);
        for (const id of to) this.node(id).core.peerLost(lost);
        return 'ok';
      }
      case 'restart':
        this.nodes.get(args[0]!)!.restart();
        this.down.delete(args[0]!);
        return 'ok';
      case 'wipe':
        this.nodes.get(args[0]!)!.wipe(args[1] === 'recovering');
        this.down.delete(args[0]!);
        return 'ok';
      case 'status':
        this.status(args[0]!, out);
        break;
      case 'log':
        this.printLog(args[0]!, out);
        break;
      default:
        throw new Error(`unknown command ${cmd}`);
    }
    return out.length === 0 ? 'ok' : out.join('\n');
  }

  private guard(f: () => string): string {
    try {
      return f();
    } catch (err) {
      const e = err as Error;
      return `error: ${e.name}: ${e.message}`;
    }
  }

  private addNodes(args: string[], explicitId?: NodeId): void {
    const n = Number(args[0]);
    const opts = new Map<string, string>();
    for (const a of args.slice(1)) {
      const [k, v] = a.split('=');
      opts.set(k!, v ?? 'true');
    }
    const first = this.nodes.size + 1;
    const ids = explicitId ? [explicitId] : Array.from({ length: n }, (_, k) => String(first + k));
    const num = (k: string, d: number) => (opts.has(k) ? Number(opts.get(k)) : d);
    const bool = (k: string, d: boolean) => (opts.has(k) ? opts.get(k) === 'true' : d);
    for (const id of ids) {
      this.nodes.set(
        id,
        new TestNode({
          id,
          voters: bool('join', false) ? [] : ids,
          electionTicks: num('election', 10),
          heartbeatTicks: num('heartbeat', 1),
          random: lcg(Number(id) * 7919 + 17),
          preVote: bool('prevote', true),
          checkQuorum: bool('checkquorum', true),
          maxInflight: num('inflight', 16),
          maxEntriesPerMsg: num('maxentries', 64),
        }),
      );
    }
  }

  private node(id: string | undefined): TestNode {
    const n = id === undefined ? undefined : this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    if (this.down.has(id!)) throw new Error(`node ${id} is down`);
    return n;
  }

  private ids(args: string[]): NodeId[] {
    if (args.length > 0) return args;
    return [...this.nodes.keys()].filter((id) => !this.down.has(id)).sort(byId);
  }

  private matches(m: Message, links: string[]): boolean {
    return links.length === 0 || links.includes(`${m.from}->${m.to}`);
  }

  private readyAll(ids: NodeId[], out: string[]): boolean {
    let any = false;
    for (const id of ids) {
      if (this.down.has(id)) continue;
      const rd = this.node(id).processReady();
      if (!rd) continue;
      any = true;
      out.push(`> ${id} ready`);
      for (const line of fmtReady(rd)) {
        out.push(`  ${line}`);
      }
      for (const m of rd.messages) {
        if (this.cut.has(`${m.from}->${m.to}`)) {
          out.push(`  send: ${fmtMessage(m)} (dropped: partition)`);
        } else {
          out.push(`  send: ${fmtMessage(m)}`);
          this.queue.push(m);
        }
      }
    }
    return any;
  }

  private deliver(links: string[], out: string[]): boolean {
    const now = this.queue.filter((m) => this.matches(m, links));
    this.queue = this.queue.filter((m) => !this.matches(m, links));
    const byTo = new Map<NodeId, Message[]>();
    for (const m of now) byTo.set(m.to, [...(byTo.get(m.to) ?? []), m]);
    for (const to of [...byTo.keys()].sort(byId)) {
      out.push(`> ${to} receiving`);
      for (const m of byTo.get(to)!) {
        if (this.down.has(to) || !this.nodes.has(to)) {
          out.push(`  dropped (down): ${fmtMessage(m)}`);
          continue;
        }
        if (this.cut.has(`${m.from}->${m.to}`)) {
          out.push(`  dropped (partition): ${fmtMessage(m)}`);
          continue;
        }
        out.push(`  ${fmtMessage(m)}`);
        this.nodes.get(to)!.core.step(m);
      }
    }
    return now.length > 0;
  }

  private stabilize(ids: NodeId[], out: string[]): void {
    for (let round = 0; ; round++) {
      if (round > 200) throw new Error('stabilize did not converge');
      const a = this.readyAll(ids, out);
      const b = this.deliver([], out);
      if (!a && !b) return;
    }
  }

  private status(id: NodeId, out: string[]): void {
    const st = this.node(id).core.status();
    out.push(`${id}: term=${st.term} role=${st.role} leader=${st.leader || '-'} commit=${st.commit} applied=${st.applied} last=${st.lastIndex} voters=[${st.voters.join(',')}]${st.recovering ? ' recovering' : ''}`);
    for (const [pid, p] of Object.entries(st.progress ?? {}).sort(([a], [b]) => byId(a, b))) {
      out.push(`  ${pid}: match=${p.match} next=${p.next} ${p.state}${p.recovering ? ' recovering' : ''}`);
    }
  }

  private printLog(id: NodeId, out: string[]): void {
    const n = this.node(id);
    const v = n.core.logView();
    if (v.snapshotIndex > 0) out.push(`snapshot ${v.snapshotTerm}/${v.snapshotIndex}`);
    for (const e of v.entries) out.push(fmtEntry(e));
    out.push(`stabled=${v.stabled} committed=${v.committed} applied=${v.applied}`);
    out.push(`sm: [${n.sm.map((a) => a.data).join(' ')}]`);
    if (n.readStates.length > 0) out.push(`reads: ${n.readStates.map((r) => `${r.context}@${r.index}`).join(' ')}`);
  }
}

const files = fs.existsSync(testdata) ? fs.readdirSync(testdata).filter((f) => f.endsWith('.txt')).sort() : [];

test('golden scripts exist', () => {
  assert.ok(files.length > 0, `no scripts in ${testdata}`);
});

for (const file of files) {
  test(`golden: ${file}`, () => {
    const full = path.join(testdata, file);
    const blocks = parseScript(fs.readFileSync(full, 'utf8'), file);
    const world = new World();
    const updated: Block[] = [];
    for (const b of blocks) {
      const actual = world.run(b.command);
      if (UPDATE) updated.push({ ...b, expected: actual });
      else assert.equal(actual, b.expected, `${file}: output of "${b.command}" differs`);
    }
    if (UPDATE) fs.writeFileSync(full, renderScript(updated));
  });
}

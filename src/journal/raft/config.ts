/**
 * Membership (voter set) helpers. Single-server changes, carried in 'conf' entries, take effect as
 * soon as the entry is appended to a log (Raft thesis §4.1), so a node's configuration is always
 * "the snapshot's voters, then every conf entry in the log, in order". Pure functions.
 */
import type { ConfChange, Entry, NodeId } from './types.js';
import { RaftInvariantError } from './types.js';

export function encodeConfChange(cc: ConfChange): string {
  return JSON.stringify({ op: cc.op, node: cc.node });
}

export function decodeConfChange(data: string): ConfChange {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch (err) {
    throw new RaftInvariantError(`conf entry is not JSON: ${data}`, { cause: err });
  }
  const o = v as Partial<ConfChange> | null;
  if (!o || (o.op !== 'add' && o.op !== 'remove') || typeof o.node !== 'string' || o.node === '') {
    throw new RaftInvariantError(`malformed conf entry: ${data}`);
  }
  return { op: o.op, node: o.node };
}

/** Sorted, de-duplicated copy: voters are always kept sorted so iteration order is deterministic. */
export function normalizeVoters(voters: readonly NodeId[]): NodeId[] {
  return [...new Set(voters)].sort();
}

/** The voter set after one change. */
export function applyConfChange(voters: readonly NodeId[], cc: ConfChange): NodeId[] {
  if (cc.op === 'add') return normalizeVoters([...voters, cc.node]);
  return voters.filter((v) => v !== cc.node);
}

/**
 * The configuration after `base` and the conf entries among `entries` with index <= `upTo`.
 * Also returns the index of the last conf entry seen (0 when none).
 */
export function configFromLog(base: readonly NodeId[], entries: readonly Entry[], upTo = Infinity): { voters: NodeId[]; lastConfIndex: number } {
  let voters = normalizeVoters(base);
  let lastConfIndex = 0;
  for (const e of entries) {
    if (e.index > upTo) break;
    if (e.type !== 'conf') continue;
    voters = applyConfChange(voters, decodeConfChange(e.data));
    lastConfIndex = e.index;
  }
  return { voters, lastConfIndex };
}

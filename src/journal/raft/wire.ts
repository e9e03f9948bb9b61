/**
 * The embedded journal port's wire format, checked (convention 12). A RaftBatch
 * (proto/raft_journal.proto) carries JSON-encoded core Messages, a framed batch (framedWire.ts)
 * one JSON document holding them; nothing decoded from it reaches
 * the core before it is proven to have the exact shape the core produces: a known type, the
 * fields that type uses with the right types (numbers are non-negative safe integers, ids are
 * short printable strings), entries contiguous after the message's index with terms that never
 * decrease nor exceed the message's term, conf entries that decode, snapshots with voters and
 * base64 data. Unknown keys are dropped: the core gets a fresh object, never the parsed one.
 *
 * Failures are InvalidArgumentError naming the sender and what is wrong; the transport drops the
 * whole batch, counts and logs it. What this does not (cannot) check is whether a well-formed
 * message tells the truth: that is the business of peer authentication.
 */
import { InvalidArgumentError } from '../../errors.js';
import { decodeConfChange } from './config.js';
import type { Entry, Message, MessageType, NodeId, Snapshot } from './types.js';

/** Longest node id (host:port) accepted. */
export const MAX_ID_LENGTH = 256;
/** Longest read-index / campaign context accepted (the core uses "transfer" and "r<n>"). */
export const MAX_CONTEXT_LENGTH = 256;
/** Most messages in one batch, entries in one App, voters in one snapshot. */
export const MAX_MESSAGES_PER_BATCH = 10_000;
export const MAX_ENTRIES_PER_MESSAGE = 100_000;
export const MAX_VOTERS = 1000;

const TYPES: ReadonlySet<string> = new Set<MessageType>([
  'PreVote', 'PreVoteResp', 'Vote', 'VoteResp', 'App', 'AppResp', 'Heartbeat', 'HeartbeatResp', 'Snap', 'TimeoutNow', 'ReadIndex', 'ReadIndexResp',
]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A short rendering of a bad value for error messages (never the whole of a huge string). */
function show(v: unknown): string {
  let s: string;
  try { s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v); } catch { s = typeof v; }
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nat(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, not ${show(v)}`);
  return v;
}

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string') throw new InvalidArgumentError(`${what} must be a string, not ${show(v)}`);
  if (v.length > max) throw new InvalidArgumentError(`${what} is ${v.length} characters long (at most ${max})`);
  return v;
}

/** A node id: 1 to MAX_ID_LENGTH printable characters. */
export function checkNodeId(v: unknown, what: string): NodeId {
  const s = text(v, what, MAX_ID_LENGTH);
  // eslint-disable-next-line no-control-regex
  if (s === '' || /[\u0000-\u001f\u007f]/.test(s)) throw new InvalidArgumentError(`${what} ${show(s)} is not a node id`);
  return s;
}

function checkEntry(v: unknown, what: string): Entry {
  if (!isRecord(v)) throw new InvalidArgumentError(`${what} must be an object, not ${show(v)}`);
  const type = v.type;
  if (type !== 'normal' && type !== 'conf') throw new InvalidArgumentError(`${what}.type must be "normal" or "conf", not ${show(type)}`);
  const e: Entry = { term: nat(v.term, `${what}.term`), index: nat(v.index, `${what}.index`), type, data: text(v.data, `${what}.data`, Infinity) };
  if (type === 'conf') {
    let cc;
    try { cc = decodeConfChange(e.data); } catch { throw new InvalidArgumentError(`${what} is a conf entry whose data is not a membership change: ${show(e.data)}`); }
    checkNodeId(cc.node, `${what}'s conf change node`);
  }
  return e;
}

function checkSnapshot(v: unknown, term: number): Snapshot {
  if (!isRecord(v)) throw new InvalidArgumentError(`snapshot must be an object, not ${show(v)}`);
  const s: Snapshot = { index: nat(v.index, 'snapshot.index'), term: nat(v.term, 'snapshot.term'), voters: [], data: text(v.data, 'snapshot.data', Infinity) };
  if (s.term > term) throw new InvalidArgumentError(`snapshot.term ${s.term} is above the message's term ${term}`);
  if (!Array.isArray(v.voters) || v.voters.length === 0 || v.voters.length > MAX_VOTERS) {
    throw new InvalidArgumentError(`snapshot.voters must be a list of 1 to ${MAX_VOTERS} node ids, not ${show(v.voters)}`);
  }
  s.voters = v.voters.map((x, i) => checkNodeId(x, `snapshot.voters[${i}]`));
  if (s.data.length % 4 !== 0 || !BASE64.test(s.data)) throw new InvalidArgumentError('snapshot.data is not base64');
  return s;
}

/**
 * Check one decoded message addressed to `self` from the batch's sender `from`; returns a clean
 * copy with only the fields its type uses. Throws InvalidArgumentError.
 */
export function checkMessage(v: unknown, self: NodeId, from: NodeId): Message {
  if (!isRecord(v)) throw new InvalidArgumentError(`a message must be an object, not ${show(v)}`);
  if (typeof v.type !== 'string' || !TYPES.has(v.type)) throw new InvalidArgumentError(`unknown message type ${show(v.type)}`);
  const type = v.type as MessageType;
  const m: Message = { type, from: checkNodeId(v.from, `${type}.from`), to: checkNodeId(v.to, `${type}.to`), term: nat(v.term, `${type}.term`) };
  if (m.from !== from) throw new InvalidArgumentError(`${type} claims to be from ${show(m.from)} in a batch from ${show(from)}`);
  if (m.to !== self) throw new InvalidArgumentError(`${type} is addressed to ${show(m.to)}, not to this node (${self})`);
  for (const k of ['logTerm', 'index', 'commit', 'rejectHint', 'recoverAt'] as const) if (v[k] !== undefined) m[k] = nat(v[k], `${type}.${k}`);
  for (const k of ['reject', 'recovering'] as const) {
    if (v[k] === undefined) continue;
    if (typeof v[k] !== 'boolean') throw new InvalidArgumentError(`${type}.${k} must be a boolean, not ${show(v[k])}`);
    m[k] = v[k];
  }
  if (v.context !== undefined) m.context = text(v.context, `${type}.context`, MAX_CONTEXT_LENGTH);
  if (m.logTerm !== undefined && m.logTerm > m.term) throw new InvalidArgumentError(`${type}.logTerm ${m.logTerm} is above its term ${m.term}`);

  if (v.entries !== undefined) {
    if (type !== 'App') throw new InvalidArgumentError(`${type} carries entries (only App does)`);
    if (!Array.isArray(v.entries) || v.entries.length > MAX_ENTRIES_PER_MESSAGE) {
      throw new InvalidArgumentError(`App.entries must be a list of at most ${MAX_ENTRIES_PER_MESSAGE} entries, not ${show(v.entries)}`);
    }
    // Contiguous after the preceding entry; terms never decrease, never pass the sender's term.
    let index = m.index ?? 0, term = m.logTerm ?? 0;
    m.entries = v.entries.map((x, i) => {
      const e = checkEntry(x, `App.entries[${i}]`);
      if (e.index !== index + 1) throw new InvalidArgumentError(`App.entries[${i}] has index ${e.index}, expected ${index + 1}`);
      if (e.term < term || e.term > m.term) throw new InvalidArgumentError(`App.entries[${i}] has term ${e.term}, outside [${term}, ${m.term}]`);
      index = e.index;
      term = e.term;
      return e;
    });
  }
  if (type === 'Snap') {
    m.snapshot = checkSnapshot(v.snapshot, m.term);
  } else if (v.snapshot !== undefined) {
    throw new InvalidArgumentError(`${type} carries a snapshot (only Snap does)`);
  }
  return m;
}

/** A decoded RaftBatch, as grpc-js hands it over (fields defaulted by the proto loader). */
export interface RaftBatch { from: string; clusterId: string; messages: string[] }

/** A batch whose every message passed checkMessage. */
export interface CheckedBatch { from: NodeId; clusterId: string; messages: Message[] }

/**
 * Check a whole gRPC batch (RaftBatch: every message a JSON string) for node `self`; `clusterId`
 * is this node's cluster id ('' while it does not know it yet). A batch for another cluster, or
 * without a cluster id while this node knows its own, is refused. Returns the messages, every
 * one checked; throws InvalidArgumentError.
 */
export function decodeBatch(req: unknown, self: NodeId, clusterId: string): CheckedBatch {
  if (!isRecord(req)) throw new InvalidArgumentError(`a batch must be an object, not ${show(req)}`);
  return checkBatch(req.from, req.clusterId, req.messages, self, clusterId, (s, i, from) => {
    if (typeof s !== 'string') throw new InvalidArgumentError(`message ${i} of the batch from ${from} is not a string`);
    try { return JSON.parse(s) as unknown; } catch { throw new InvalidArgumentError(`message ${i} of the batch from ${from} is not JSON: ${show(s)}`); }
  });
}

/**
 * Check a framed batch (framedWire.ts: one JSON document {clusterId, messages: [Message...]})
 * from `from`, the sender its connection's HELLO named; the same checks as decodeBatch.
 */
export function decodeFramedBatch(payload: Buffer, from: NodeId, self: NodeId, clusterId: string): CheckedBatch {
  let v: unknown;
  try { v = JSON.parse(payload.toString('utf8')); } catch { throw new InvalidArgumentError(`the batch from ${from} is not JSON: ${show(payload.toString('utf8', 0, 80))}`); }
  if (!isRecord(v)) throw new InvalidArgumentError(`a batch must be an object, not ${show(v)}`);
  return checkBatch(from, v.clusterId, v.messages, self, clusterId, (m) => m);
}

/** The checks both wires share: sender, cluster id, every message (`parse`: one item to a message object). */
function checkBatch(sender: unknown, cluster: unknown, list: unknown, self: NodeId, clusterId: string, parse: (item: unknown, i: number, from: NodeId) => unknown): CheckedBatch {
  const from = checkNodeId(sender, 'batch sender');
  const theirs = cluster === undefined ? '' : text(cluster, `cluster id of the batch from ${from}`, MAX_ID_LENGTH);
  if (clusterId && theirs !== clusterId) {
    throw new InvalidArgumentError(theirs
      ? `batch from ${from} is for cluster ${show(theirs)}, this node is in cluster ${clusterId}`
      : `batch from ${from} names no cluster, this node is in cluster ${clusterId}`);
  }
  if (!Array.isArray(list) || list.length > MAX_MESSAGES_PER_BATCH) {
    throw new InvalidArgumentError(`batch from ${from} must hold a list of at most ${MAX_MESSAGES_PER_BATCH} messages`);
  }
  const messages = list.map((item, i) => {
    const v = parse(item, i, from);
    try { return checkMessage(v, self, from); } catch (e) {
      if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`message ${i} of the batch from ${from}: ${e.message}`);
      throw e;
    }
  });
  return { from, clusterId: theirs, messages };
}

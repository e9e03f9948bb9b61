/**
 * The master's journal entries: one interface per entry type, their union `MasterEntry` (what
 * the namespace applies and the master proposes), and `decodeMasterEntry`, the one check of an
 * entry decoded from disk (journal replay) or from the network (Raft) against that union.
 *
 * The on-disk and on-wire form is the JSON of these objects, unchanged from earlier versions:
 * fields that earlier versions did not write (owner, group, mode, dirMode, ts, opId, ...) are
 * optional, so every journal written before still replays. Unknown extra fields are ignored
 * (left in place, never read). A field of the wrong type, a missing required field or an
 * unknown entry type is an InvalidEntryError naming the entry type and the field; the journals
 * turn it into a refused proposal (before anything is written) or, for an entry already in the
 * log, a JournalCorruptError naming the log and index.
 *
 * Only types are checked here. Values (an absolute path, a positive block size, an existing
 * file) are the namespace's business: they are deterministic rejections of apply, identical on
 * every replica and on replay.
 */
import { InvalidArgumentError } from '../../errors.js';

export type PersistenceState = 'NOT_PERSISTED' | 'TO_BE_PERSISTED' | 'PERSISTED';
const PERSISTENCE_STATES: readonly PersistenceState[] = ['NOT_PERSISTED', 'TO_BE_PERSISTED', 'PERSISTED'];

/** Fields any entry may carry. */
interface EntryBase {
  /** When the leader proposed it (ms since the epoch): the times apply gives inodes. Absent: 0. */
  readonly ts?: number;
  /** The client operation it carries out: a retry with the same id gets the first outcome. */
  readonly opId?: string;
}

/** Owner, group and mode of the inodes an entry creates (absent in journals from before permissions). */
interface NewPermFields {
  readonly owner?: string;
  readonly group?: string;
  /** Permission bits of the new inode. */
  readonly mode?: number;
}

/** The cluster id, journaled once by the first leader. */
export interface InitEntry extends EntryBase { readonly type: 'init'; readonly clusterId: string }
/** A master announces itself as leader: journal node id and its rpc and web addresses. */
export interface LeaderInfoEntry extends EntryBase { readonly type: 'leaderInfo'; readonly id: string; readonly rpc: string; readonly web: string }
export interface MkdirEntry extends EntryBase, NewPermFields {
  readonly type: 'mkdir';
  readonly path: string;
  readonly recursive?: boolean;
  /** An existing directory is not an error. */
  readonly allowExists?: boolean;
  /** The directory (and the ancestors it creates) exists in the UFS too. */
  readonly persisted?: boolean;
}
export interface CreateFileEntry extends EntryBase, NewPermFields {
  readonly type: 'createFile';
  readonly path: string;
  readonly recursive?: boolean;
  readonly blockSize: number;
  /** Mode of the ancestors `recursive` creates. */
  readonly dirMode?: number;
}
/** chown / chgrp / chmod; `mode` is a mode spec (octal or symbolic), applied per inode. */
export interface SetAttributeEntry extends EntryBase {
  readonly type: 'setAttribute';
  readonly path: string;
  readonly owner?: string;
  readonly group?: string;
  readonly mode?: string;
  readonly recursive?: boolean;
}
export interface NewBlockEntry extends EntryBase { readonly type: 'newBlock'; readonly path: string }
export interface CommitBlockEntry extends EntryBase { readonly type: 'commitBlock'; readonly blockId: number; readonly length: number }
export interface CompleteFileEntry extends EntryBase {
  readonly type: 'completeFile';
  readonly path: string;
  readonly length: number;
  readonly persistence: PersistenceState;
}
export interface DeleteEntry extends EntryBase { readonly type: 'delete'; readonly path: string; readonly recursive?: boolean }
export interface RenameEntry extends EntryBase { readonly type: 'rename'; readonly src: string; readonly dst: string }
/** The leader carried out UFS change `seq` (Namespace.ufsOps). */
export interface UfsDoneEntry extends EntryBase { readonly type: 'ufsDone'; readonly seq: number }
/** The file's data was placed in the UFS. */
export interface SetPersistedEntry extends EntryBase { readonly type: 'setPersisted'; readonly fileId: number }
/** Persisting the file was given up (alluxio.master.persistence.max.total.wait.time). */
export interface PersistFailedEntry extends EntryBase { readonly type: 'persistFailed'; readonly fileId: number; readonly error?: string }

export type MasterEntry =
  | InitEntry | LeaderInfoEntry | MkdirEntry | CreateFileEntry | SetAttributeEntry | NewBlockEntry | CommitBlockEntry
  | CompleteFileEntry | DeleteEntry | RenameEntry | UfsDoneEntry | SetPersistedEntry | PersistFailedEntry;

export type MasterEntryType = MasterEntry['type'];

/** A decoded entry is not a MasterEntry. `field` is the offending field ('type' for an unknown type). */
export class InvalidEntryError extends InvalidArgumentError {
  constructor(readonly entryType: string, readonly field: string, message: string) {
    super(message);
  }
}

// ------------------------------------------------------------------ the schema

/** How a field is checked: integers are safe integers; '?' marks an optional field. */
type Kind = 'string' | 'int' | 'boolean' | 'persistence';
type KindOf<V> = [V] extends [boolean] ? 'boolean' : [V] extends [number] ? 'int' : [V] extends [string] ? (string extends V ? 'string' : 'persistence') : never;
/** Every field of entry `E` (but `type`) with its kind; the compiler keeps it in step with the interfaces. */
type Schema<E> = { readonly [K in Exclude<keyof E, 'type'>]-?: {} extends Pick<E, K> ? `${KindOf<Exclude<E[K], undefined>>}?` : KindOf<E[K]> };

const BASE = { ts: 'int?', opId: 'string?' } as const;
const PERM = { owner: 'string?', group: 'string?', mode: 'int?' } as const;

const SCHEMAS: { readonly [T in MasterEntryType]: Schema<Extract<MasterEntry, { type: T }>> } = {
  init: { ...BASE, clusterId: 'string' },
  leaderInfo: { ...BASE, id: 'string', rpc: 'string', web: 'string' },
  mkdir: { ...BASE, ...PERM, path: 'string', recursive: 'boolean?', allowExists: 'boolean?', persisted: 'boolean?' },
  createFile: { ...BASE, ...PERM, path: 'string', recursive: 'boolean?', blockSize: 'int', dirMode: 'int?' },
  setAttribute: { ...BASE, path: 'string', owner: 'string?', group: 'string?', mode: 'string?', recursive: 'boolean?' },
  newBlock: { ...BASE, path: 'string' },
  commitBlock: { ...BASE, blockId: 'int', length: 'int' },
  completeFile: { ...BASE, path: 'string', length: 'int', persistence: 'persistence' },
  delete: { ...BASE, path: 'string', recursive: 'boolean?' },
  rename: { ...BASE, src: 'string', dst: 'string' },
  ufsDone: { ...BASE, seq: 'int' },
  setPersisted: { ...BASE, fileId: 'int' },
  persistFailed: { ...BASE, fileId: 'int', error: 'string?' },
};

/** The entry types, in the order of the schema (for tests and messages). */
export const MASTER_ENTRY_TYPES = Object.keys(SCHEMAS) as MasterEntryType[];

/** The schema as lists of checks (replay decodes every entry: no string work per field). */
interface FieldCheck { readonly field: string; readonly kind: Kind; readonly optional: boolean }
const CHECKS = new Map<string, readonly FieldCheck[]>(Object.entries(SCHEMAS).map(([type, schema]) => [type, Object.entries(schema as Record<string, string>).map(([field, spec]) => {
  const optional = spec.endsWith('?');
  return { field, kind: (optional ? spec.slice(0, -1) : spec) as Kind, optional };
})]));

const EXPECTED: Record<Kind, string> = {
  string: 'a string', int: 'an integer', boolean: 'true or false', persistence: `one of ${PERSISTENCE_STATES.join(', ')}`,
};

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string': return typeof v === 'string';
    case 'int': return typeof v === 'number' && Number.isSafeInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'persistence': return (PERSISTENCE_STATES as readonly unknown[]).includes(v);
  }
}

/** A short rendering of a bad value for messages. */
function show(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
    return s.length > 60 ? `${s.slice(0, 60)}...` : s;
  }
  return Array.isArray(v) ? 'an array' : 'an object';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check a decoded value against the entry union and return it typed (the same object). Throws
 * InvalidEntryError naming the entry type and the first field that does not fit. A field that is
 * `undefined` counts as absent, as it is once written (JSON drops it).
 */
export function decodeMasterEntry(v: unknown): MasterEntry {
  if (!isRecord(v) || typeof v.type !== 'string') {
    throw new InvalidEntryError(isRecord(v) ? show(v.type) : '', 'type', `a journal entry must be an object with a string "type", not ${isRecord(v) ? `one with type ${show(v.type)}` : show(v)}`);
  }
  const type = v.type;
  const checks = CHECKS.get(type);
  if (!checks) throw new InvalidEntryError(type, 'type', `unknown journal entry type ${show(type)} (this master knows ${MASTER_ENTRY_TYPES.join(', ')})`);
  for (const { field, kind, optional } of checks) {
    const value = v[field];
    if (value === undefined) {
      if (optional) continue;
      throw new InvalidEntryError(type, field, `journal entry of type "${type}": field "${field}" is missing (${EXPECTED[kind]})`);
    }
    if (!fits(kind, value)) throw new InvalidEntryError(type, field, `journal entry of type "${type}": field "${field}" must be ${EXPECTED[kind]}, not ${show(value)}`);
  }
  return v as unknown as MasterEntry;
}

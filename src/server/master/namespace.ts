/**
 * The master's replicated state: the inode tree and committed block lengths.
 *
 * This is the StateMachine the journal drives. Every change arrives as a MasterEntry
 * (entries.ts), checked against that union by `decode` where the journal takes it in, and is
 * applied deterministically (timestamps come from the entry, never from the clock), so replay
 * and every future replica reach the same state. Rejections (path exists, not found, ...) are
 * thrown from apply() identically everywhere. Block *locations* are not here: they are soft
 * state rebuilt from worker registrations (see blockRegistry.ts).
 */
import { createHash } from 'node:crypto';
import type { StateMachine } from '../../journal/types.js';
import { decodeMasterEntry, type MasterEntry, type PersistenceState, type SetAttributeEntry } from './entries.js';
import {
  AlluxioError, FileAlreadyExistsError, FileDoesNotExistError, DirectoryNotEmptyError, InvalidPathError, FailedPreconditionError, errorFromCode,
} from '../../errors.js';

interface RememberedError { error: { code: string; message: string; extra: Record<string, string> } }
function isRememberedError(v: unknown): v is RememberedError {
  return typeof v === 'object' && v !== null && 'error' in v && typeof (v as RememberedError).error?.code === 'string';
}
import { normalizePath, components, parentOf, baseName, isUnder } from './paths.js';
import { applyModeSpec, MODE_MASK } from './permissions.js';

export type { PersistenceState };

export interface Inode {
  id: number;
  name: string;
  parentId: number;
  dir: boolean;
  ctime: number;
  mtime: number;
  length: number;
  blockSize: number;
  blocks: number[];
  completed: boolean;
  persistence: PersistenceState;
  /** Why persisting this file was given up (alluxio.master.persistence.max.total.wait.time); absent otherwise. */
  persistError?: string;
  /** Directories only: child name -> child's container number (see containerOf). */
  children?: Map<string, number>;
  /** The user that created it ('' when unknown: NOSASL, or a journal older than permissions; shown as the master's user). */
  owner: string;
  /** Its group ('' when unknown, shown as the master user's group). */
  group: string;
  /** Permission bits: rwx for owner, group, others, and the sticky bit (01000). */
  mode: number;
}

/** Owner, group and mode of new inodes, decided by the leader and carried by the entry. */
export interface NewPerm { owner: string; group: string; mode: number }

/** Modes of inodes from entries or snapshots that carry none (before permissions existed). */
export const DEFAULT_DIR_MODE = 0o755;
export const DEFAULT_FILE_MODE = 0o644;

/** Block ids are containerId * 2^24 + sequence; a file's id is its container's last sequence. */
export const BLOCK_SEQ = 2 ** 24;
export const fileIdOf = (container: number): number => container * BLOCK_SEQ + (BLOCK_SEQ - 1);
export const containerOf = (blockOrFileId: number): number => Math.floor(blockOrFileId / BLOCK_SEQ);
export const ROOT_ID = fileIdOf(0);
const MAX_REMEMBERED_OPS = 10_000;

export interface DeleteResult { blockIds: number[]; deletedFiles: number; persistedPaths: string[] }

/**
 * A change the UFS must follow, recorded when the rename or delete applies and dropped by a
 * `ufsDone` entry once the leader carried it out: a leader that dies (or cannot journal) between
 * the namespace change and the UFS change leaves it here for the next leader (issue #10).
 */
export type UfsOp = { op: 'rename'; src: string; dst: string } | { op: 'delete'; path: string };

/** Owner, group and mode an entry gives its new inodes (`mode` absent: an entry from before permissions). */
function permOf(e: { owner?: string; group?: string }, mode: number | undefined, defaultMode: number): NewPerm {
  return { owner: e.owner ?? '', group: e.group ?? '', mode: mode !== undefined ? mode & MODE_MASK : defaultMode };
}

export class Namespace implements StateMachine<MasterEntry> {
  /** Inodes by container number: small integers are far cheaper Map keys than ids >= 2^31. */
  private inodes = new Map<number, Inode>();
  /** Committed blocks: id -> length. */
  readonly blockLengths = new Map<number, number>();
  private nextContainer = 1;
  clusterId = '';
  /** Journal node id -> rpc/web address, announced by each master when it becomes leader. */
  readonly masters = new Map<string, { rpc: string; web: string }>();
  /** Results of recently applied operations by client opId (idempotent retries). */
  private ops = new Map<string, unknown>();
  /** The same opIds in a ring, oldest evicted first. (Evicting through ops.keys() would walk
   *  V8's deleted-entry tombstones each time and make apply O(history).) */
  private opRing: (string | undefined)[] = new Array(MAX_REMEMBERED_OPS);
  private opRingPos = 0;
  /** UFS changes applied to the namespace and not yet to the UFS, by sequence number. */
  readonly ufsOps = new Map<number, UfsOp>();
  private nextUfsOp = 1;
  /** Files waiting for asynchronous persistence (derived from inodes; not serialized). */
  readonly toPersist = new Set<number>();
  /** Files whose persistence was given up (persistError set; derived, not serialized). */
  readonly persistFailures = new Set<number>();

  constructor() { this.reset(); }

  private reset(): void {
    this.inodes.clear();
    this.blockLengths.clear();
    this.ops.clear();
    this.masters.clear();
    this.ufsOps.clear();
    this.nextUfsOp = 1;
    this.opRing.fill(undefined);
    this.opRingPos = 0;
    this.toPersist.clear();
    this.persistFailures.clear();
    this.nextContainer = 1;
    this.clusterId = '';
    this.inodes.set(0, {
      id: ROOT_ID, name: '', parentId: -1, dir: true, ctime: 0, mtime: 0, length: 0, blockSize: 0, blocks: [],
      completed: true, persistence: 'PERSISTED', children: new Map(), owner: '', group: '', mode: DEFAULT_DIR_MODE,
    });
  }

  // ---------------------------------------------------------------- queries
  get inodeCount(): number { return this.inodes.size; }

  /** The inode at `path`, or undefined. `path` must be normalized. */
  lookup(path: string): Inode | undefined {
    let cur = this.inodes.get(0)!;
    for (const c of components(path)) {
      const k = cur.children?.get(c);
      if (k === undefined) return undefined;
      cur = this.inodes.get(k)!;
    }
    return cur;
  }

  /**
   * The existing inodes along `path` (normalized), the root first; `complete` when the last one
   * is the inode at `path` itself. A file met before the end ends the chain.
   */
  chain(path: string): { chain: Inode[]; complete: boolean } {
    let cur = this.inodes.get(0)!;
    const chain = [cur];
    for (const c of components(path)) {
      const k = cur.children?.get(c);
      if (k === undefined) return { chain, complete: false };
      cur = this.inodes.get(k)!;
      chain.push(cur);
    }
    return { chain, complete: true };
  }

  /** A directory's entries as (name, inode), sorted by name; undefined for a file. */
  entries(dir: Inode): [string, Inode][] | undefined {
    return dir.children ? this.children(dir).map((c) => [c.name, c]) : undefined;
  }

  /** Like lookup but throws FileDoesNotExistError. */
  resolve(path: string): Inode {
    const n = this.lookup(path);
    if (!n) throw new FileDoesNotExistError(path);
    return n;
  }

  byId(id: number): Inode | undefined {
    const n = this.inodes.get(containerOf(id));
    return n && n.id === id ? n : undefined;
  }

  pathOf(inode: Inode): string {
    const parts: string[] = [];
    let cur: Inode | undefined = inode;
    while (cur && cur.id !== ROOT_ID) { parts.push(cur.name); cur = this.byId(cur.parentId); }
    return '/' + parts.reverse().join('/');
  }

  children(dir: Inode): Inode[] {
    if (!dir.children) return [];
    return [...dir.children.keys()].sort().map((n) => this.inodes.get(dir.children!.get(n)!)!);
  }

  /**
   * What the namespace knows of a block a worker reports: committed (length journaled), pending
   * (allocated to a file that is still being written; its commit may still arrive), or orphan
   * (no file has it: the worker should delete it).
   */
  blockStatus(blockId: number): 'committed' | 'pending' | 'orphan' {
    if (this.blockLengths.has(blockId)) return 'committed';
    const f = this.inodes.get(containerOf(blockId));
    return f && !f.dir && !f.completed && f.blocks.includes(blockId) ? 'pending' : 'orphan';
  }

  /**
   * A digest of the replicated state that does not depend on how it was reached (replay, Raft
   * log, snapshot install): inodes (with owner, group, mode) by id, committed block lengths, the cluster id. Masters that
   * applied the same entries have the same digest (checked by the fault suite).
   */
  digest(): string {
    const h = createHash('sha256');
    for (const k of [...this.inodes.keys()].sort((a, b) => a - b)) {
      const n = this.inodes.get(k)!;
      h.update(JSON.stringify([n.id, n.name, n.parentId, n.dir, n.ctime, n.mtime, n.length, n.blockSize, n.blocks, n.completed, n.persistence, n.persistError ?? null, n.owner, n.group, n.mode]));
    }
    for (const [b, l] of [...this.blockLengths].sort((x, y) => x[0] - y[0])) h.update(`${b}:${l};`);
    h.update(JSON.stringify([this.nextUfsOp, ...this.ufsOps]));
    h.update(this.clusterId);
    return h.digest('hex');
  }

  /** Is the file that `blockId` belongs to persisted (its blocks are not the only copy)? */
  isBlockPersisted(blockId: number): boolean {
    return this.inodes.get(containerOf(blockId))?.persistence === 'PERSISTED';
  }

  /** Has a previous attempt of this client operation been applied (successfully or not)? */
  hasOp(opId: string | undefined): boolean { return !!opId && this.ops.has(opId); }

  // ---------------------------------------------------------------- apply
  /** An entry decoded from disk or the network, checked against the union (InvalidEntryError). */
  decode(v: unknown): MasterEntry { return decodeMasterEntry(v); }

  apply(e: MasterEntry, _index: number): unknown {
    const opId = e.opId || undefined;
    if (opId && this.ops.has(opId)) {
      // A retried or duplicated attempt: the first attempt's outcome, success or failure.
      const prior = this.ops.get(opId);
      if (isRememberedError(prior)) throw errorFromCode(prior.error.code, prior.error.message, prior.error.extra);
      return prior;
    }
    let result: unknown;
    try {
      result = this.applyOp(e);
    } catch (err) {
      // Remember deterministic rejections too, so a later attempt cannot take effect after the
      // client was told the operation failed.
      if (opId && err instanceof AlluxioError) {
        const extra: Record<string, string> = {};
        if ('path' in err && typeof (err as { path?: unknown }).path === 'string') extra.path = (err as { path: string }).path;
        this.rememberOp(opId, { error: { code: err.code, message: err.message, extra } });
      }
      throw err;
    }
    if (opId) this.rememberOp(opId, result);
    return result;
  }

  private rememberOp(opId: string, result: unknown): void {
    const old = this.opRing[this.opRingPos];
    if (old !== undefined) this.ops.delete(old);
    this.opRing[this.opRingPos] = opId;
    this.opRingPos = (this.opRingPos + 1) % MAX_REMEMBERED_OPS;
    this.ops.set(opId, result);
  }

  private applyOp(e: MasterEntry): unknown {
    const ts = e.ts ?? 0;
    switch (e.type) {
      case 'init':
        if (!this.clusterId) this.clusterId = e.clusterId;
        return this.clusterId;
      case 'leaderInfo':
        this.masters.set(e.id, { rpc: e.rpc, web: e.web });
        return null;
      case 'mkdir':
        return this.mkdir(normalizePath(e.path), !!e.recursive, !!e.allowExists, ts, !!e.persisted, permOf(e, e.mode, DEFAULT_DIR_MODE)).id;
      case 'createFile':
        return this.createFile(normalizePath(e.path), !!e.recursive, e.blockSize, ts, permOf(e, e.mode, DEFAULT_FILE_MODE), permOf(e, e.dirMode, DEFAULT_DIR_MODE)).id;
      case 'setAttribute':
        this.setAttribute(normalizePath(e.path), e);
        return null;
      case 'newBlock':
        return this.newBlock(normalizePath(e.path));
      case 'commitBlock': {
        const id = e.blockId;
        const file = this.inodes.get(containerOf(id));
        if (!file || !file.blocks.includes(id)) throw new FailedPreconditionError(`block ${id} does not belong to any file`);
        const known = this.blockLengths.get(id);
        if (file.completed && known !== e.length) {
          throw new FailedPreconditionError(`block ${id} of completed file "${this.pathOf(file)}" cannot change length (${known} -> ${e.length})`);
        }
        this.blockLengths.set(id, e.length);
        return null;
      }
      case 'completeFile':
        return this.completeFile(normalizePath(e.path), e.length, e.persistence, ts).id;
      case 'delete': {
        const path = normalizePath(e.path);
        const res = this.delete(path, !!e.recursive, ts);
        this.ufsOps.set(this.nextUfsOp++, { op: 'delete', path });
        return res;
      }
      case 'rename': {
        const src = normalizePath(e.src), dst = normalizePath(e.dst);
        this.rename(src, dst, ts);
        this.ufsOps.set(this.nextUfsOp++, { op: 'rename', src, dst });
        return null;
      }
      case 'ufsDone':
        this.ufsOps.delete(e.seq);
        return null;
      case 'setPersisted': {
        const f = this.byId(e.fileId);
        if (f && !f.dir) { f.persistence = 'PERSISTED'; delete f.persistError; this.toPersist.delete(f.id); this.persistFailures.delete(f.id); }
        return null;
      }
      case 'persistFailed': {
        // Only a file still waiting for persistence gives up; a late report changes nothing else.
        const f = this.byId(e.fileId);
        if (f && !f.dir && f.persistence === 'TO_BE_PERSISTED') {
          f.persistence = 'NOT_PERSISTED';
          f.persistError = e.error ?? 'unknown error';
          this.toPersist.delete(f.id);
          this.persistFailures.add(f.id);
        }
        return null;
      }
      default: {
        // Unreachable for a decoded entry; a caller that skipped decode gets a rejection, not a crash.
        const unknown: never = e;
        throw new FailedPreconditionError(`unknown journal entry type "${(unknown as { type: string }).type}"`);
      }
    }
  }

  private newInode(parent: Inode, name: string, dir: boolean, ts: number, perm: NewPerm): Inode {
    const container = this.nextContainer++;
    const n: Inode = {
      id: fileIdOf(container), name, parentId: parent.id, dir, ctime: ts, mtime: ts,
      length: 0, blockSize: 0, blocks: [], completed: dir, persistence: 'NOT_PERSISTED',
      owner: perm.owner, group: perm.group, mode: perm.mode,
    };
    if (dir) n.children = new Map();
    this.inodes.set(container, n);
    parent.children!.set(name, container);
    parent.mtime = ts;
    return n;
  }

  /** Parent directory for a new entry at `path`, creating ancestors when `recursive`. */
  private parentFor(path: string, recursive: boolean, ts: number, persisted: boolean, dirPerm: NewPerm): Inode {
    if (path === '/') throw new FileAlreadyExistsError('/');
    let cur = this.inodes.get(0)!;
    const comps = components(path);
    let sofar = '';
    for (const c of comps.slice(0, -1)) {
      sofar += '/' + c;
      const id = cur.children!.get(c);
      if (id === undefined) {
        if (!recursive) throw new FileDoesNotExistError(sofar);
        cur = this.newInode(cur, c, true, ts, dirPerm);
        if (persisted) cur.persistence = 'PERSISTED';
      } else {
        cur = this.inodes.get(id)!;
        if (!cur.dir) throw new InvalidPathError(`Path "${path}" is invalid: "${sofar}" is a file, not a directory`);
      }
    }
    return cur;
  }

  private mkdir(path: string, recursive: boolean, allowExists: boolean, ts: number, persisted: boolean, perm: NewPerm): Inode {
    const existing = this.lookup(path);
    if (existing) {
      if (existing.dir && allowExists) return existing;
      throw new FileAlreadyExistsError(path);
    }
    const parent = this.parentFor(path, recursive, ts, persisted, perm);
    const d = this.newInode(parent, baseName(path), true, ts, perm);
    if (persisted) d.persistence = 'PERSISTED';
    return d;
  }

  private createFile(path: string, recursive: boolean, blockSize: number, ts: number, perm: NewPerm, dirPerm: NewPerm): Inode {
    if (!(blockSize > 0)) throw new InvalidPathError(`block size must be positive, got ${blockSize}`);
    const name = baseName(path);
    // One walk: a missing parent is created (recursive) only when the file itself is new.
    const parentPath = parentOf(path);
    const existingParent = this.lookup(parentPath);
    if (existingParent?.children?.has(name) || path === '/') throw new FileAlreadyExistsError(path);
    const parent = existingParent?.dir ? existingParent : this.parentFor(path, recursive, ts, false, dirPerm);
    const f = this.newInode(parent, name, false, ts, perm);
    f.blockSize = blockSize;
    return f;
  }

  private fileAt(path: string): Inode {
    const f = this.resolve(path);
    if (f.dir) throw new InvalidPathError(`Path "${path}" is a directory, not a file`);
    return f;
  }

  private newBlock(path: string): number {
    const f = this.fileAt(path);
    if (f.completed) throw new FailedPreconditionError(`File "${path}" is already completed`);
    const id = containerOf(f.id) * BLOCK_SEQ + f.blocks.length;
    if (f.blocks.length >= BLOCK_SEQ - 1) throw new FailedPreconditionError(`File "${path}" has too many blocks`);
    f.blocks.push(id);
    return id;
  }

  private completeFile(path: string, length: number, persistence: PersistenceState, ts: number): Inode {
    const f = this.fileAt(path);
    if (f.completed) throw new FailedPreconditionError(`File "${path}" is already completed`);
    if (f.blocks.length === 0 && length > 0) {
      // Written only to the UFS (THROUGH): the blocks exist by id and length, uncached.
      if (Math.ceil(length / f.blockSize) >= BLOCK_SEQ - 1) {
        throw new FailedPreconditionError(`File "${path}" cannot be completed: ${length} bytes need more than ${BLOCK_SEQ - 2} blocks of ${f.blockSize} bytes`);
      }
      for (let off = 0; off < length; off += f.blockSize) {
        const id = containerOf(f.id) * BLOCK_SEQ + f.blocks.length;
        f.blocks.push(id);
        this.blockLengths.set(id, Math.min(f.blockSize, length - off));
      }
    } else {
      let sum = 0;
      for (const b of f.blocks) {
        const len = this.blockLengths.get(b);
        if (len === undefined) throw new FailedPreconditionError(`File "${path}" cannot be completed: block ${b} was never committed`);
        sum += len;
      }
      if (sum !== length) throw new FailedPreconditionError(`File "${path}" cannot be completed: blocks hold ${sum} bytes, client wrote ${length}`);
    }
    f.length = length;
    f.completed = true;
    f.mtime = ts;
    f.persistence = persistence;
    if (persistence === 'TO_BE_PERSISTED') this.toPersist.add(f.id);
    return f;
  }

  private delete(path: string, recursive: boolean, ts: number): DeleteResult {
    if (path === '/') throw new InvalidPathError('Cannot delete the root directory "/"');
    const n = this.resolve(path);
    if (n.dir && n.children!.size > 0 && !recursive) throw new DirectoryNotEmptyError(path);
    const result: DeleteResult = { blockIds: [], deletedFiles: 0, persistedPaths: [] };
    if (n.persistence === 'PERSISTED') result.persistedPaths.push(path);
    const stack = [n];
    while (stack.length) {
      const cur = stack.pop()!;
      if (cur.dir) for (const k of cur.children!.values()) stack.push(this.inodes.get(k)!);
      else {
        result.deletedFiles++;
        for (const b of cur.blocks) { result.blockIds.push(b); this.blockLengths.delete(b); }
        this.toPersist.delete(cur.id);
        this.persistFailures.delete(cur.id);
      }
      this.inodes.delete(containerOf(cur.id));
    }
    const parent = this.byId(n.parentId)!;
    parent.children!.delete(n.name);
    parent.mtime = ts;
    // Children maps keep insertion order, which a rename or a restore changes: sort so that every
    // replica returns (and remembers under the opId) the same result.
    result.blockIds.sort((a, b) => a - b);
    return result;
  }

  private rename(src: string, dst: string, ts: number): void {
    if (src === '/' || dst === '/') throw new InvalidPathError('Cannot rename the root directory "/"');
    const n = this.resolve(src);
    if (isUnder(dst, src)) throw new InvalidPathError(`Cannot rename "${src}" to "${dst}": the destination is inside the source`);
    if (this.lookup(dst)) throw new FileAlreadyExistsError(dst);
    const newParent = this.lookup(parentOf(dst));
    if (!newParent) throw new FileDoesNotExistError(parentOf(dst));
    if (!newParent.dir) throw new InvalidPathError(`Cannot rename to "${dst}": "${parentOf(dst)}" is a file`);
    const oldParent = this.byId(n.parentId)!;
    oldParent.children!.delete(n.name);
    oldParent.mtime = ts;
    n.name = baseName(dst);
    n.parentId = newParent.id;
    n.mtime = ts;
    newParent.children!.set(n.name, containerOf(n.id));
    newParent.mtime = ts;
  }

  /** chown / chgrp / chmod of `path` (and everything under it with `recursive`). */
  private setAttribute(path: string, e: SetAttributeEntry): void {
    const n = this.resolve(path);
    const { owner, group, mode } = e;
    const stack = [n];
    for (let guard = 0; stack.length && guard <= this.inodes.size; guard++) {
      const cur = stack.pop()!;
      if (owner !== undefined) cur.owner = owner;
      if (group !== undefined) cur.group = group;
      if (mode !== undefined) cur.mode = applyModeSpec(mode, cur.mode, cur.dir);
      if (e.recursive && cur.dir) for (const k of cur.children!.values()) stack.push(this.inodes.get(k)!);
    }
  }

  // ---------------------------------------------------------------- snapshot
  snapshot(): Buffer {
    const inodes: unknown[] = [];
    for (const n of this.inodes.values()) {
      inodes.push([
        n.id, n.name, n.parentId, n.dir ? 1 : 0, n.ctime, n.mtime, n.length, n.blockSize, n.blocks, n.completed ? 1 : 0, n.persistence,
        n.persistError ?? null, [n.owner, n.group, n.mode],
      ]);
    }
    return Buffer.from(JSON.stringify({
      v: 1, clusterId: this.clusterId, nextContainer: this.nextContainer, inodes,
      blocks: [...this.blockLengths], ops: [...this.ops], masters: [...this.masters],
      ufsOps: [...this.ufsOps], nextUfsOp: this.nextUfsOp,
    }));
  }

  restore(data: Buffer): void {
    const s = JSON.parse(data.toString('utf8'));
    this.reset();
    this.inodes.clear();
    this.clusterId = s.clusterId;
    this.nextContainer = s.nextContainer;
    for (const [id, name, parentId, dir, ctime, mtime, length, blockSize, blocks, completed, persistence, persistError, perm] of s.inodes) {
      // Snapshots from before permissions have no owner, group or mode: unknown owner, default modes.
      const [owner, group, mode] = Array.isArray(perm) ? perm : ['', '', dir === 1 ? DEFAULT_DIR_MODE : DEFAULT_FILE_MODE];
      const n: Inode = {
        id, name, parentId, dir: dir === 1, ctime, mtime, length, blockSize, blocks, completed: completed === 1, persistence,
        owner: String(owner), group: String(group), mode: Number(mode) & MODE_MASK,
      };
      if (typeof persistError === 'string') { n.persistError = persistError; this.persistFailures.add(id); }
      if (n.dir) n.children = new Map();
      this.inodes.set(containerOf(id), n);
      if (persistence === 'TO_BE_PERSISTED') this.toPersist.add(id);
    }
    for (const n of this.inodes.values()) if (n.id !== ROOT_ID) this.byId(n.parentId)!.children!.set(n.name, containerOf(n.id));
    for (const [id, len] of s.blocks) this.blockLengths.set(id, len);
    for (const [k, v] of s.ops) this.rememberOp(k, v);
    for (const [k, v] of s.masters ?? []) this.masters.set(k, v);
    for (const [k, v] of s.ufsOps ?? []) this.ufsOps.set(k, v);
    this.nextUfsOp = s.nextUfsOp ?? 1;
  }
}

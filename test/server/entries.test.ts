/**
 * The master's journal entries (src/server/master/entries.ts): every entry type accepts a valid
 * entry and the shapes earlier versions wrote, and refuses a field of the wrong type or a missing
 * required field with an InvalidEntryError naming the type and the field. The journals use that
 * check where entries come in: a bad proposal is refused before it is written, a bad entry on
 * disk stops the replay with a JournalCorruptError naming the segment file and the index.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeMasterEntry, InvalidEntryError, MASTER_ENTRY_TYPES, type MasterEntry, type MasterEntryType } from '../../src/server/master/entries.js';
import { Namespace, fileIdOf } from '../../src/server/master/namespace.js';
import { LocalJournal } from '../../src/journal/local/journal.js';
import { formatJournal } from '../../src/journal/format.js';
import type { AnyEntry, StateMachine } from '../../src/journal/types.js';
import { JournalCorruptError } from '../../src/errors.js';

/** One valid entry per type, every optional field set. */
const VALID: { readonly [T in MasterEntryType]: Extract<MasterEntry, { type: T }> } = {
  init: { type: 'init', clusterId: 'c-1' },
  leaderInfo: { type: 'leaderInfo', id: 'm1:19200', rpc: 'm1:19998', web: 'm1:19999' },
  mkdir: { type: 'mkdir', path: '/d', recursive: true, allowExists: false, persisted: true, opId: 'op-1', owner: 'alice', group: 'staff', mode: 0o755, ts: 1 },
  createFile: { type: 'createFile', path: '/d/f', recursive: false, blockSize: 1024, opId: 'op-2', owner: 'alice', group: 'staff', mode: 0o644, dirMode: 0o755, ts: 2 },
  setAttribute: { type: 'setAttribute', path: '/d', owner: 'bob', group: 'users', mode: 'go-w', recursive: true, opId: 'op-3', ts: 3 },
  newBlock: { type: 'newBlock', path: '/d/f', opId: 'op-4', ts: 4 },
  commitBlock: { type: 'commitBlock', blockId: 2 ** 24 * 2, length: 10, ts: 5 },
  completeFile: { type: 'completeFile', path: '/d/f', length: 10, persistence: 'TO_BE_PERSISTED', opId: 'op-5', ts: 6 },
  delete: { type: 'delete', path: '/d/f', recursive: false, opId: 'op-6', ts: 7 },
  rename: { type: 'rename', src: '/d', dst: '/e', opId: 'op-7', ts: 8 },
  ufsDone: { type: 'ufsDone', seq: 1, ts: 9 },
  setPersisted: { type: 'setPersisted', fileId: fileIdOf(2), ts: 10 },
  persistFailed: { type: 'persistFailed', fileId: fileIdOf(2), error: 'EACCES', ts: 11 },
};

/** A value of the wrong type for a field holding `v`, and how the message names what was expected. */
function wrong(v: unknown): { bad: unknown; expected: string } {
  if (typeof v === 'string') return v.endsWith('PERSISTED') ? { bad: 'DONE', expected: 'one of NOT_PERSISTED, TO_BE_PERSISTED, PERSISTED' } : { bad: 5, expected: 'a string' };
  if (typeof v === 'number') return { bad: '5', expected: 'an integer' };
  return { bad: 'yes', expected: 'true or false' };
}

/** The fields each type requires (the rest are optional). */
const REQUIRED: { readonly [T in MasterEntryType]: readonly string[] } = {
  init: ['clusterId'], leaderInfo: ['id', 'rpc', 'web'], mkdir: ['path'], createFile: ['path', 'blockSize'], setAttribute: ['path'],
  newBlock: ['path'], commitBlock: ['blockId', 'length'], completeFile: ['path', 'length', 'persistence'], delete: ['path'],
  rename: ['src', 'dst'], ufsDone: ['seq'], setPersisted: ['fileId'], persistFailed: ['fileId'],
};

function rejects(v: unknown, type: string, field: string, message: string): void {
  assert.throws(() => decodeMasterEntry(v), (e: unknown) => {
    assert.ok(e instanceof InvalidEntryError, `expected InvalidEntryError, got ${String(e)}`);
    assert.equal(e.entryType, type);
    assert.equal(e.field, field);
    assert.equal(e.message, message);
    return true;
  });
}

describe('master journal entries: decode', () => {
  test('the table covers every entry type', () => {
    assert.deepEqual(Object.keys(VALID).sort(), [...MASTER_ENTRY_TYPES].sort());
  });

  for (const type of MASTER_ENTRY_TYPES) {
    const valid = VALID[type] as unknown as Record<string, unknown>;
    describe(type, () => {
      test('a valid entry is accepted as is, also after a JSON round trip', () => {
        assert.equal(decodeMasterEntry(valid), valid);
        assert.deepEqual(decodeMasterEntry(JSON.parse(JSON.stringify(valid))), valid);
      });
      test('only the required fields (as older versions wrote it): accepted; unknown extra fields are ignored', () => {
        const minimal = Object.fromEntries(Object.entries(valid).filter(([k]) => k === 'type' || REQUIRED[type].includes(k)));
        assert.equal(decodeMasterEntry(minimal), minimal);
        const extra = { ...minimal, addedLater: [1, 2] };
        assert.equal(decodeMasterEntry(extra), extra);
      });
      for (const field of Object.keys(valid).filter((k) => k !== 'type')) {
        test(`field "${field}" of the wrong type is refused, naming the field`, () => {
          const { bad, expected } = wrong(valid[field]);
          rejects({ ...valid, [field]: bad }, type, field, `journal entry of type "${type}": field "${field}" must be ${expected}, not ${JSON.stringify(bad)}`);
          // null is not absent: JSON keeps it.
          rejects({ ...valid, [field]: null }, type, field, `journal entry of type "${type}": field "${field}" must be ${expected}, not null`);
        });
      }
      for (const field of REQUIRED[type]) {
        test(`required field "${field}" missing is refused, naming the field`, () => {
          const { [field]: _gone, ...rest } = valid;
          const { expected } = wrong(valid[field]);
          rejects(rest, type, field, `journal entry of type "${type}": field "${field}" is missing (${expected})`);
        });
      }
    });
  }

  test('integers: fractions, NaN and unsafe integers are refused', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      rejects({ type: 'ufsDone', seq: bad }, 'ufsDone', 'seq', `journal entry of type "ufsDone": field "seq" must be an integer, not ${String(bad)}`);
    }
  });

  test('not an entry at all, or an unknown type', () => {
    rejects(null, '', 'type', 'a journal entry must be an object with a string "type", not null');
    rejects([1], '', 'type', 'a journal entry must be an object with a string "type", not an array');
    rejects({ path: '/a' }, 'undefined', 'type', 'a journal entry must be an object with a string "type", not one with type undefined');
    rejects({ type: 'toString' }, 'toString', 'type', `unknown journal entry type "toString" (this master knows ${MASTER_ENTRY_TYPES.join(', ')})`);
  });
});

// ------------------------------------------------------------------ through the journal

/** A state machine that takes any entry: writes what the master's namespace would refuse. */
class Raw implements StateMachine {
  decode(v: unknown): AnyEntry { return v as AnyEntry; }
  apply(): unknown { return null; }
  snapshot(): Buffer { return Buffer.from('{}'); }
  restore(): void {}
}

function journalFolder(): string {
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'entries-')), 'journal');
  formatJournal(folder, { clusterId: 'c-1' });
  return folder;
}

/** A formatted journal folder holding `entries` as written, whatever they are; and its first segment file. */
async function rawJournal(entries: readonly AnyEntry[]): Promise<{ folder: string; segment: string }> {
  const folder = journalFolder();
  const raw = new LocalJournal({ folder, fsync: false });
  await raw.start(new Raw());
  for (const e of entries) await raw.propose(e);
  const segment = raw.segmentFiles()[0]!;
  await raw.close();
  return { folder, segment };
}

describe('master journal entries: in the local journal', () => {
  test('a proposal with a field of the wrong type is refused before it is written', async () => {
    const folder = journalFolder();
    const ns = new Namespace();
    const j = new LocalJournal<MasterEntry>({ folder, fsync: false });
    await j.start(ns);
    await j.propose({ type: 'mkdir', path: '/a', ts: 1 });
    await assert.rejects(j.propose({ type: 'mkdir', path: '/b', recursive: 'yes' } as unknown as MasterEntry), (e: unknown) => e instanceof InvalidEntryError && e.field === 'recursive');
    assert.equal(j.stats().lastIndex, 1);
    await j.close();
    fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  });

  test('entries in the shapes earlier versions wrote replay into the same state', async () => {
    // No owner, group, mode, dirMode or opIds: journals from before permissions and idempotent ops.
    const old: AnyEntry[] = [
      { type: 'leaderInfo', id: 'm1:19998', rpc: 'm1:19998', web: 'm1:19999' },
      { type: 'init', clusterId: 'c-1' },
      { type: 'mkdir', path: '/d', recursive: false, allowExists: false, persisted: false, ts: 5 },
      { type: 'createFile', path: '/d/f', recursive: false, blockSize: 100, ts: 6 },
      { type: 'newBlock', path: '/d/f' },
      { type: 'commitBlock', blockId: 2 ** 24 * 2, length: 7 },
      { type: 'completeFile', path: '/d/f', length: 7, persistence: 'NOT_PERSISTED', ts: 7 },
      { type: 'rename', src: '/d/f', dst: '/d/g', ts: 8 },
      { type: 'ufsDone', seq: 1 },
    ];
    const { folder } = await rawJournal(old);
    const ns = new Namespace();
    const j = new LocalJournal<MasterEntry>({ folder, fsync: false });
    await j.start(ns);
    assert.equal(j.stats().replayedEntries, old.length);
    const g = ns.resolve('/d/g');
    assert.deepEqual([g.length, g.completed, g.owner, g.mode.toString(8), ns.ufsOps.size, ns.clusterId], [7, true, '', '644', 0, 'c-1']);
    await j.close();
    fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  });

  test('an entry on disk that is not a master entry stops the replay: JournalCorruptError naming the segment and the index', async () => {
    const { folder, segment } = await rawJournal([{ type: 'mkdir', path: '/a' }, { type: 'commitBlock', blockId: '12', length: 1 }]);
    const j = new LocalJournal<MasterEntry>({ folder, fsync: false });
    await assert.rejects(j.start(new Namespace()), (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError, String(e));
      assert.equal(e.message, `journal entry 2 in ${segment} is not an entry this master knows: journal entry of type "commitBlock": field "blockId" must be an integer, not "12"`);
      assert.ok(e.cause instanceof InvalidEntryError);
      return true;
    });
    fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  });
});

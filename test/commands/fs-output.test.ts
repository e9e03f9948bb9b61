/** FdSink (src/commands/fs/output.ts): every byte in order across batches, and write errors surface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FdSink } from '../../src/commands/fs/output.js';

test('FdSink writes every byte in order: many small buffers (over the 1024-buffer cap) and buffers larger than a batch', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-output-'));
  try {
    const file = path.join(dir, 'out');
    const fd = fs.openSync(file, 'w');
    const parts = [
      ...Array.from({ length: 3000 }, (_, i) => crypto.randomBytes(1 + (i % 7))),
      crypto.randomBytes(3 * 1024 * 1024 + 5),
      Buffer.alloc(0),
      crypto.randomBytes(100),
    ];
    try {
      const sink = new FdSink(fd, 1024 * 1024);
      for (const p of parts) await sink.write(p);
      await sink.end();
    } finally { fs.closeSync(fd); }
    assert.ok(fs.readFileSync(file).equals(Buffer.concat(parts)));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('FdSink: a failing write is thrown by a later write or by end, never left unhandled', async () => {
  const fd = fs.openSync('/dev/full', 'w');
  try {
    const sink = new FdSink(fd, 16);
    await sink.write(Buffer.alloc(32)); // starts the failing write
    await assert.rejects(async () => { await sink.write(Buffer.alloc(32)); await sink.end(); }, { code: 'ENOSPC' });
  } finally { fs.closeSync(fd); }
});

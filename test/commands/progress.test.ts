/** The progress line of long copies (src/commands/progress.ts): when it is drawn, what it says, that it is erased. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProgress, progressLine, SHOW_BYTES, SHOW_AFTER_MS } from '../../src/commands/progress.js';

/** A stand-in for process.stderr: what was written, and whether it is a terminal. */
function fakeStderr(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(t: string) { s.text += t; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test('progressLine: done / total (percent), rate in MB/s', () => {
  assert.equal(progressLine(512 * 1024 ** 2, 1024 ** 3, 1000), '512.00MB / 1024.00MB  (50%)  536.9 MB/s');
  assert.equal(progressLine(0, 0, 0), '0B / 0B  0.0 MB/s');
});

test('not a terminal: nothing is written, whatever the size or time', () => {
  const s = fakeStderr(false);
  let now = 0;
  const p = startProgress(10 * SHOW_BYTES, s, () => now);
  p.add(SHOW_BYTES);
  now += 10 * SHOW_AFTER_MS;
  p.end();
  assert.equal(s.text, '');
});

test('a terminal but no total (the caller shows no line): nothing is written', () => {
  const s = fakeStderr(true);
  let now = 0;
  const p = startProgress(undefined, s, () => now);
  p.add(SHOW_BYTES);
  now += 10 * SHOW_AFTER_MS;
  p.end();
  assert.equal(s.text, '');
});

test('a terminal and a big copy: drawn from the start with \\r, erased at the end', () => {
  const s = fakeStderr(true);
  const p = startProgress(SHOW_BYTES, s, () => 0);
  assert.equal(s.text, `\r0B / 64.00MB  (0%)  0.0 MB/s\x1b[K`);
  p.end();
  p.end();
  assert.equal(s.text, `\r0B / 64.00MB  (0%)  0.0 MB/s\x1b[K\r\x1b[K`);
});

test('a terminal and a small copy that ends quickly: nothing is written', () => {
  const s = fakeStderr(true);
  const p = startProgress(1024, s, () => 0);
  p.add(1024);
  p.end();
  assert.equal(s.text, '');
});

test('a terminal and a small copy that runs long: drawn once it passed SHOW_AFTER_MS', async () => {
  const s = fakeStderr(true);
  let now = 0;
  const p = startProgress(1024, s, () => now);
  p.add(512);
  now = SHOW_AFTER_MS + 1000;
  // The line is redrawn by a timer: wait (bounded) for its first draw.
  for (let i = 0; i < 40 && s.text === ''; i++) await new Promise((r) => setTimeout(r, 50));
  p.end();
  assert.match(s.text, /^\r512B \/ 1024B  \(50%\)  0\.0 MB\/s\x1b\[K/);
  assert.ok(s.text.endsWith('\r\x1b[K'));
});

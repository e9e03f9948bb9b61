/**
 * The bundled CLI's code cache (scripts/cliLoader.cjs, issue 14 point 5): written after the
 * first successful run of a verb, per user and verb, never from a failed run, never read from a
 * directory others can write to; a damaged cache or one of another build changes nothing the
 * user sees; ALLUXIO_CLI_CACHE_DIR='' turns it off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_JS } from './helpers.js';
import { assertRoot, needsRoot } from '../harness/root.js';

const ROOT = path.resolve(path.dirname(CLI_JS), '..', '..');
const LOADER = path.join(ROOT, 'dist', 'cli', 'cli.js');

interface Run { code: number; stdout: string; stderr: string }

/** Run the bundled CLI with ALLUXIO_CLI_CACHE_DIR=cacheDir (unset when undefined). */
function run(args: string[], cacheDir: string | undefined, home = os.tmpdir()): Promise<Run> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
    if (cacheDir !== undefined) env.ALLUXIO_CLI_CACHE_DIR = cacheDir;
    const p = spawn(process.execPath, [LOADER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function bundleId(): string {
  const m = /const BUNDLE_ID = "([0-9a-f]{16})";/.exec(fs.readFileSync(LOADER, 'utf8'));
  assert.ok(m, `${LOADER} has no BUNDLE_ID: npm run build makes it`);
  return m[1]!;
}

const cacheName = (verb: string) => `cli-${bundleId()}-node${process.versions.v8}-${verb}.bin`;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-cli-cache-'));
}

test('a successful run writes the verb\'s cache (0600); the next run answers the same from it', async () => {
  const dir = path.join(tempDir(), 'cache');
  try {
    const first = await run(['getConf', 'alluxio.master.rpc.port'], dir);
    assert.equal(first.code, 0, first.stderr);
    const file = path.join(dir, cacheName('getConf'));
    assert.ok(fs.existsSync(file), `no ${file}; made: ${fs.readdirSync(dir).join(', ')}`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const before = fs.readFileSync(file);
    assert.deepEqual(await run(['getConf', 'alluxio.master.rpc.port'], dir), first);
    assert.ok(fs.readFileSync(file).equals(before), 'an accepted cache is not written again');
    // Another verb has its own cache.
    assert.equal((await run(['version'], dir)).code, 0);
    assert.ok(fs.existsSync(path.join(dir, cacheName('version'))));
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('a failed run writes no cache', async () => {
  const dir = tempDir();
  try {
    const r = await run(['getConf', 'no.such.key'], dir);
    assert.notEqual(r.code, 0);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged cache is replaced and changes nothing the user sees', async () => {
  const dir = tempDir();
  try {
    const plain = await run(['version'], '');
    const file = path.join(dir, cacheName('version'));
    fs.writeFileSync(file, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
    assert.deepEqual(await run(['version'], dir), plain);
    assert.ok(!fs.readFileSync(file).equals(Buffer.alloc(4096, 0x5a)), 'the damaged cache was not replaced');
    assert.deepEqual(await run(['version'], dir), plain);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache directory others can write to is neither read nor written', async () => {
  const dir = tempDir();
  try {
    fs.chmodSync(dir, 0o777);
    const file = path.join(dir, cacheName('version'));
    fs.writeFileSync(file, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
    const r = await run(['version'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.readFileSync(file).equals(Buffer.alloc(4096, 0x5a)), 'wrote into a directory others can write to');
    assert.deepEqual(fs.readdirSync(dir), [path.basename(file)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('caches of other builds written over a day ago go when a new one is written', async () => {
  const dir = tempDir();
  try {
    const old = path.join(dir, 'cli-0123456789abcdef-node1.0-version.bin');
    const recent = path.join(dir, 'cli-fedcba9876543210-node1.0-version.bin');
    const other = path.join(dir, 'notes.txt');
    for (const f of [old, recent, other]) fs.writeFileSync(f, 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(old, twoDaysAgo, twoDaysAgo);
    fs.utimesSync(other, twoDaysAgo, twoDaysAgo);
    assert.equal((await run(['version'], dir)).code, 0);
    assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(recent), cacheName('version'), 'notes.txt'].sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache lives in ~/.cache/alluxio by default; ALLUXIO_CLI_CACHE_DIR= turns it off', async () => {
  const home = tempDir();
  try {
    assert.equal((await run(['version'], '', home)).code, 0);
    assert.deepEqual(fs.readdirSync(home), []);
    assert.equal((await run(['version'], undefined, home)).code, 0);
    assert.deepEqual(fs.readdirSync(path.join(home, '.cache', 'alluxio')), [cacheName('version')]);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('the cache directory is only created below a directory of the user\'s (sudo with the user\'s HOME)', { skip: needsRoot('a directory owned by another user') }, async () => {
  assertRoot('a directory owned by another user');
  const theirs = tempDir();
  try {
    fs.chownSync(theirs, 65534, 65534);
    const r = await run(['version'], path.join(theirs, '.cache', 'alluxio'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(theirs), [], 'created a folder of ours in another user\'s directory');
  } finally {
    fs.rmSync(theirs, { recursive: true, force: true });
  }
});

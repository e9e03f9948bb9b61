/**
 * `alluxio fs` through the real CLI against a real 1-master 1-worker cluster: local file errors
 * (copyToLocal never overwrites without -f, copyFromLocal of unreadable files, writing to a full
 * standard output) are one exact error line with a hint, a non-zero exit, no stack trace, and
 * nothing changed on the local disk or in Alluxio; multi-path verbs go on past a failing path.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, CLI, type CliResult } from '../harness/cluster.js';
import { isRoot } from '../harness/root.js';

const NOBODY = 65534;
/** Where the CLI runs unless a case says otherwise (never the checkout: a bug could write there). */
const scratchRoot = os.tmpdir();

interface RunOpts { unprivileged?: boolean; stdoutFile?: string; cwd?: string }

function run(c: TestCluster, args: string[], opts: RunOpts = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const out = opts.stdoutFile === undefined ? 'pipe' : fs.openSync(opts.stdoutFile, 'w');
    const p = spawn(process.execPath, [CLI, ...args], {
      env: c.env, stdio: ['ignore', out, 'pipe'], cwd: opts.cwd ?? scratchRoot,
      // Runs as root can only be denied a permission by running the CLI as another user.
      ...(opts.unprivileged && isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    if (typeof out === 'number') fs.closeSync(out);
    let stdout = '', stderr = '';
    p.stdout?.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code, sig) => { clearTimeout(t); resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }); });
  });
}

function noStack(r: CliResult): void {
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, 'a stack trace reached the user');
  assert.doesNotMatch(r.stderr, /Internal error/);
}

/** Everything under a local directory: type, mode, size, content and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) { out[`${rel}/`] = `dir ${st.mode.toString(8)} ${st.mtimeMs}`; walk(p); }
      else if (st.isFile()) out[rel] = `file ${st.mode.toString(8)} ${st.mtimeMs} ${fs.readFileSync(p, 'utf8')}`;
      else out[rel] = `other ${st.mode.toString(8)} ${st.ino} ${st.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** A local tree from a spec: `name/` is a directory, `name` a file with that content. */
function makeTree(root: string, tree: Record<string, string>): void {
  for (const [rel, content] of Object.entries(tree)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, content); }
  }
}

function rmTree(dir: string): void {
  const open = (d: string): void => {
    fs.chmodSync(d, 0o755);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) open(path.join(d, e.name));
  };
  if (fs.existsSync(dir)) { open(dir); fs.rmSync(dir, { recursive: true, force: true }); }
}

const FILE = 'alluxio file\n';

describe('fs CLI: local file errors and multi-path verbs', () => {
  const c = new TestCluster();
  let scratch: string;
  let n = 0;
  /** A fresh local directory (readable by the unprivileged user) for one case. */
  const localDir = (): string => {
    const d = path.join(scratch, `case${n++}`);
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o755);
    return d;
  };
  const check = (r: CliResult, code: number): void => {
    assert.equal(r.code, code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
  };

  before(async () => {
    await c.setup();
    await c.start();
    fs.chmodSync(c.dir, 0o755); // the unprivileged user reads conf/ too
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-fs-cli-'));
    fs.chmodSync(scratch, 0o755);
    const seed = path.join(scratch, 'seed');
    fs.writeFileSync(seed, FILE);
    for (const [cmd, ...args] of [['mkdir', '/t/dir/sub'], ['copyFromLocal', seed, '/t/dir/f'], ['copyFromLocal', seed, '/t/dir/sub/g'], ['copyFromLocal', seed, '/t/file']]) {
      check(await c.cli(['fs', cmd!, ...args]), 0);
    }
  });
  after(async () => { await c.stop(); rmTree(scratch); });

  // ---- copyToLocal refuses, changing nothing -------------------------------------------------
  const overwriteHint = 'Hint: use copyToLocal -f to overwrite existing local files, or name another destination';
  const refusals: { name: string; tree: Record<string, string>; setup?: (l: string) => void; unprivileged?: boolean; args: (l: string) => string[]; stderr: (l: string) => string[] }[] = [
    {
      name: 'a directory onto an existing file (was "Internal error: EEXIST" and a stack)',
      tree: { existing: 'old\n' },
      args: (l) => ['/t/dir', `${l}/existing`],
      stderr: (l) => [`Error: Cannot copy directory /t/dir to ${l}/existing: a file with that name exists`, 'Hint: name a directory, or a path that does not exist yet'],
    },
    {
      name: 'a file over an existing file (was overwritten silently)',
      tree: { existing: 'old\n' },
      args: (l) => ['/t/file', `${l}/existing`],
      stderr: (l) => [`Error: Local file ${l}/existing already exists`, overwriteHint],
    },
    {
      name: 'a file into a directory that holds a file of that name',
      tree: { 'd/file': 'old\n' },
      args: (l) => ['/t/file', `${l}/d`],
      stderr: (l) => [`Error: Local file ${l}/d/file already exists`, overwriteHint],
    },
    {
      name: 'a file into a directory that holds a directory of that name',
      tree: { 'd/file/': '' },
      args: (l) => ['/t/file', `${l}/d`],
      stderr: (l) => [`Error: Cannot copy file /t/file to ${l}/d/file: it is a directory`, 'Hint: name the file inside it, or remove the directory first'],
    },
    {
      name: 'a directory whose files exist locally: all of them named, none written',
      tree: { 'd/dir/f': 'old f\n', 'd/dir/sub/g': 'old g\n' },
      args: (l) => ['/t/dir', `${l}/d`],
      stderr: (l) => [`Error: 2 local files already exist: ${l}/d/dir/f, ${l}/d/dir/sub/g`, overwriteHint],
    },
    {
      name: 'a missing local parent directory (was ENOENT and a stack)',
      tree: {},
      args: (l) => ['/t/file', `${l}/nope/x`],
      stderr: (l) => [`Error: Local directory ${l}/nope does not exist`, `Hint: create it first: mkdir -p ${l}/nope`],
    },
    {
      name: 'a local parent that is a file (was ENOTDIR and a stack)',
      tree: { existing: 'old\n' },
      args: (l) => ['/t/dir', `${l}/existing/x`],
      stderr: (l) => [`Error: Local path ${l}/existing is not a directory`, 'Hint: name a path under a directory'],
    },
    {
      name: 'a directory the user may not write to (was EACCES and a stack)',
      tree: { 'ro/': '' },
      setup: (l) => fs.chmodSync(`${l}/ro`, 0o555),
      unprivileged: true,
      args: (l) => ['/t/file', `${l}/ro/x`],
      stderr: (l) => [`Error: Cannot write into local directory ${l}/ro: permission denied (EACCES)`, `Hint: check the owner and mode of ${l}/ro and of its parent directories (ls -ld)`],
    },
    {
      name: 'an empty destination (was the current directory)',
      tree: { file: 'old\n' },
      args: () => ['-f', '/t/file', ''],
      stderr: () => ['Error: the local destination path is empty', 'Hint: name a file or directory, e.g. . for the current directory'],
    },
    ...['', '-f'].map((flag) => ({
      name: `a named pipe${flag ? ', even with -f' : ' (was replaced by a regular file)'}`,
      tree: {},
      setup: (l: string) => { execFileSync('mkfifo', [`${l}/pipe`]); },
      args: (l: string) => [...(flag ? [flag] : []), '/t/file', `${l}/pipe`],
      stderr: (l: string) => [`Error: Local path ${l}/pipe is not a regular file (a device, pipe or socket)`, 'Hint: use alluxio fs cat to send a file to a pipe or device'],
    })),
  ];
  for (const k of refusals) {
    test(`copyToLocal refuses ${k.name}`, async () => {
      const l = localDir();
      makeTree(l, k.tree);
      k.setup?.(l);
      const before = snapshot(l);
      const r = await run(c, ['fs', 'copyToLocal', ...k.args(l)], { unprivileged: !!k.unprivileged, cwd: l });
      check(r, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, k.stderr(l).map((s) => `${s}\n`).join(''));
      noStack(r);
      assert.deepEqual(snapshot(l), before, 'the local disk changed');
    });
  }

  test('copyToLocal -f replaces existing files; without it a new file is written and no temporary file is left', async () => {
    const l = localDir();
    makeTree(l, { existing: 'old\n', 'd/dir/f': 'old f\n' });
    let r = await run(c, ['fs', 'copyToLocal', '-f', '/t/file', `${l}/existing`]);
    check(r, 0);
    assert.equal(r.stdout, `Copied /t/file to file://${l}/existing\n`);
    r = await run(c, ['fs', 'copyToLocal', '--overwrite', '/t/dir', `${l}/d`]);
    check(r, 0);
    assert.equal(r.stdout, `Copied /t/dir to file://${l}/d/dir\n`);
    r = await run(c, ['fs', 'copyToLocal', '/t/file', `${l}/new`]);
    check(r, 0);
    noStack(r);
    const snap = snapshot(l);
    assert.deepEqual(Object.keys(snap), ['d/', 'd/dir/', 'd/dir/f', 'd/dir/sub/', 'd/dir/sub/g', 'existing', 'new']);
    for (const f of ['d/dir/f', 'd/dir/sub/g', 'existing', 'new']) assert.equal(fs.readFileSync(path.join(l, f), 'utf8'), FILE);
  });

  // ---- copyFromLocal: local read errors come before anything is created in Alluxio ----------
  const fromLocal: { name: string; setup: (l: string) => string; unprivileged?: boolean; extra?: string[]; stderr: (l: string) => string[] }[] = [
    {
      name: 'an unreadable local file',
      setup: (l) => { fs.writeFileSync(`${l}/secret`, 'x'); fs.chmodSync(`${l}/secret`, 0o000); return `${l}/secret`; },
      unprivileged: true,
      stderr: (l) => [`Error: Cannot read local file ${l}/secret: permission denied (EACCES)`, `Hint: check the owner and mode of ${l}/secret and of its parent directories (ls -ld)`],
    },
    {
      name: 'a directory with an unreadable subdirectory',
      setup: (l) => { makeTree(l, { 'tree/a': 'a', 'tree/locked/b': 'b' }); fs.chmodSync(`${l}/tree/locked`, 0o000); return `${l}/tree`; },
      unprivileged: true,
      stderr: (l) => [`Error: Cannot list local directory ${l}/tree/locked: permission denied (EACCES)`, `Hint: check the owner and mode of ${l}/tree/locked and of its parent directories (ls -ld)`],
    },
    {
      name: 'a local file that fails to read (EIO)',
      setup: () => '/proc/self/mem',
      stderr: () => ['Error: Cannot read local file /proc/self/mem: input/output error (EIO)'],
    },
    {
      name: 'an empty source (was the whole current directory)',
      setup: (l) => { fs.writeFileSync(`${l}/f`, 'x'); return ''; },
      stderr: () => ['Error: the local source path is empty', 'Hint: name a file or directory, e.g. ./data.csv'],
    },
    {
      name: 'an unknown --writeType (was accepted and wrote a file that could not be read back)',
      setup: (l) => { fs.writeFileSync(`${l}/f`, 'x'); return `${l}/f`; },
      extra: ['--writeType', 'SOMETIMES'],
      stderr: () => ['Error: --writeType SOMETIMES is invalid; use one of MUST_CACHE, CACHE_THROUGH, THROUGH, ASYNC_THROUGH'],
    },
  ];
  for (const k of fromLocal) {
    test(`copyFromLocal refuses ${k.name}`, async () => {
      const l = localDir();
      const src = k.setup(l);
      const dst = `/up${n}`;
      const r = await run(c, ['fs', 'copyFromLocal', ...(k.extra ?? []), src, dst], { unprivileged: !!k.unprivileged, cwd: l });
      check(r, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, k.stderr(l).map((s) => `${s}\n`).join(''));
      noStack(r);
      check(await c.cli(['fs', 'test', '-e', dst]), 1); // nothing created in Alluxio
    });
  }

  test('fs cat into a full device: one error line, no stack (was an uncaught ENOSPC)', async () => {
    const r = await run(c, ['fs', 'cat', '/t/file'], { stdoutFile: '/dev/full' });
    check(r, 1);
    assert.equal(r.stderr, 'Error: Cannot write to standard output: no space left on device (ENOSPC)\n');
    noStack(r);
  });

  // ---- multi-path verbs go on past a failing path ---------------------------------------------
  test('fs rm a b c removes every path it can, reports each failure, exits 1', async () => {
    for (const p of ['/m/a', '/m/b', '/m/full/x']) check(await c.cli(['fs', 'touch', p]), 0);
    const r = await run(c, ['fs', 'rm', '/m/a', '/m/missing', '/m/full', '/m/b']);
    check(r, 1);
    assert.equal(r.stdout, '/m/a has been removed\n/m/b has been removed\n');
    assert.equal(r.stderr, 'Error: Path "/m/missing" does not exist.\nError: Directory "/m/full" is not empty.\nHint: use -R to delete it and everything under it\n');
    noStack(r);
    check(await c.cli(['fs', 'test', '-e', '/m/a']), 1);
    check(await c.cli(['fs', 'test', '-e', '/m/b']), 1);
    check(await c.cli(['fs', 'test', '-e', '/m/full/x']), 0);
  });

  test('fs mkdir a b c creates every directory it can, reports each failure, exits 1', async () => {
    check(await c.cli(['fs', 'mkdir', '/k/exists']), 0);
    const r = await run(c, ['fs', 'mkdir', '/k/a', '/k/exists', '/k/b']);
    check(r, 1);
    assert.equal(r.stdout, 'Successfully created directory /k/a\nSuccessfully created directory /k/b\n');
    assert.equal(r.stderr, 'Error: Path "/k/exists" already exists.\n');
    noStack(r);
    check(await c.cli(['fs', 'test', '-d', '/k/b']), 0);
  });

  test('fs rm stops at an unreachable cluster and names the paths it did not try', async () => {
    const r = await run(c, ['fs', 'rm', '-Dalluxio.user.rpc.retry.max.duration=1s', 'alluxio://localhost:1/a', 'alluxio://localhost:1/b', 'alluxio://localhost:1/c']);
    check(r, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^Error: Failed to find the leading master after .*localhost:1/);
    assert.equal(lines.at(-1), 'Not attempted: /b /c');
    noStack(r);
  });
});

// ---- how errors are rendered (the CLI's last line of defence) ---------------------------------
const errorOutput = () => import('../../src/commands/errorOutput.js');

test('an unexpected error is one line and a hint; ALLUXIO_DEBUG=1 adds the stack', async () => {
  const { describeError } = await errorOutput();
  const plain = describeError(new TypeError('boom'), { NO_COLOR: '1' });
  assert.equal(plain.exitCode, 2);
  assert.deepEqual(plain.lines, ['Internal error: boom', 'Hint: this is a bug; run the command again with ALLUXIO_DEBUG=1 to see where it happened, and report it']);
  const debug = describeError(new TypeError('boom'), { ALLUXIO_DEBUG: '1' });
  assert.equal(debug.lines[0], 'Internal error: boom');
  assert.match(debug.lines.join('\n'), /^TypeError: boom\n\s+at /m);
});

test('a system error no verb translated still names its path, in one line', async () => {
  const { describeError } = await errorOutput();
  let e: unknown;
  try { fs.readFileSync('/nonexistent-dir/alluxio-file'); } catch (x) { e = x; }
  const r = describeError(e, {});
  assert.equal(r.exitCode, 1);
  assert.deepEqual(r.lines, ['Error: open /nonexistent-dir/alluxio-file: no such file or directory (ENOENT)']);
});

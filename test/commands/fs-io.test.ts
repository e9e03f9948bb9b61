/**
 * `fs copyFromLocal`, `copyToLocal` and `cat` through the real CLI on a 1-master 1-worker
 * cluster: data identical (sha256) for sizes around the block size and the CLI's 8 MiB chunk;
 * `cat` into a pipe and into a file; a progress line on standard error only when it is a
 * terminal (a pseudo-terminal from util-linux `script`), otherwise byte-identical output; `cat`
 * into a pipe closed early ends quietly with exit 0.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, CLI, type CliResult } from '../harness/cluster.js';
import { SHOW_BYTES } from '../../src/commands/progress.js';
import { BATCH_BYTES } from '../../src/commands/fs/output.js';

const MiB = 1024 * 1024;
const BS = MiB; // the cluster's block size
const CHUNK = 8 * MiB; // copyFromLocal's read size
const SIZES = [0, 1, BS - 1, BS, 3 * BS + 1, CHUNK - 1, CHUNK, CHUNK + 1, BATCH_BYTES + BS + 3, 2 * CHUNK + 5];
const BIG = SHOW_BYTES + 3 * BS + 7; // long enough to show progress from its start

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(typeof b === 'string' ? fs.readFileSync(b) : b).digest('hex');

/** Run argv with the cluster's environment; stdout collected as bytes. */
function runRaw(c: TestCluster, argv: string[], opts: { closeStdoutAfter?: number } = {}): Promise<CliResult & { out: Buffer }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { env: c.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
    const parts: Buffer[] = [];
    let got = 0, stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (opts.closeStdoutAfter !== undefined && got >= opts.closeStdoutAfter) p.stdout.destroy();
    });
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 180_000);
    p.on('error', reject);
    p.on('close', (code, sig) => {
      clearTimeout(t);
      const out = Buffer.concat(parts);
      resolve({ code: code ?? (sig ? 128 : 1), stdout: out.toString('latin1'), stderr, out });
    });
  });
}

const cli = (c: TestCluster, args: string[], opts?: { closeStdoutAfter?: number }) => runRaw(c, [process.execPath, CLI, ...args], opts);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** A shell command run with standard error (and input) on a pseudo-terminal; its stdout is whatever the command redirects it to. */
const onPty = (c: TestCluster, shellCmd: string) => runRaw(c, ['script', '-qec', shellCmd, '/dev/null']);
const cliCmd = (args: string[]) => [process.execPath, CLI, ...args].map(q).join(' ');

/** A progress line as the pseudo-terminal shows it: "\r<done> / <total>  (<n>%)  <rate> MB/s". */
const PROGRESS = /\r[\d.]+(B|KB|MB) \/ 67\.00MB  \(\d+%\)  [\d.]+ MB\/s/;

describe('fs copyFromLocal / copyToLocal / cat: large buffers, identical data, progress on a terminal', () => {
  const c = new TestCluster({ ramdiskSize: '1GB', blockSize: '1MB' });
  let dir: string;
  const check = (r: CliResult, what: string): void => {
    assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr}\n${c.logs()}`);
  };

  before(async () => {
    await c.setup();
    await c.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-fs-io-'));
  });
  after(async () => { await c.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  test(`sizes ${SIZES.join(', ')}: copyFromLocal and copyToLocal of a directory, cat to a file and to a pipe keep every byte`, async () => {
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    const digests = new Map<number, string>();
    for (const size of SIZES) {
      const data = crypto.randomBytes(size);
      digests.set(size, sha(data));
      fs.writeFileSync(path.join(tree, `f-${size}`), data);
    }
    const put = await cli(c, ['fs', 'copyFromLocal', tree, '/io/tree']);
    check(put, 'copyFromLocal');
    assert.equal(put.stdout, `Copied file://${tree} to /io/tree\n`);
    assert.equal(put.stderr, '');
    const back = path.join(dir, 'back');
    const get = await cli(c, ['fs', 'copyToLocal', '/io/tree', back]);
    check(get, 'copyToLocal');
    assert.equal(get.stdout, `Copied /io/tree to file://${back}\n`);
    assert.equal(get.stderr, '');
    const cats = path.join(dir, 'cats');
    fs.mkdirSync(cats);
    const script = SIZES.map((size) => `${cliCmd(['fs', 'cat', `/io/tree/f-${size}`])} > ${q(path.join(cats, `f-${size}`))} || exit 1`).join('\n');
    const f = await runRaw(c, ['sh', '-c', script]);
    check(f, 'cat > file');
    assert.equal(f.stdout + f.stderr, '');
    for (const [size, digest] of digests) {
      assert.equal(sha(path.join(back, `f-${size}`)), digest, `copyToLocal changed the data of ${size} bytes`);
      assert.equal(sha(path.join(cats, `f-${size}`)), digest, `cat into a file changed the data of ${size} bytes`);
    }
    for (const size of [0, 3 * BS + 1, BATCH_BYTES + BS + 3]) {
      const piped = await cli(c, ['fs', 'cat', `/io/tree/f-${size}`]);
      check(piped, 'cat | pipe');
      assert.equal(piped.stderr, '');
      assert.equal(sha(piped.out), digests.get(size), `cat into a pipe changed the data of ${size} bytes`);
    }
  });

  describe(`a ${BIG}-byte file`, () => {
    let src: string;
    let digest: string;
    before(async () => {
      const data = crypto.randomBytes(BIG);
      digest = sha(data);
      src = path.join(dir, 'big');
      fs.writeFileSync(src, data);
    });

    test('copyFromLocal, copyToLocal and cat show progress when standard error is a terminal', async () => {
      const put = await onPty(c, cliCmd(['fs', 'copyFromLocal', src, '/io/big-tty']));
      check(put, 'copyFromLocal on a pty');
      assert.match(put.stdout, PROGRESS, `no progress line from copyFromLocal:\n${JSON.stringify(put.stdout)}`);
      assert.match(put.stdout, /\r\x1b\[KCopied file:\/\//, 'the progress line is erased before the result line');
      const back = path.join(dir, 'big-tty-back');
      const get = await onPty(c, cliCmd(['fs', 'copyToLocal', '/io/big-tty', back]));
      check(get, 'copyToLocal on a pty');
      assert.match(get.stdout, PROGRESS, `no progress line from copyToLocal:\n${JSON.stringify(get.stdout)}`);
      assert.equal(sha(back), digest);
      const out = path.join(dir, 'big-tty-cat');
      const cat = await onPty(c, `${cliCmd(['fs', 'cat', '/io/big-tty'])} > ${q(out)}`);
      check(cat, 'cat on a pty');
      assert.match(cat.stdout, PROGRESS, `no progress line from cat:\n${JSON.stringify(cat.stdout)}`);
      assert.equal(sha(out), digest, 'the progress line went into the data');
      // Data to the terminal itself: no progress line between it.
      const toTty = await onPty(c, cliCmd(['fs', 'cat', '/io/big-tty']));
      check(toTty, 'cat to the pty');
      assert.ok(toTty.out.length >= BIG, `only ${toTty.out.length} bytes reached the pty`);
      assert.doesNotMatch(toTty.stdout, PROGRESS, 'a progress line was mixed into the data on the terminal');
    });

    test('without a terminal the same copies print exactly what they did before (no progress)', async () => {
      const put = await cli(c, ['fs', 'copyFromLocal', src, '/io/big']);
      check(put, 'copyFromLocal');
      assert.equal(put.stdout, `Copied file://${src} to /io/big\n`);
      assert.equal(put.stderr, '');
      const back = path.join(dir, 'big-back');
      const get = await cli(c, ['fs', 'copyToLocal', '/io/big', back]);
      check(get, 'copyToLocal');
      assert.equal(get.stdout, `Copied /io/big to file://${back}\n`);
      assert.equal(get.stderr, '');
      assert.equal(sha(back), digest);
      const cat = await cli(c, ['fs', 'cat', '/io/big']);
      check(cat, 'cat');
      assert.equal(cat.stderr, '');
      assert.equal(sha(cat.out), digest);
    });

    test('cat into a pipe closed after 10 bytes (| head -c 10) exits 0 with nothing on standard error', async () => {
      await cli(c, ['fs', 'copyFromLocal', src, '/io/big-pipe']).then((r) => check(r, 'copyFromLocal'));
      const head = await runRaw(c, ['bash', '-o', 'pipefail', '-c', `${cliCmd(['fs', 'cat', '/io/big-pipe'])} | head -c 10`]);
      check(head, 'cat | head -c 10');
      assert.equal(head.out.length, 10);
      assert.equal(head.stderr, '');
      const closed = await cli(c, ['fs', 'cat', '/io/big-pipe'], { closeStdoutAfter: 1 });
      check(closed, 'cat into a pipe its reader closed');
      assert.equal(closed.stderr, '');
    });
  });
});

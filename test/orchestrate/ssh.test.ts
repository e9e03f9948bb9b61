/**
 * SshPool against an in-process ssh2 Server on 127.0.0.1:0 that runs exec requests with a
 * local `sh -c` (bounded at 10 s). Every test uses a temp HOME; the real ~/.ssh is never read.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';
import { HostError, SshError, TimeoutError } from '../../src/errors.js';
import { quote, toShell } from '../../src/orchestrate/shell.js';
import { ClusterExecutor, type ExecResult, type RunOptions } from '../../src/orchestrate/executor.js';
import { OUTPUT_CAP, SshPool, type SshPoolOptions } from '../../src/orchestrate/ssh.js';
import { waitFor } from '../harness/cluster.js';
import { tmpDir } from './helpers.js';

const { Server, utils } = ssh2;

function parse(text: string): ParsedKey {
  const k = utils.parseKey(text);
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? (k[0] as ParsedKey) : k;
}

/**
 * An ed25519 key pair that ssh2 itself can read back. ssh2's generator strips leading zero bytes
 * of the public key, so about 1 pair in 200 fails to parse (mscdex/ssh2 #1390, #1513); draw again.
 */
function keyPair(opts?: Parameters<typeof utils.generateKeyPairSync>[1]): { private: string; public: string } {
  for (let i = 0; i < 50; i++) {
    const k = opts ? utils.generateKeyPairSync('ed25519', opts) : utils.generateKeyPairSync('ed25519');
    const ok = (t: string, pass?: string) => !(utils.parseKey(t, pass) instanceof Error);
    if (ok(k.public) && ok(k.private, (opts as { passphrase?: string } | undefined)?.passphrase)) return k;
  }
  throw new Error('could not generate a readable ed25519 key pair in 50 tries');
}

const HOST_KEY = keyPair();
const OTHER_HOST_KEY = keyPair();
const CLIENT_KEY = keyPair();
const WRONG_KEY = keyPair();
const HOST_PUB = parse(HOST_KEY.private).getPublicSSH().toString('base64');
const OTHER_PUB = parse(OTHER_HOST_KEY.private).getPublicSSH().toString('base64');
const HOST_FP = `SHA256:${createHash('sha256').update(parse(HOST_KEY.private).getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
const USER = 'alice';

interface TestServer {
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  maxConcurrentSessions: number;
  /** Commands running now. */
  activeSessions: () => number;
  ptyRequests: number;
  /** Every key offered (as base64) and user, in order. */
  offered: { user: string; key: string }[];
  dropAll(): void;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function startServer(opts: { hostKey?: string } = {}): Promise<TestServer> {
  const allowed = parse(CLIENT_KEY.public);
  const clients = new Set<Connection>();
  let sessions = 0;
  const state: TestServer = {
    port: 0, connections: 0, maxConcurrentSessions: 0, activeSessions: () => sessions, ptyRequests: 0, offered: [],
    dropAll: () => { for (const c of clients) c.end(); },
    close: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = new Server({ hostKeys: [opts.hostKey ?? HOST_KEY.private] }, (client) => {
    state.connections++;
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => { /* client went away */ });
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') { ctx.reject(['publickey']); return; }
      if (!ctx.signature) state.offered.push({ user: ctx.username, key: ctx.key.data.toString('base64') });
      const ok = ctx.username === USER && ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())
        && (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      if (ok) ctx.accept(); else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (_a, reject) => { state.ptyRequests++; reject?.(); });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          sessions++;
          state.maxConcurrentSessions = Math.max(state.maxConcurrentSessions, sessions);
          // ssh2's server does not pass on 'signal' requests after exec; this one kills the shell
          // when the channel closes, but not what the shell started.
          const child = spawn('sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
          const bound = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.stdin.on('error', () => { /* EPIPE when the command does not read stdin */ });
          stream.pipe(child.stdin);
          // One write in flight at a time: ssh2's server loses stderr that waits for window
          // space while stdout also waits, so the two are serialized here.
          let closed = false;
          let writes = Promise.resolve();
          const send = (w: NodeJS.WritableStream, b: Buffer): void => {
            writes = writes.then(() => (closed ? undefined : new Promise<void>((r) => { w.write(b, () => r()); })));
          };
          child.stdout.on('data', (b: Buffer) => send(stream, b));
          child.stderr.on('data', (b: Buffer) => send(stream.stderr, b));
          stream.on('close', () => { closed = true; child.kill('SIGKILL'); });
          child.on('close', async (code, signal) => {
            clearTimeout(bound);
            sessions--;
            await writes;
            try {
              if (signal !== null) stream.exit(signal); else stream.exit(code ?? 255);
              stream.end();
            } catch { /* channel already closed (timeout test) */ }
          });
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  servers.push(state);
  return state;
}

/** A temp home with the client key as ~/.ssh/id_ed25519 and, optionally, known_hosts lines. */
function makeHome(knownHosts?: string): string {
  const h = tmpDir('alluxio-ssh-');
  fs.mkdirSync(path.join(h, '.ssh'), { mode: 0o700 });
  fs.writeFileSync(path.join(h, '.ssh', 'id_ed25519'), CLIENT_KEY.private, { mode: 0o600 });
  if (knownHosts !== undefined) fs.writeFileSync(path.join(h, '.ssh', 'known_hosts'), knownHosts);
  return h;
}

function knownLine(port: number, b64 = HOST_PUB): string {
  return `[127.0.0.1]:${port} ssh-ed25519 ${b64}\n`;
}

function pool(home: string, extra: SshPoolOptions = {}): SshPool {
  return new SshPool({ home, user: USER, agent: false, globalKnownHostsFiles: [], connectTimeoutMs: 3000, ...extra });
}

async function withPool<T>(p: SshPool, fn: (p: SshPool) => Promise<T>): Promise<T> {
  try { return await fn(p); } finally { await p.close(); }
}

function sshError(kind: SshError['kind'], message: string, hint?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SshError, `expected SshError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.equal(e.message, message);
    if (hint !== undefined) assert.equal(e.hint, hint);
    return true;
  };
}

test('exec: exit code, stdout and stderr as strings; non-zero exit is not an error; no PTY', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    const r = await p.exec('127.0.0.1', toShell(['sh', '-c', 'printf "out é\\n"; printf "err 日本\\n" >&2; exit 3']));
    assert.equal(r.host, '127.0.0.1');
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out é\n');
    assert.equal(r.stderr, 'err 日本\n');
    assert.equal(r.signal, undefined);
    assert.ok(r.ms >= 0);
    const ok = await p.exec('127.0.0.1', toShell(['printf', '%s', "it's $HOME"]));
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "it's $HOME", '']);
    const sig = await p.exec('127.0.0.1', 'kill -TERM $$');
    assert.equal(sig.signal, 'SIGTERM');
    assert.equal(sig.code, 143);
    // stdin is closed when none is given, so a reader does not hang.
    const cat = await p.exec('127.0.0.1', 'cat');
    assert.deepEqual([cat.code, cat.stdout], [0, '']);
    // The stdin of `sh -c` on a server is never a terminal, and no pty was ever requested.
    const tty = await p.exec('127.0.0.1', 'if [ -t 0 ] || [ -t 1 ]; then echo tty; else echo notty; fi');
    assert.equal(tty.stdout, 'notty\n');
    assert.equal(srv.ptyRequests, 0);
  });
});

test('exec: fast commands never lose their exit status or output (listeners attached in time)', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    await p.connect('127.0.0.1');
    for (let i = 0; i < 30; i++) {
      const r = await p.exec('127.0.0.1', `echo ${i}; exit 7`);
      assert.deepEqual([r.code, r.stdout], [7, `${i}\n`]);
    }
  });
});

test('exec: onStdout/onStderr get whole UTF-8 characters as they arrive', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    const outs: string[] = [];
    const errs: string[] = [];
    // 'é' split across two writes.
    const r = await p.exec('127.0.0.1', "printf '\\303'; sleep 0.1; printf '\\251 done'; printf 'e' >&2", {
      onStdout: (s) => outs.push(s), onStderr: (s) => errs.push(s),
    });
    assert.equal(outs.join(''), 'é done');
    assert.ok(outs.every((s) => !s.includes('\ufffd')));
    assert.equal(errs.join(''), 'e');
    assert.equal(r.stdout, 'é done');
  });
});

test('exec: output beyond 1 MiB keeps the tail, and says how much was dropped', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    const r = await p.exec('127.0.0.1', "head -c 2097152 /dev/zero | tr '\\0' a; echo END; echo small >&2");
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, OUTPUT_CAP);
    assert.ok(r.stdout.endsWith('aaaEND\n'));
    assert.equal(r.stderr, 'small\n');
    assert.deepEqual(r.droppedBytes, { stdout: 2097152 + 4 - OUTPUT_CAP, stderr: 0 });
  });
});

test('exec: timeoutMs rejects with TimeoutError and frees the connection', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    const t0 = Date.now();
    await assert.rejects(p.exec('127.0.0.1', 'sleep 5', { timeoutMs: 200 }),
      (e: unknown) => e instanceof TimeoutError && e.message === '[127.0.0.1] timed out after 200 ms running: sleep 5');
    assert.ok(Date.now() - t0 < 4000);
    assert.equal((await p.exec('127.0.0.1', 'echo still')).stdout, 'still\n');
  });
});

test('stdin: Buffer, string and a stream are delivered in full (execWithInput)', async () => {
  const srv = await startServer();
  const home = makeHome(knownLine(srv.port));
  const p = pool(home, { port: srv.port });
  await withPool(p, async () => {
    assert.equal((await p.exec('127.0.0.1', 'cat', { stdin: 'hello\nwörld' })).stdout, 'hello\nwörld');
    assert.equal((await p.execWithInput('127.0.0.1', 'cat', Buffer.from('buf'))).stdout, 'buf');
    const big = randomBytes(3 * 1024 * 1024);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length; i += 64 * 1024) chunks.push(big.subarray(i, i + 64 * 1024));
    const r = await p.execWithInput('127.0.0.1', 'sha256sum | cut -d" " -f1; echo done >&2', Readable.from(chunks));
    assert.equal(r.stdout.trim(), createHash('sha256').update(big).digest('hex'));
    assert.equal(r.stderr, 'done\n');
    // A tar stream, the real use.
    const src = tmpDir('alluxio-ssh-tar-src-');
    fs.writeFileSync(path.join(src, 'a file'), 'A');
    const dst = tmpDir('alluxio-ssh-tar-dst-');
    // Handed over at once but read only once the (new) connection is up, after tar has exited:
    // the pool must hold on to the output, which Node discards for an exited child nobody reads.
    const fresh = pool(home, { port: srv.port });
    const tar = spawn('tar', ['-c', '-C', src, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const x = await withPool(fresh, () => fresh.execWithInput('127.0.0.1', toShell(['tar', '-x', '-C', dst]), tar.stdout));
    assert.equal(x.code, 0, x.stderr);
    assert.equal(fs.readFileSync(path.join(dst, 'a file'), 'utf8'), 'A');
  });
});

/** One row of the table that local and SSH runs must both satisfy. */
interface RunCase {
  name: string;
  argv: string[];
  input?: () => Buffer | Readable;
  opts?: RunOptions;
  /** What the result must contain (exactly, for the keys given), or how the run must reject. */
  want: Partial<ExecResult> | { rejects: (e: unknown) => boolean };
  check?(r: ExecResult): void;
  /** The file the command writes its pid to (before it is killed). */
  pidFile?: string;
}

/** Whether the process is gone (a zombie is dead too: it is only waiting to be reaped). */
function processGone(pid: number): boolean {
  try { return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z'); } catch { return true; }
}

function runCases(dir: string): RunCase[] {
  const big = 2 * 1024 * 1024;
  return [
    { name: 'exit code, stdout and stderr', argv: ['sh', '-c', 'printf "out é\\n"; printf "err 日本\\n" >&2; exit 3'], want: { host: '127.0.0.1', code: 3, stdout: 'out é\n', stderr: 'err 日本\n' } },
    { name: 'awkward arguments arrive unchanged', argv: ['printf', '%s|', "it's", '$HOME', '', 'a b'], want: { code: 0, stdout: "it's|$HOME||a b|", stderr: '' } },
    // Over SSH the login shell runs the command and reports its signal as 128 + n (only a
    // signal that kills that shell itself comes back as `signal`, see the exec tests).
    { name: 'killed by a signal: 128 + its number', argv: ['sh', '-c', 'kill -TERM $$'], want: { code: 143 } },
    { name: 'a program that does not exist: 127', argv: [path.join(dir, 'no such program')], want: { code: 127, stdout: '' } },
    { name: 'no input: stdin is closed', argv: ['cat'], want: { code: 0, stdout: '' } },
    { name: 'input from a Buffer', argv: ['cat'], input: () => Buffer.from('hello\nwörld'), want: { code: 0, stdout: 'hello\nwörld' } },
    { name: 'input from a stream', argv: ['cat'], input: () => Readable.from([Buffer.from('a'), Buffer.from('b')]), want: { code: 0, stdout: 'ab' } },
    {
      name: 'an input stream that fails rejects with HostError', argv: ['cat'],
      input: () => new Readable({ read() { this.destroy(new Error('disk on fire')); } }),
      want: { rejects: (e) => e instanceof HostError && e.message === '[127.0.0.1] reading the input for `cat` failed: disk on fire' },
    },
    {
      name: 'output beyond the cap keeps the tail and says how much was dropped',
      argv: ['sh', '-c', `head -c ${big} /dev/zero | tr '\\0' a; echo END; echo small >&2`],
      want: { code: 0, stderr: 'small\n', droppedBytes: { stdout: big + 4 - OUTPUT_CAP, stderr: 0 } },
      check: (r) => { assert.equal(r.stdout.length, OUTPUT_CAP); assert.ok(r.stdout.endsWith('aaaEND\n')); },
    },
    {
      name: 'onStdout/onStderr get whole UTF-8 characters as they arrive',
      // 'é' split across two writes.
      argv: ['sh', '-c', "printf '\\303'; sleep 0.1; printf '\\251 done'; printf 'e' >&2"],
      want: { code: 0, stdout: 'é done', stderr: 'e' },
    },
    {
      name: 'timeout: TimeoutError naming host, command and timeout, after the command was killed',
      argv: ['sh', '-c', `echo $$ > ${path.join(dir, 'pid')}; exec sleep 30`], opts: { timeoutMs: 300 }, pidFile: path.join(dir, 'pid'),
      want: { rejects: (e) => e instanceof TimeoutError && e.message === `[127.0.0.1] timed out after 300 ms running: sh -c 'echo $$ > ${path.join(dir, 'pid')}; exec sleep 30'` },
    },
  ];
}

test('local and SSH runs behave the same: one table through both executors', async () => {
  const srv = await startServer();
  const local = new ClusterExecutor(new Set(['127.0.0.1']));
  const remote = new ClusterExecutor(new Set(), { home: makeHome(knownLine(srv.port)), user: USER, agent: false, globalKnownHostsFiles: [], connectTimeoutMs: 3000, port: srv.port });
  try {
    for (const [how, ex] of [['local', local], ['ssh', remote]] as const) {
      assert.equal(ex.isLocal('127.0.0.1'), how === 'local');
      for (const c of runCases(tmpDir('alluxio-run-'))) {
        const what = `${how}: ${c.name}`;
        const chunks = { out: [] as string[], err: [] as string[] };
        const opts: RunOptions = { ...c.opts, onStdout: (s) => chunks.out.push(s), onStderr: (s) => chunks.err.push(s) };
        const run = c.input === undefined ? ex.run('127.0.0.1', c.argv, opts) : ex.runWithInput('127.0.0.1', c.argv, c.input(), opts);
        if ('rejects' in c.want) {
          await assert.rejects(run, c.want.rejects, what);
        } else {
          const r = await run;
          for (const [k, v] of Object.entries(c.want)) assert.deepEqual(r[k as keyof ExecResult], v, `${what}: ${k} (got ${JSON.stringify(r).slice(0, 300)})`);
          assert.ok(chunks.out.every((s) => !s.includes('\ufffd')), what);
          if (r.droppedBytes === undefined) assert.deepEqual([chunks.out.join(''), chunks.err.join('')], [r.stdout, r.stderr], what);
          c.check?.(r);
        }
        if (c.pidFile !== undefined) {
          const pid = Number(fs.readFileSync(c.pidFile, 'utf8'));
          await waitFor(`${what}: pid ${pid} to be gone`, async () => processGone(pid), 5000, 20);
        }
      }
    }
  } finally {
    await local.close();
    await remote.close();
  }
});

test('connection reuse: 20 concurrent execs share one TCP connection, at most 10 sessions at once', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => p.exec('127.0.0.1', `sleep 0.05; echo ${i}`)));
    assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 20 }, (_, i) => `${i}\n`));
    await Promise.all([p.connect('127.0.0.1'), p.connect('127.0.0.1')]);
    assert.equal(srv.connections, 1);
    assert.ok(srv.maxConcurrentSessions <= 10, `max sessions ${srv.maxConcurrentSessions}`);
  });
});

test('a dropped connection is reopened on next use', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    assert.equal((await p.exec('127.0.0.1', 'echo 1')).stdout, '1\n');
    srv.dropAll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await p.exec('127.0.0.1', 'echo 2')).stdout, '2\n');
    assert.equal(srv.connections, 2);
  });
});

test('a command running when the connection drops rejects with unreachable', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await withPool(p, async () => {
    await p.connect('127.0.0.1');
    const running = p.exec('127.0.0.1', 'sleep 3');
    await waitFor('the command to run on the server', () => srv.activeSessions() > 0, { timeoutMs: 10_000, everyMs: 10 });
    srv.dropAll();
    await assert.rejects(running, sshError('unreachable', '[127.0.0.1] connection to 127.0.0.1 lost while running: sleep 3'));
  });
});

test('strict policy refuses an unknown host key with the exact message and writes nothing', async () => {
  const srv = await startServer();
  const home = makeHome();
  const kh = path.join(home, '.ssh', 'known_hosts');
  await withPool(pool(home, { port: srv.port }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('hostkey',
    `[127.0.0.1] host key for [127.0.0.1]:${srv.port} is not known: ssh-ed25519 ${HOST_FP} is not in ${kh}; refusing to connect (strict host key checking)`,
    `verify the fingerprint, then record it by connecting once with \`ssh -p ${srv.port} alice@127.0.0.1\`, or re-run with --accept-new-host-keys`)));
  assert.equal(fs.existsSync(kh), false);
});

test('accept-new appends the plain line, then the key matches under strict', async () => {
  const srv = await startServer();
  const home = makeHome('other ssh-ed25519 AAAA'); // no trailing newline: one is added first
  const kh = path.join(home, '.ssh', 'known_hosts');
  const added: string[] = [];
  await withPool(pool(home, { port: srv.port, hostKeyPolicy: 'accept-new', onHostKeyAdded: (h, line, file) => added.push(`${h}|${line}|${file}`) }), async (p) => {
    assert.equal((await p.exec('127.0.0.1', 'echo hi')).stdout, 'hi\n');
  });
  assert.equal(fs.readFileSync(kh, 'utf8'), `other ssh-ed25519 AAAA\n${knownLine(srv.port)}`);
  assert.deepEqual(added, [`127.0.0.1|${knownLine(srv.port).trim()}|${kh}`]);
  await withPool(pool(home, { port: srv.port }), async (p) => { await p.connect('127.0.0.1'); });
  // Connecting again under accept-new does not append a second line.
  await withPool(pool(home, { port: srv.port, hostKeyPolicy: 'accept-new' }), async (p) => { await p.connect('127.0.0.1'); });
  assert.equal(fs.readFileSync(kh, 'utf8'), `other ssh-ed25519 AAAA\n${knownLine(srv.port)}`);
});

test('accept-new creates ~/.ssh/known_hosts (0600) when missing; StrictHostKeyChecking accept-new in the config does too', async () => {
  const srv = await startServer();
  const home = tmpDir('alluxio-ssh-nodir-');
  fs.writeFileSync(path.join(home, 'key'), CLIENT_KEY.private, { mode: 0o600 });
  await withPool(pool(home, { port: srv.port, hostKeyPolicy: 'accept-new', identityFiles: [path.join(home, 'key')] }), (p) => p.connect('127.0.0.1'));
  const kh = path.join(home, '.ssh', 'known_hosts');
  assert.equal(fs.readFileSync(kh, 'utf8'), knownLine(srv.port));
  assert.equal(fs.statSync(kh).mode & 0o777, 0o600);

  const home2 = makeHome();
  fs.writeFileSync(path.join(home2, '.ssh', 'config'), 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/kh2\n');
  await withPool(pool(home2, { port: srv.port }), (p) => p.connect('127.0.0.1'));
  assert.equal(fs.readFileSync(path.join(home2, '.ssh', 'kh2'), 'utf8'), knownLine(srv.port));
});

test('a changed host key is refused, even under accept-new, naming file:line and the ssh-keygen -R hint', async () => {
  const srv = await startServer();
  const home = makeHome(`# hosts\n${knownLine(srv.port, OTHER_PUB)}`);
  const kh = path.join(home, '.ssh', 'known_hosts');
  for (const hostKeyPolicy of ['strict', 'accept-new'] as const) {
    await withPool(pool(home, { port: srv.port, hostKeyPolicy }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('hostkey',
      `[127.0.0.1] HOST KEY CHANGED for [127.0.0.1]:${srv.port}: the host offers ssh-ed25519 ${HOST_FP}, which differs from the key at ${kh}:2; refusing to connect (the host may have been reinstalled, or someone may be intercepting the connection)`,
      `if the change is expected, remove the old key with \`ssh-keygen -R ${quote(`[127.0.0.1]:${srv.port}`)} -f ${kh}\` and connect again`)));
  }
  assert.equal(fs.readFileSync(kh, 'utf8'), `# hosts\n${knownLine(srv.port, OTHER_PUB)}`);
});

test('a revoked host key is refused', async () => {
  const srv = await startServer();
  const home = makeHome(`${knownLine(srv.port)}@revoked * ssh-ed25519 ${HOST_PUB}\n`);
  const kh = path.join(home, '.ssh', 'known_hosts');
  await withPool(pool(home, { port: srv.port }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('hostkey',
    `[127.0.0.1] host key ssh-ed25519 ${HOST_FP} for [127.0.0.1]:${srv.port} is revoked (@revoked at ${kh}:2); refusing to connect`)));
});

test('a hashed known_hosts entry matches (ssh-keygen -H form)', async () => {
  const srv = await startServer();
  const salt = randomBytes(20);
  const { createHmac } = await import('node:crypto');
  const hashedName = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(`[127.0.0.1]:${srv.port}`).digest('base64')}`;
  await withPool(pool(makeHome(`${hashedName} ssh-ed25519 ${HOST_PUB}\n`), { port: srv.port }), (p) => p.connect('127.0.0.1'));
});

test('auth failure names the user, every key tried and every key skipped (and why)', async () => {
  const srv = await startServer();
  const home = makeHome(knownLine(srv.port));
  const sshDir = path.join(home, '.ssh');
  fs.writeFileSync(path.join(sshDir, 'id_ed25519'), WRONG_KEY.private, { mode: 0o600 });
  const enc = keyPair({ passphrase: 'secret', cipher: 'aes256-ctr', rounds: 4 });
  fs.writeFileSync(path.join(sshDir, 'id_rsa'), enc.private, { mode: 0o600 });
  const extra = path.join(home, 'missing-key');
  await withPool(pool(home, { port: srv.port, identityFiles: [extra] }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('auth',
    `[127.0.0.1] permission denied for user alice on 127.0.0.1:${srv.port}; tried ${sshDir}/id_ed25519; skipped ${extra} (not found), ${sshDir}/id_rsa (encrypted, no passphrase; load it into ssh-agent); the server accepts: publickey`,
    `install a public key for alice: ssh-copy-id -p ${srv.port} alice@127.0.0.1`)));
  assert.deepEqual(srv.offered, [{ user: 'alice', key: parse(WRONG_KEY.public).getPublicSSH().toString('base64') }]);
});

test('auth: the right key for the wrong user fails naming that user; an unusable agent is noted and skipped', async () => {
  const srv = await startServer();
  const home = makeHome(knownLine(srv.port));
  const agent = path.join(home, 'no-agent.sock');
  await withPool(pool(home, { port: srv.port, user: 'mallory', agent }), (p) => assert.rejects(p.connect('127.0.0.1'), (e: unknown) => {
    assert.ok(e instanceof SshError && e.kind === 'auth');
    assert.match(e.message, new RegExp(`^\\[127\\.0\\.0\\.1\\] permission denied for user mallory on 127\\.0\\.0\\.1:${srv.port}; tried ${path.join(home, '.ssh', 'id_ed25519').replace(/[.]/g, '\\.')}; skipped ssh-agent \\(${agent.replace(/[.]/g, '\\.')}: .+\\); the server accepts: publickey$`));
    assert.equal(e.hint, `install a public key for mallory: ssh-copy-id -p ${srv.port} mallory@127.0.0.1`);
    return true;
  }));
});

test('auth: no key at all says so', async () => {
  const srv = await startServer();
  const home = tmpDir('alluxio-ssh-nokey-');
  fs.mkdirSync(path.join(home, '.ssh'));
  fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), knownLine(srv.port));
  const d = path.join(home, '.ssh');
  await withPool(pool(home, { port: srv.port }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('auth',
    `[127.0.0.1] permission denied for user alice on 127.0.0.1:${srv.port}; no key to offer (none of ${d}/id_ed25519, ${d}/id_ecdsa, ${d}/id_rsa exists and no ssh-agent is set)`)));
});

test('~/.ssh/config applies: alias -> HostName, Port, User, IdentityFile', async () => {
  const srv = await startServer();
  const home = makeHome(knownLine(srv.port));
  fs.renameSync(path.join(home, '.ssh', 'id_ed25519'), path.join(home, '.ssh', 'cluster_key'));
  fs.writeFileSync(path.join(home, '.ssh', 'config'), `Host m*\n  HostName 127.0.0.1\n  Port ${srv.port}\n  User ${USER}\n  IdentityFile ~/.ssh/cluster_key\n`);
  const p = new SshPool({ home, agent: false, globalKnownHostsFiles: [] });
  await withPool(p, async () => {
    assert.deepEqual(p.resolved('m1'), { host: 'm1', hostName: '127.0.0.1', user: USER, port: srv.port, identityFiles: [path.join(home, '.ssh', 'cluster_key')] });
    const [a, b] = await Promise.all([p.exec('m1', 'echo a'), p.exec('m2', 'echo b')]);
    assert.deepEqual([a.host, a.stdout, b.host, b.stdout], ['m1', 'a\n', 'm2', 'b\n']);
    assert.equal(srv.connections, 2); // one per host name
  });
});

test('connection refused -> unreachable with the sshd hint', async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  await withPool(pool(makeHome(), { port }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('unreachable',
    `[127.0.0.1] cannot connect to 127.0.0.1 port ${port}: connection refused`,
    `is sshd running on 127.0.0.1:${port}, and is that port open from here?`)));
});

test('no SSH handshake within the timeout -> unreachable', async () => {
  const silent = net.createServer((c) => { c.on('error', () => {}); setTimeout(() => c.destroy(), 3000).unref(); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const t0 = Date.now();
    await withPool(pool(makeHome(), { port, connectTimeoutMs: 300 }), (p) => assert.rejects(p.connect('127.0.0.1'), sshError('unreachable',
      `[127.0.0.1] no SSH handshake from 127.0.0.1:${port} within 300 ms`)));
    assert.ok(Date.now() - t0 < 2500);
  } finally {
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('an unresolvable name -> dns with the conf/masters hint', async () => {
  // An injected resolver: no DNS query leaves this machine.
  const lookup = async (h: string) => { throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' }); };
  await withPool(pool(makeHome(), { port: 22, connectTimeoutMs: 3000, lookup }), (p) => assert.rejects(p.connect('no-such-host.invalid'), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, 'dns');
    assert.equal(e.message, '[no-such-host.invalid] cannot resolve host name no-such-host.invalid: no such host');
    assert.equal(e.hint, 'check the name in conf/masters or conf/workers, /etc/hosts and ~/.ssh/config');
    return true;
  }));
});

test('a failed connect is not cached: the next call tries again', async () => {
  const srv = await startServer();
  const home = makeHome();
  const p = pool(home, { port: srv.port });
  await withPool(p, async () => {
    await assert.rejects(p.connect('127.0.0.1'), (e: unknown) => e instanceof SshError && e.kind === 'hostkey');
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), knownLine(srv.port));
    await p.connect('127.0.0.1');
  });
});

test('close() ends every connection; the pool can be used again afterwards', async () => {
  const srv = await startServer();
  const p = pool(makeHome(knownLine(srv.port)), { port: srv.port });
  await p.exec('127.0.0.1', 'true');
  await p.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await p.exec('127.0.0.1', 'echo again')).stdout, 'again\n');
  assert.equal(srv.connections, 2);
  await p.close();
});

/**
 * bench:io — the data path: sequential read of a cached file (default 1 GiB, --size=512m...)
 * through the in-process client and through the CLI (`alluxio fs cat > /dev/null`), local (client
 * on the worker's host: short-circuit when the client has it) and remote (client on another test
 * host), and sequential writes (MUST_CACHE, CACHE_THROUGH); next to the peers on the same paths
 * in the same run: Node reading the block files themselves from the worker's tmpfs (1 MiB and
 * 8 MiB chunks), `cat blockfiles > /dev/null`, and iperf3 on loopback and between the two hosts.
 *
 * Layout: two test hosts (network namespaces, test/harness/hosts.ts). h1 runs one master
 * (embedded journal) and one worker whose only tier is a tmpfs ramdisk mounted inside h1; the
 * local client runs in h1, the remote one in h2. Every measurement runs as its own process
 * inside its host (this file with --probe=...), so each side pays the same; a probe times only
 * its own work (the CLI rows are timed around the whole `alluxio` process: start-up included).
 *
 * Options: --size=1g (k/m/g), --runs=N (each read case N times, the median is shown), --iperf-seconds=5,
 * --base=<another checkout, built>: its client probes (MUST_CACHE write, reads) alternate with this
 * build's, run by run (A B A B, same servers: this build's), as rows marked [base] and [this];
 * --only=local,remote,writes,cli: only those groups of cases (the first MUST_CACHE write, which
 * leaves the file the reads use, always runs); --cpu-prof=<dir> (absolute, outside /tmp, /var...):
 * the in-process read probes run with node --cpu-prof, their profiles written there; --perf=<dir>:
 * `perf record -a -g` (every CPU: client, worker and kernel) around each in-process read probe,
 * <dir>/<host>-<kept|lent>-<n>.data.
 * --tmpfs-huge=never|within_size|always|advise: the worker tier's tmpfs mount option huge= (default never, as `alluxio mount`).
 * --rounds=5: the goal comparisons again, interleaved (remote: our lent read from h2, then iperf3
 * -R -n <size> -l 1M h1 -> h2; local: our lent read in h1, then Node's 1 MiB tmpfs read; N rounds),
 * each round's ratio shown with the load average, the goal lines giving the median and the spread
 * (0: no rounds).
 * The in-process read rows note the client's CPU (user + system, ms per GiB) and the worker
 * process's over the same probe (from /proc/<pid>/stat): which side is busy, which one waits.
 * Bounded: every step has a time-out and the whole run stops after --timeout-min (default 20);
 * the servers are killed by pid and the hosts destroyed on exit and on failure (also on SIGINT/TERM).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const BUNDLE = path.join(ROOT, 'dist', 'cli', 'cli.js');
const MAIN = (kind: 'master' | 'worker') => path.join(ROOT, 'dist', 'src', 'server', kind, 'main.js');
const MiB = 1024 * 1024;
const WRITE_CHUNK = 8 * MiB;

function arg(name: string, def: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`--size=${s}: use a number with k, m or g (e.g. --size=1g, --size=256m)`);
  const mult = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

// ---------------------------------------------------------------------------------------------
// Probes: one measurement, run inside a test host, printing one JSON line {bytes, ms, ...}.

async function probe(kind: string): Promise<void> {
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  if (kind === 'node-read') {
    const chunk = parseSize(arg('chunk', '1m'));
    const files = arg('files', '').split(',').filter(Boolean);
    const buf = Buffer.allocUnsafe(chunk);
    const t0 = performance.now();
    let bytes = 0;
    for (const f of files) {
      const fh = await fsp.open(f, 'r');
      try {
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, chunk, null);
          if (bytesRead === 0) break;
          bytes += bytesRead;
        }
      } finally { await fh.close(); }
    }
    out({ bytes, ms: performance.now() - t0 });
    return;
  }
  const { loadConfig } = await import('../src/conf/index.js');
  const { INSTALL_ROOT } = await import('../src/conf/installRoot.js');
  const { FileSystem } = await import('../src/client/fileSystem.js');
  const conf = loadConfig({ flags: {}, env: process.env, home: INSTALL_ROOT });
  const c = new FileSystem(conf);
  try {
    const p = arg('path', '');
    if (kind === 'read') {
      // --lent: local blocks are read into a BufferPool's buffers, each given back once counted
      // (as fs cat and copyToLocal do once written); else every buffer is new memory, kept.
      const lent = process.argv.includes('--lent');
      const { BufferPool } = await import('../src/bufferPool.js');
      const { LOCAL_READ_BUFFER } = await import('../src/client/shortCircuit.js');
      const buffers = lent ? new BufferPool(LOCAL_READ_BUFFER) : undefined;
      const t0 = performance.now(), cpu0 = process.cpuUsage();
      let bytes = 0, pieces = 0, firstMs = 0;
      let firstBytes = 0;
      for await (const b of c.read(p, undefined, { buffers })) { if (!pieces++) { firstMs = performance.now() - t0; firstBytes = b.length; } bytes += b.length; buffers?.give(b); }
      const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0);
      out({ bytes, ms, pieces, firstMs, firstBytes, userMs: cpu.user / 1000, sysMs: cpu.system / 1000 });
    } else if (kind === 'write') {
      const size = parseSize(arg('size', '0'));
      const data = Buffer.allocUnsafe(WRITE_CHUNK);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const t0 = performance.now();
      const s = await c.createFile(p, { writeType: arg('writeType', 'MUST_CACHE') as 'MUST_CACHE' });
      for (let off = 0; off < size; off += WRITE_CHUNK) await s.write(off + WRITE_CHUNK <= size ? data : data.subarray(0, size - off));
      const info = await s.close();
      out({ bytes: info.length, ms: performance.now() - t0 });
    } else if (kind === 'blocks') {
      // The block files of `path` in the worker's tier (<tier>/<data folder>/<block id>).
      const info = await c.getStatus(p);
      const dataDir = path.join(arg('tier', ''), conf.get('alluxio.worker.data.folder'));
      const files = info.blockIds.map((id) => path.join(dataDir, String(id)));
      for (const f of files) fs.statSync(f); // all there (cached, on this tier)
      out({ files, bytes: info.length });
    } else if (kind === 'rm') {
      await c.delete(p);
      out({});
    } else {
      throw new Error(`unknown probe ${kind}`);
    }
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------

interface Row { name: string; mbps: number; note?: string }

async function bench(): Promise<void> {
  const { TestHosts } = await import('../test/harness/hosts.js');
  const { getJson } = await import('../test/harness/cluster.js');
  const { waitFor } = await import('../test/harness/wait.js');
  const { ensureClusterSecret } = await import('../src/clusterSecret.js');

  // Test hosts get private /tmp, /opt, /var, /run, /root: the checkout must be visible in them.
  if (/^\/(tmp|opt|var|run|root)(\/|$)/.test(ROOT)) throw new Error(`bench:io runs this checkout inside test hosts, which have their own /tmp, /opt, /var, /run and /root: move it (${ROOT}) elsewhere, e.g. under /work or /home`);
  const size = parseSize(arg('size', '1g'));
  const runs = Math.max(1, Number(arg('runs', '1')));
  const iperfSeconds = Math.max(1, Number(arg('iperf-seconds', '5')));
  const timeoutMin = Number(arg('timeout-min', '20'));
  const huge = arg('tmpfs-huge', 'never');
  if (!['never', 'within_size', 'always', 'advise'].includes(huge)) throw new Error(`--tmpfs-huge=${huge}: use never, within_size, always or advise (tmpfs's huge= mount option)`);
  const stepMs = Math.max(120_000, (size / (5 * 1e6)) * 1000); // every step: at least 5 MB/s
  // The cached file + one written file at a time; with --base one more: a deleted file's blocks leave the worker
  // only at its next heartbeat, and the A/B writes follow each other at once.
  const tierBytes = (arg('base', '') ? 3 : 2) * size + 256 * MiB;

  const hosts = await TestHosts.create(2);
  const started: number[] = [];
  const killServers = () => { for (const pid of started.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } };
  // The whole run is bounded: past the limit, everything is torn down and the run fails.
  const overall = setTimeout(() => {
    console.error(`bench:io: stopped after ${timeoutMin} min (--timeout-min)`);
    killServers();
    hosts.destroySync();
    process.exit(1);
  }, timeoutMin * 60_000);
  overall.unref();

  const h1 = hosts.host('h1'), h2 = hosts.host('h2');
  const conf = path.join(hosts.dir, 'conf');
  const env = { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' };
  const run = async (host: string, argv: string[], what: string) => {
    const r = await hosts.run(host, argv, { env, timeoutMs: stepMs });
    if (r.code !== 0) throw new Error(`${what} on ${host} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stdout}${r.stderr}\n${await serverLogs()}`);
    return r.stdout;
  };
  const serverLogs = async () => (await hosts.run('h1', ['sh', '-c', 'tail -n 30 /var/alluxio/*.log'], { timeoutMs: 10_000 })).stdout;
  const probeOn = async (host: string, kind: string, args: string[], script = HERE, nodeFlags: string[] = []): Promise<any> =>
    JSON.parse((await run(host, [process.execPath, ...nodeFlags, script, `--probe=${kind}`, ...args], `probe ${kind} ${args.join(' ')}`)).trim().split('\n').pop()!);
  const only = arg('only', '').split(',').filter(Boolean);
  const known = ['local', 'remote', 'writes', 'cli'];
  for (const o of only) if (!known.includes(o)) throw new Error(`--only=${o}: use a comma-separated list of ${known.join(', ')}`);
  const want = (group: string) => !only.length || only.includes(group);
  const cpuProf = arg('cpu-prof', '');
  if (cpuProf && !path.isAbsolute(cpuProf)) throw new Error(`--cpu-prof=${cpuProf}: give an absolute directory (outside /tmp, /opt, /var, /run, /root, which test hosts replace)`);
  if (cpuProf) fs.mkdirSync(cpuProf, { recursive: true });
  const perfDir = arg('perf', '');
  if (perfDir) fs.mkdirSync(perfDir, { recursive: true });
  let perfRuns = 0;
  /** user + system CPU of a process so far, ms (Linux clock ticks are 1/100 s). */
  const cpuOf = (pid: number) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 }; };
  const base = arg('base', '');
  const baseScript = base ? path.join(path.resolve(base), 'dist', 'bench', 'io.js') : '';
  if (baseScript && !fs.existsSync(baseScript)) throw new Error(`--base=${base}: ${baseScript} is missing (build that checkout first: npx tsc -p .)`);
  const mbps = (r: { bytes: number; ms: number }) => r.bytes / 1e6 / (r.ms / 1000);
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
  const repeat = async (f: () => Promise<number>) => { const xs: number[] = []; for (let i = 0; i < runs; i++) xs.push(await f()); return median(xs); };
  /**
   * Where the client's and the worker's main threads run during a read probe (2 cores shared by
   * client, worker, its file-read threads and the kernel's network work): every 10 ms, each one's
   * state and last CPU (/proc/<pid>/stat); counted only in state R (running, or runnable and waiting
   * for a core: /proc does not tell them apart). Stop with the returned function: "client running
   * 61% (on cpu0 40%), worker main 70% (cpu0 55%), both on one core 12%" (of the samples).
   */
  const placement = (script: string) => {
    const stat = (p: string) => { try { const f = fs.readFileSync(p, 'utf8').split(') ')[1]!.split(' '); return { running: f[0] === 'R', cpu: Number(f[36]) }; } catch { return undefined; } };
    let client = 0, scans = 0, n = 0, c = 0, c0 = 0, w = 0, w0 = 0, same = 0;
    const findClient = () => {
      for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try { const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'); if (cmd.includes(script) && cmd.includes('--probe=read')) return Number(d); } catch { /* gone */ }
      }
      return 0;
    };
    const timer = setInterval(() => {
      if (!client && scans++ < 100) client = findClient(); // the probe shows up within a few ticks; a scan of /proc is not free
      const cs = client ? stat(`/proc/${client}/stat`) : undefined, ws = stat(`/proc/${started[1]}/stat`);
      if (!cs || !ws) return;
      n++;
      if (cs.running) { c++; if (cs.cpu === 0) c0++; }
      if (ws.running) { w++; if (ws.cpu === 0) w0++; }
      if (cs.running && ws.running && cs.cpu === ws.cpu) same++;
    }, 10);
    const pct = (a: number, b: number) => `${b ? Math.round((100 * a) / b) : 0}%`;
    return () => { clearInterval(timer); return `cores (${n} samples): client running ${pct(c, n)} (on cpu0 ${pct(c0, c)}), worker main ${pct(w, n)} (cpu0 ${pct(w0, w)}), both on one core ${pct(same, n)}`; };
  };
  /** An in-process read probe: MB/s, MB/s after the first piece, and a note with the client's and the worker's CPU per GiB and where they ran. */
  const readProbe = async (host: string, args: string[], script = HERE): Promise<{ mbps: number; note: string; stream: number }> => {
    const perf = perfDir ? spawn('perf', ['record', '-a', '-g', '-F', '499', '-o', path.join(perfDir, `${host}-${args.includes('--lent') ? 'lent' : 'kept'}-${++perfRuns}.data`)], { stdio: 'ignore' }) : undefined;
    if (perf) await new Promise((r) => setTimeout(r, 500)); // perf's start-up
    const w0 = cpuOf(started[1]!);
    let r: any;
    const cores = placement(script);
    let where = '';
    try {
      r = await probeOn(host, 'read', args, script, cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []);
    } finally {
      where = cores();
      if (perf && perf.exitCode === null && perf.signalCode === null) { const exited = new Promise((res) => perf.once('exit', res)); perf.kill('SIGINT'); await exited; }
    }
    const w1 = cpuOf(started[1]!);
    const gib = r.bytes / 2 ** 30, per = (ms: number) => (ms / gib).toFixed(0);
    const note = r.userMs === undefined ? '' : `per GiB: client ${per(r.userMs)} user + ${per(r.sysMs)} sys ms, worker ${per(w1.user - w0.user)} + ${per(w1.sys - w0.sys)} ms, wall ${per(r.ms)} ms; ${r.pieces} pieces, first after ${r.firstMs.toFixed(0)} ms; ${where}`;
    // The rate once streaming: after the first piece (the master RPCs and the first frame's latency left out).
    const stream = r.firstBytes === undefined ? NaN : mbps({ bytes: r.bytes - r.firstBytes, ms: r.ms - r.firstMs });
    return { mbps: mbps(r), note, stream };
  };
  const repeatRead = async (host: string, args: string[], script = HERE) => {
    const xs: { mbps: number; note: string; stream: number }[] = [];
    for (let i = 0; i < runs; i++) xs.push(await readProbe(host, args, script));
    return [...xs].sort((a, b) => a.mbps - b.mbps)[Math.floor(xs.length / 2)]!;
  };

  try {
    fs.mkdirSync(conf);
    fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), [
      'alluxio.master.hostname=h1',
      'alluxio.work.dir=/var/alluxio',
      'alluxio.worker.hostname=h1',
      `alluxio.worker.ramdisk.size=${Math.ceil(tierBytes / MiB)}MB`,
      'alluxio.worker.tieredstore.level0.dirs.path=/var/alluxio/ramdisk',
      'alluxio.user.block.size.bytes.default=64MB',
      '',
    ].join('\n'));
    ensureClusterSecret(path.join(conf, 'alluxio-cluster.secret'));
    fs.writeFileSync(path.join(conf, 'masters'), 'h1\n');
    fs.writeFileSync(path.join(conf, 'workers'), 'h1\n');

    // h1: the worker's tier is a tmpfs ramdisk (mounted in h1's own mount namespace: it goes with h1).
    // --tmpfs-huge=within_size|always: the tier's tmpfs with transparent huge pages (a 2 MiB page per
    // lookup instead of 4 KiB: file reads cost about half the CPU); default never, as `alluxio mount` mounts it.
    await run('h1', ['sh', '-c', `mkdir -p /var/alluxio/ramdisk && mount -t tmpfs -o size=${tierBytes + 64 * MiB}${huge === 'never' ? '' : `,huge=${huge}`} tmpfs /var/alluxio/ramdisk`], 'mount the ramdisk');
    await run('h1', [process.execPath, CLI, 'formatJournal'], 'alluxio formatJournal');
    for (const kind of ['master', 'worker'] as const) {
      const pid = Number((await run('h1', ['sh', '-c', `${process.execPath} ${MAIN(kind)} > /var/alluxio/${kind}.log 2>&1 & echo $!`], `start the ${kind}`)).trim());
      started.push(pid);
      const port = kind === 'master' ? 19999 : 30000;
      await waitFor(`the ${kind} in h1`, async () => {
        try { process.kill(pid, 0); } catch { throw new Error(`the ${kind} exited:\n${await serverLogs()}`); }
        const info = await getJson(`http://${h1.ip}:${port}/api/v1/${kind}/info`);
        return kind === 'master' ? info.isLeader : info.registered;
      }, 60_000, 200);
    }

    const rows: Row[] = [];
    const add = (name: string, v: number, note?: string) => { rows.push({ name, mbps: v, note }); console.error(`  ${name}: ${v.toFixed(0)} MB/s`); };
    const F = '/bench/cached';

    // Writes (the first one leaves the cached file every read case uses).
    console.error(`bench:io: ${size} bytes, 64 MiB blocks, h1 = master + worker (tmpfs tier), h2 = remote client`);
    add('write MUST_CACHE, client in h1 (local)', mbps(await probeOn('h1', 'write', [`--path=${F}`, `--size=${size}`, '--writeType=MUST_CACHE'])));
    for (const [host, where] of want('writes') ? [['h1', 'local'], ['h2', 'remote']] as const : []) {
      if (host === 'h2') {
        add('write MUST_CACHE, client in h2 (remote)', mbps(await probeOn('h2', 'write', ['--path=/bench/w', `--size=${size}`, '--writeType=MUST_CACHE'])));
        await probeOn('h1', 'rm', ['--path=/bench/w']);
      }
      add(`write CACHE_THROUGH, client in ${host} (${where})`, mbps(await probeOn(host, 'write', ['--path=/bench/w', `--size=${size}`, '--writeType=CACHE_THROUGH'])));
      await probeOn('h1', 'rm', ['--path=/bench/w']);
    }

    // A B A B: the other build's client against this build's, run by run, on the same servers.
    const alternate = async (name: string, f: (script: string) => Promise<number>) => {
      const a: number[] = [], b: number[] = [];
      for (let i = 0; i < runs; i++) { a.push(await f(baseScript)); b.push(await f(HERE)); }
      add(`${name} [base]`, median(a));
      add(`${name} [this]`, median(b));
    };
    if (baseScript && want('writes')) {
      await alternate('A/B: write MUST_CACHE, client in h1 (local)', async (script) => {
        const r = mbps(await probeOn('h1', 'write', ['--path=/bench/ab', `--size=${size}`, '--writeType=MUST_CACHE'], script));
        await probeOn('h1', 'rm', ['--path=/bench/ab']);
        return r;
      });
    }

    // The CLI's copies in h1, to and from a second tmpfs (no disk on either side).
    const timed = async (host: string, cmd: string, what: string) => {
      const out = await run(host, ['sh', '-c', `s=$(date +%s%N); ${cmd} || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000 ))`], what);
      return size / 1e6 / (Number(out.trim().split('\n').pop()) / 1e6);
    };
    // The timed CLI rows run what bin/alluxio runs (the bundle, when current) with its code cache
    // written by one untimed run of the verb first: a user's second `alluxio fs ...` (clicat, #14).
    const cli = `${process.execPath} ${fs.existsSync(BUNDLE) && fs.statSync(BUNDLE).mtimeMs >= fs.statSync(CLI).mtimeMs ? BUNDLE : CLI}`;
    for (const host of ['h1', 'h2']) await run(host, ['sh', '-c', `${cli} fs ls / > /dev/null`], 'alluxio fs ls (code cache)');
    if (want('cli')) {
      await run('h1', ['sh', '-c', `mkdir -p /var/alluxio/local && mount -t tmpfs -o size=${size + 64 * MiB} tmpfs /var/alluxio/local && head -c ${size} /dev/zero > /var/alluxio/local/f`], 'the local tmpfs');
      add('write MUST_CACHE, alluxio fs copyFromLocal from tmpfs in h1 (local)', await timed('h1', `${cli} fs copyFromLocal --writeType MUST_CACHE /var/alluxio/local/f /bench/cli-w`, 'alluxio fs copyFromLocal'), 'whole process');
      await probeOn('h1', 'rm', ['--path=/bench/cli-w']);
      await run('h1', ['rm', '/var/alluxio/local/f'], 'rm');
      add('read, alluxio fs copyToLocal to tmpfs in h1 (local)', await timed('h1', `${cli} fs copyToLocal ${F} /var/alluxio/local/f`, 'alluxio fs copyToLocal'), 'whole process');
      await run('h1', ['sh', '-c', 'rm /var/alluxio/local/f && umount /var/alluxio/local'], 'umount');
    }

    // Reads of the cached file.
    const cliRead = (host: string) => timed(host, `${cli} fs cat ${F} > /dev/null`, 'alluxio fs cat');
    for (const [host, where] of [['h1', 'local'], ['h2', 'remote']] as const) {
      if (!want(where)) continue;
      const kept = await repeatRead(host, [`--path=${F}`]);
      add(`read, in-process client in ${host} (${where})`, kept.mbps, kept.note);
      const lent = await repeatRead(host, [`--path=${F}`, '--lent']);
      add(`read, in-process client in ${host} (${where}), lent buffers`, lent.mbps, lent.note);
      add(`read, alluxio fs cat > /dev/null in ${host} (${where})`, await repeat(() => cliRead(host)), 'whole process');
      if (baseScript) {
        await alternate(`A/B: read, in-process client in ${host} (${where})`, async (script) => mbps(await probeOn(host, 'read', [`--path=${F}`], script)));
        await alternate(`A/B: read, in-process client in ${host} (${where}), lent buffers`, async (script) => mbps(await probeOn(host, 'read', [`--path=${F}`, '--lent'], script)));
      }
    }

    // Peers: the block files themselves on h1's tmpfs, and iperf3 on both paths.
    if (want('local')) {
      const { files } = await probeOn('h1', 'blocks', [`--path=${F}`, '--tier=/var/alluxio/ramdisk']) as { files: string[] };
      for (const chunk of ['1m', '8m']) {
        add(`peer: Node reads the block files from tmpfs, ${chunk.replace('m', ' MiB')} chunks (h1)`, await repeat(async () => mbps(await probeOn('h1', 'node-read', [`--files=${files.join(',')}`, `--chunk=${chunk}`]))));
      }
      add('peer: cat blockfiles > /dev/null (h1)', await repeat(() => timed('h1', `cat ${files.join(' ')} > /dev/null`, 'cat')));
    }
    const iperf = async (client: string, target: string, extra: string[] = []): Promise<number> => {
      const server = hosts.run('h1', ['iperf3', '-s', '-1', '-p', '5201'], { timeoutMs: (iperfSeconds + 30) * 1000 });
      try {
        await waitFor('iperf3 -s in h1', async () => (await hosts.run('h1', ['ss', '-Hltn', 'sport = :5201'], { timeoutMs: 5000 })).stdout.includes('5201'), 10_000, 50);
        // -R: the server (h1, where the worker is) sends, as the worker does to a reading client.
        const j = JSON.parse(await run(client, ['iperf3', '-c', target, '-p', '5201', '-R', ...(extra.length ? extra : ['-t', String(iperfSeconds)]), '-J'], 'iperf3 -c'));
        return j.end.sum_received.bits_per_second / 8 / 1e6;
      } finally { await server; }
    };
    if (want('local')) add('peer: iperf3 loopback in h1 (1 TCP stream, -R)', await iperf('h1', '127.0.0.1'));
    if (want('remote')) add('peer: iperf3 h1 -> h2 (1 TCP stream, -R)', await iperf('h2', 'h1'));

    // Interleaved rounds (ours, peer, ours, peer, ...): each round's ratio, then their median and
    // spread, so that one noisy run (the machine's other load, the veth pair's own swings) cannot
    // decide a goal. Like for like: remote, iperf3 moves the same bytes (-n <size>) the same way
    // (h1 sends, -R; one TCP stream; the same h1 -> h2 veth path) in writes and reads of 1 MiB
    // (-l 1M, iperf3's largest; ours: 2 MiB frames written, socket reads of whatever the kernel
    // holds, up to 4 MiB); local, Node reads the block files of the same file (1 MiB chunks).
    const rounds = Math.max(0, Number(arg('rounds', '5')));
    type Round = { load: string; ours: number; stream: number; peer: number; ratio: number; note: string };
    const roundsOf: Record<string, Round[]> = {};
    const interleave = async (name: string, ours: () => Promise<{ mbps: number; stream: number; note: string }>, peer: () => Promise<number>) => {
      const rs: Round[] = (roundsOf[name] = []);
      for (let i = 0; i < rounds; i++) {
        const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
        const o = await ours();
        const p = await peer();
        rs.push({ load, ours: o.mbps, stream: o.stream, peer: p, ratio: o.mbps / p, note: o.note });
        console.error(`  ${name} round ${i + 1}: ours ${o.mbps.toFixed(0)} (streaming ${o.stream.toFixed(0)}) / peer ${p.toFixed(0)} MB/s = ${(o.mbps / p).toFixed(2)}x (load ${load})`);
      }
    };
    if (rounds && want('remote')) {
      const bytes = String(size);
      await interleave('remote', () => readProbe('h2', [`--path=${F}`, '--lent']), () => iperf('h2', 'h1', ['-n', bytes, '-l', String(MiB)]));
    }
    if (rounds && want('local')) {
      const { files } = await probeOn('h1', 'blocks', [`--path=${F}`, '--tier=/var/alluxio/ramdisk']) as { files: string[] };
      await interleave('local', () => readProbe('h1', [`--path=${F}`, '--lent']), async () => mbps(await probeOn('h1', 'node-read', [`--files=${files.join(',')}`, '--chunk=1m'])));
    }

    // ------------------------------------------------------------------- report
    const get = (prefix: string) => rows.find((r) => r.name.startsWith(prefix))?.mbps ?? NaN; // NaN: not run (--only)
    const nodeRead = get('peer: Node reads the block files from tmpfs, 1 MiB');
    const loop = get('peer: iperf3 loopback'), net = get('peer: iperf3 h1 -> h2');
    const localKept = get('read, in-process client in h1 (local)'), localCli = get('read, alluxio fs cat > /dev/null in h1');
    const remoteKept = get('read, in-process client in h2 (remote)'), remoteCli = get('read, alluxio fs cat > /dev/null in h2');
    const localRead = get('read, in-process client in h1 (local), lent'), remoteRead = get('read, in-process client in h2 (remote), lent');
    const mustCache = get('write MUST_CACHE, client in h1');
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(`bench:io — ${(size / MiB).toFixed(0)} MiB file, 64 MiB blocks, worker tier on tmpfs (huge=${huge}); ${runs} run(s) per read case (median); MB/s = 10^6 bytes/s`);
    for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.mbps.toFixed(0).padStart(6)} MB/s${r.note ? `  (${r.note})` : ''}`);
    const ratio = (a: number, b: number) => Number.isFinite(a / b) ? (a / b).toFixed(2) + 'x' : 'n/a';
    /** "median 0.71x (0.52-0.80x over 5 rounds)" of a case's per-round ratios. */
    const spread = (name: string, of: (r: Round) => number = (r) => r.ratio) => {
      const rs = roundsOf[name];
      if (!rs?.length) return undefined;
      const xs = rs.map(of).sort((a, b) => a - b);
      return `median ${median(xs).toFixed(2)}x (${xs[0]!.toFixed(2)}-${xs[xs.length - 1]!.toFixed(2)}x over ${xs.length} rounds)`;
    };
    const streaming = (r: Round) => r.stream / r.peer;
    for (const [name, rs] of Object.entries(roundsOf)) {
      const peer = name === 'remote' ? 'iperf3 h1 -> h2, -n size -l 1M' : 'Node tmpfs read, 1 MiB';
      console.log(`rounds, ${name}: in-process client, lent buffers (whole read / streaming after the first piece) against ${peer}`);
      rs.forEach((r, i) => console.log(`  round ${i + 1}  load ${r.load.padStart(5)}  ours ${r.ours.toFixed(0).padStart(5)} / ${r.stream.toFixed(0).padStart(5)} MB/s  peer ${r.peer.toFixed(0).padStart(5)} MB/s  ratio ${r.ratio.toFixed(2)}x (streaming ${(r.stream / r.peer).toFixed(2)}x)\n      ${r.note}`));
      console.log(`  ${spread(name)}; streaming ${spread(name, streaming)}; ours median ${median(rs.map((r) => r.ours)).toFixed(0)} MB/s, peer median ${median(rs.map((r) => r.peer)).toFixed(0)} MB/s`);
    }
    console.log('goals');
    console.log(`  local cached read (client, lent) / Node tmpfs read (1 MiB) ${ratio(localRead, nodeRead)}  (goal >= 0.5x)   CLI: ${ratio(localCli, nodeRead)}   kept buffers: ${ratio(localKept, nodeRead)}`);
    console.log(`  remote cached read (client, lent) / iperf3 h1 -> h2        ${ratio(remoteRead, net)}  (goal >= 0.5x)   CLI: ${ratio(remoteCli, net)}   kept buffers: ${ratio(remoteKept, net)}`);
    const rl = spread('local'), rr = spread('remote');
    // Streaming: after our first piece (master RPCs, connection, first frame), as iperf3 times only after its connections are set up.
    if (rl) console.log(`  local cached read, interleaved rounds: ${rl}  (goal >= 0.5x)   streaming: ${spread('local', streaming)}`);
    if (rr) console.log(`  remote cached read, interleaved rounds: ${rr}  (goal >= 0.5x)   streaming: ${spread('remote', streaming)}`);
    console.log(`  MUST_CACHE write (local) / local read goal (0.5x Node)    ${ratio(mustCache, 0.5 * nodeRead)}  (goal >= 0.5x)`);
    console.log(`  for reference: local read / iperf3 loopback               ${ratio(localRead, loop)}`);
    console.log('peers configured differently');
    console.log('  Node and cat read the block files of the same file on the same tmpfs, with no lock, no master call and no copy to another process;');
    console.log('  iperf3: one TCP stream, no framing or checksums, sending from h1 (-R) as the worker does; the single row: 128 KiB writes for --iperf-seconds;');
    console.log('  the rounds: -n <size> -l 1M (the same bytes, in 1 MiB writes, iperf3\'s largest: the worker writes 2 MiB frames; the worker also reads each frame from its tmpfs block file);');
    console.log('  iperf3 times from the moment its connections are set up; our read rows from the read() call (the master RPCs, the data connection and the first frame included): "streaming" leaves out everything before our first piece;');
    console.log('  our read opens the next block\'s connection while the current block streams (read-ahead): two TCP connections at a time for part of each block (the next one flow-controlled).');
    console.log('  the CLI rows ("whole process") include the `alluxio` process start-up; the probes time only the copy;');
    console.log('  "lent buffers": the probe gives each buffer back to the read\'s BufferPool once counted (fs cat / copyToLocal: once written).');
  } finally {
    clearTimeout(overall);
    killServers();
    for (const m of ['/var/alluxio/local', '/var/alluxio/ramdisk']) await hosts.run('h1', ['umount', '-l', m], { timeoutMs: 10_000 }).catch(() => undefined);
    await hosts.destroy();
  }
}

const probeKind = arg('probe', '');
if (probeKind) await probe(probeKind);
else await bench();

/**
 * bench/channel.ts — the worker's data channel alone, on loopback (no master, no test hosts): a
 * DataServer serving one block file (default 64 MiB, on /dev/shm) in one process, a DataChannel
 * client reading it in another, block after block with one block of read-ahead as
 * FileSystem.read does, buffers given back (lent) as `fs cat` does. Per round: MB/s and the CPU
 * of each side per GiB (user + system), with the load average. What bench:io's remote rows cost,
 * without the master RPCs and the veth pair (docs/benchmarks.md, bench:io ⁸).
 *
 *   node dist/bench/channel.js [--blocks=16] [--rounds=5] [--file=/dev/shm/alluxio-channel-bench]
 *
 * --file: the block file (created, 64 MiB, if missing or of another size; removed at the end if
 * created): put it on a tmpfs mounted as you want to compare (e.g. huge=within_size).
 */
import fs from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataServer } from '../src/server/worker/dataServer.js';
import { DataChannel } from '../src/client/dataChannel.js';
import { BufferPool } from '../src/bufferPool.js';
import { createLogger } from '../src/log.js';

const HERE = fileURLToPath(import.meta.url);
const BLOCK = 64 * 1024 * 1024;
const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const role = arg('role', 'main');
type Cpu = { user: number; system: number };
const ask = <T>(p: ChildProcess, msg: unknown): Promise<T> => new Promise((resolve) => { p.once('message', (m) => resolve(m as T)); p.send(msg as any); });

if (role === 'server') {
  const file = arg('file', '');
  const ds = new DataServer({
    serve(_what, _refuse, body) { void body(); },
    async openBlockRead() { return { file, start: 0, end: BLOCK, release() {} }; },
    async openBlockWrite() { throw new Error('bench/channel.ts serves reads only'); },
  }, { secret: undefined, timeoutMs: 30_000, name: 'bench worker', log: createLogger('bench'), http2: (s) => s.destroy() });
  const port = await ds.listen('127.0.0.1', 0);
  process.send!({ port });
  process.on('message', (m) => {
    if (m === 'cpu') process.send!(process.cpuUsage());
    else { void ds.close(); process.disconnect(); }
  });
} else if (role === 'client') {
  const ch = new DataChannel(`127.0.0.1:${arg('port', '')}`, undefined, 10_000);
  const blocks = Number(arg('blocks', '16'));
  process.on('message', async (m) => {
    if (m !== 'go') { ch.close(); process.disconnect(); return; }
    const t0 = performance.now(), c0 = process.cpuUsage();
    let bytes = 0;
    const start = (i: number) => { const it = ch.readBlock(i, 0, 0, false)[Symbol.asyncIterator](); const first = it.next(); first.catch(() => {}); return { it, first }; };
    let next = start(0);
    for (let i = 0; i < blocks; i++) {
      const cur = next;
      let r = await cur.first;
      if (i + 1 < blocks) next = start(i + 1); // read-ahead: the next block's request once this one's first piece is in
      while (!r.done) { bytes += r.value.length; BufferPool.give(r.value); r = await cur.it.next(); }
    }
    const c = process.cpuUsage(c0);
    process.send!({ bytes, ms: performance.now() - t0, user: c.user, system: c.system });
  });
} else {
  const file = arg('file', '/dev/shm/alluxio-channel-bench');
  const rounds = Number(arg('rounds', '5'));
  const created = !fs.existsSync(file) || fs.statSync(file).size !== BLOCK;
  if (created) fs.writeFileSync(file, Buffer.alloc(BLOCK, 7));
  const server = fork(HERE, ['--role=server', `--file=${file}`]);
  const kids: ChildProcess[] = [server];
  const stop = setTimeout(() => { console.error('bench/channel: stopped after 10 min'); for (const k of kids) k.kill('SIGKILL'); process.exit(1); }, 600_000);
  try {
    const { port } = await new Promise<{ port: number }>((r) => server.once('message', (m) => r(m as { port: number })));
    const client = fork(HERE, ['--role=client', `--port=${port}`, `--blocks=${arg('blocks', '16')}`]);
    kids.push(client);
    console.log(`bench/channel: ${file}, ${arg('blocks', '16')} x 64 MiB per round, loopback; MB/s = 10^6 bytes/s, CPU ms per GiB`);
    for (let i = 0; i < rounds; i++) {
      const s0 = await ask<Cpu>(server, 'cpu');
      const r = await ask<{ bytes: number; ms: number } & Cpu>(client, 'go');
      const s1 = await ask<Cpu>(server, 'cpu');
      const gib = r.bytes / 2 ** 30, per = (us: number) => (us / 1000 / gib).toFixed(0);
      console.log(`round ${i + 1}: ${(r.bytes / 1e6 / (r.ms / 1000)).toFixed(0)} MB/s  client ${per(r.user)} + ${per(r.system)}  worker ${per(s1.user - s0.user)} + ${per(s1.system - s0.system)}  load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    }
    client.send('exit');
    server.send('exit');
  } finally {
    clearTimeout(stop);
    if (created) fs.rmSync(file, { force: true });
  }
}

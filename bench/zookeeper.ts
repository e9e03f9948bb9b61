/**
 * A 3-member ZooKeeper ensemble on loopback (Debian package zookeeper 3.8, default tick and
 * sync settings) for benchmarks that print ZooKeeper's figure next to ours in the same run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort } from '../test/harness/cluster.js';

const JAR = '/usr/share/java/zookeeper.jar';

export function ensureZooKeeper(): boolean {
  const ok = () => fs.existsSync(JAR) && spawnSync('java', ['-version']).status === 0;
  if (ok()) return true;
  if (process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'zookeeper'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return ok();
}

export class ZooKeeperEnsemble {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-zk-'));
  readonly nodes: { client: number; peer: number; election: number; proc?: ChildProcess }[] = [];

  static async start(n = 3): Promise<ZooKeeperEnsemble> {
    const z = new ZooKeeperEnsemble();
    for (let i = 0; i < n; i++) z.nodes.push({ client: await freePort(), peer: await freePort(), election: await freePort() });
    const servers = z.nodes.map((x, i) => `server.${i + 1}=127.0.0.1:${x.peer}:${x.election}`).join('\n');
    z.nodes.forEach((x, i) => {
      const d = path.join(z.dir, `zk${i + 1}`);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'myid'), `${i + 1}\n`);
      fs.writeFileSync(path.join(d, 'zoo.cfg'), [
        'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${d}`, `clientPort=${x.client}`, 'clientPortAddress=127.0.0.1',
        'admin.enableServer=false', '4lw.commands.whitelist=srvr', servers, '',
      ].join('\n'));
      x.proc = spawn('java', ['-Xmx512m', '-Dzookeeper.log.dir=' + d, '-Dlog4j.configuration=file:/dev/null', '-cp', `/etc/zookeeper/conf:${JAR}`,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain', path.join(d, 'zoo.cfg')], { stdio: 'ignore' });
    });
    const c = await z.client(30_000);
    c.close();
    return z;
  }

  connectString(only?: number): string {
    return this.nodes.filter((_, i) => only === undefined || i === only).map((x) => `127.0.0.1:${x.client}`).join(',');
  }

  /** Index of the server in `Mode: leader` (asked with the `srvr` four-letter word), or -1. */
  async leaderIndex(): Promise<number> {
    for (let i = 0; i < this.nodes.length; i++) {
      const out = await new Promise<string>((resolve) => {
        let buf = '';
        const s = net.connect(this.nodes[i]!.client, '127.0.0.1', () => s.end('srvr'));
        s.setTimeout(2000, () => s.destroy());
        s.on('data', (d) => { buf += d.toString(); });
        s.on('close', () => resolve(buf));
        s.on('error', () => resolve(''));
      });
      if (/Mode: (leader|standalone)/.test(out)) return i;
    }
    return -1;
  }

  /** A connected client (bounded wait), to server `only` if given, else to any. */
  client(timeoutMs = 15_000, only?: number): Promise<zookeeper.Client> {
    return new Promise((resolve, reject) => {
      const c = zookeeper.createClient(this.connectString(only), { sessionTimeout: 10_000, spinDelay: 100, retries: 50 });
      const t = setTimeout(() => { c.close(); reject(new Error('ZooKeeper ensemble did not accept a session in time')); }, timeoutMs);
      c.once('connected', () => { clearTimeout(t); resolve(c); });
      c.connect();
    });
  }

  async stop(): Promise<void> {
    for (const x of this.nodes) {
      if (x.proc && x.proc.exitCode === null) {
        const exited = new Promise((r) => x.proc!.once('exit', r));
        x.proc.kill('SIGKILL');
        await exited;
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Create a znode with `data`; resolves when the ensemble acknowledged it. */
export function zkCreate(c: zookeeper.Client, p: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => c.create(p, data, (err) => (err ? reject(err) : resolve())));
}

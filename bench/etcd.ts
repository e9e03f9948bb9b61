/**
 * A 3-member etcd cluster on loopback (Debian package etcd-server, default settings), for
 * benchmarks that print etcd's figure next to ours in the same run. Talks to etcd through its
 * v3 JSON gateway with fetch.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/harness/cluster.js';

export function ensureEtcd(): boolean {
  if (spawnSync('etcd', ['--version']).status === 0) return true;
  if (process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'etcd-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return spawnSync('etcd', ['--version']).status === 0;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export class EtcdCluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
  members: { name: string; client: number; peer: number; proc?: ChildProcess }[] = [];

  static async start(n = 3): Promise<EtcdCluster> {
    const c = new EtcdCluster();
    for (let i = 0; i < n; i++) c.members.push({ name: `e${i}`, client: await freePort(), peer: await freePort() });
    for (let i = 0; i < n; i++) c.launch(i);
    await c.waitLeader();
    return c;
  }

  /** Start member `i`: a new cluster member, or (restart) one rejoining with its data dir. */
  launch(i: number, state: 'new' | 'existing' = 'new'): void {
    const m = this.members[i]!;
    const initial = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peer}`).join(',');
    m.proc = spawn('etcd', [
      '--name', m.name, '--data-dir', path.join(this.dir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial, '--initial-cluster-state', state, '--log-level', 'error',
    ], { stdio: 'ignore' });
  }

  private async post(i: number, api: string, body: unknown, timeoutMs = 1000): Promise<any> {
    const res = await fetch(`http://127.0.0.1:${this.members[i]!.client}${api}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const j = await res.json() as any;
    if (!res.ok || j.error) throw new Error(j.error ?? `HTTP ${res.status}`);
    return j;
  }

  /** Index of the member that leads, waiting (bounded) for one. */
  async waitLeader(): Promise<number> {
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < this.members.length; i++) {
        if (!this.members[i]!.proc || this.members[i]!.proc!.exitCode !== null) continue;
        try {
          const s = await this.post(i, '/v3/maintenance/status', {}, 300);
          if (s.leader && s.leader === s.header.member_id) return i;
        } catch { /* not up yet */ }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('etcd: no leader within 15 s');
  }

  /**
   * Put through a live member, trying `first` (e.g. the leader, saving etcd a forward) before
   * the others; retries (bounded) until one acknowledges.
   */
  async put(key: string, value: string, exclude = -1, first = 0): Promise<void> {
    const n = this.members.length;
    for (let t = 0; t < 2000; t++) {
      for (let j = 0; j < n; j++) {
        const i = (first + j) % n;
        if (i === exclude) continue;
        try { await this.post(i, '/v3/kv/put', { key: b64(key), value: b64(value) }, 500); return; } catch { /* retry */ }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('etcd: put never acknowledged');
  }

  async kill(i: number): Promise<void> {
    const p = this.members[i]!.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async restart(i: number): Promise<void> {
    this.launch(i, 'existing');
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

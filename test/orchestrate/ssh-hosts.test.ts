/**
 * SshPool against real sshd test hosts: fast commands' exit codes and output are never lost
 * (they can arrive in the same packet as the channel confirmation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestHosts } from '../harness/hosts.js';
import { CLI } from '../harness/cluster.js';
import path from 'node:path';
import { isRoot, needsRoot } from '../harness/root.js';

const skip = needsRoot('network namespaces, sshd');

test('200 fast commands over pooled connections: every exit code and output arrives', { skip, timeout: 120_000 }, async () => {
  if (!isRoot) throw new Error('CI is set but the tests do not run as root: the test hosts need root');
  const hosts = await TestHosts.create(4);
  try {
    const script = `
      const { SshPool } = await import(${JSON.stringify(path.join(path.dirname(CLI), 'orchestrate', 'ssh.js'))});
      const pool = new SshPool({});
      const hosts = ['h1', 'h2', 'h3', 'h4'];
      const bad = [];
      for (let round = 0; round < 10; round++) {
        const rs = await Promise.all(hosts.flatMap((h) => [0, 1, 2, 3, 4].map((i) => pool.exec(h, 'printf %s-%s "$(hostname)" ' + i + '; exit ' + i))));
        rs.forEach((r, k) => { const i = k % 5; if (r.code !== i || r.stdout !== r.host + '-' + i) bad.push(JSON.stringify(r)); });
      }
      await pool.close();
      console.log(JSON.stringify(bad));`;
    const r = await hosts.runControl([process.execPath, '--input-type=module', '-e', script], { timeoutMs: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  } finally {
    await hosts.destroy();
  }
});

/**
 * SshPool and the executor against real sshd test hosts: fast commands' exit codes and output
 * are never lost (they can arrive in the same packet as the channel confirmation), and a timed-out
 * command is killed on the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestHosts } from '../harness/hosts.js';
import { CLI } from '../harness/cluster.js';
import path from 'node:path';
import { assertRoot, needsRoot } from '../harness/root.js';

const skip = needsRoot('network namespaces, sshd');
const DIST_SRC = path.dirname(CLI);

/** Run an ES module script in the control namespace of `n` fresh test hosts; its stdout as JSON. */
async function onHosts(n: number, script: string): Promise<unknown> {
  assertRoot('the test hosts (network namespaces, sshd)');
  const hosts = await TestHosts.create(n);
  try {
    const r = await hosts.runControl([process.execPath, '--input-type=module', '-e', script], { timeoutMs: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  } finally {
    await hosts.destroy();
  }
}

test('200 fast commands over pooled connections: every exit code and output arrives', { skip, timeout: 120_000 }, async () => {
  const bad = await onHosts(4, `
    const { SshPool } = await import(${JSON.stringify(path.join(DIST_SRC, 'orchestrate', 'ssh.js'))});
    const pool = new SshPool({});
    const hosts = ['h1', 'h2', 'h3', 'h4'];
    const bad = [];
    for (let round = 0; round < 10; round++) {
      const rs = await Promise.all(hosts.flatMap((h) => [0, 1, 2, 3, 4].map((i) => pool.exec(h, 'printf %s-%s "$(hostname)" ' + i + '; exit ' + i))));
      rs.forEach((r, k) => { const i = k % 5; if (r.code !== i || r.stdout !== r.host + '-' + i) bad.push(JSON.stringify(r)); });
    }
    await pool.close();
    console.log(JSON.stringify(bad));`);
  assert.deepEqual(bad, []);
});

test('a timed-out command over real sshd: TimeoutError naming host, command and timeout, and the command is killed', { skip, timeout: 120_000 }, async () => {
  const out = await onHosts(1, `
    const { ClusterExecutor } = await import(${JSON.stringify(path.join(DIST_SRC, 'orchestrate', 'executor.js'))});
    const { TimeoutError } = await import(${JSON.stringify(path.join(DIST_SRC, 'errors.js'))});
    const ex = new ClusterExecutor(new Set());
    const out = {};
    try {
      await ex.run('h1', ['sh', '-c', 'echo $$ > /tmp/timeout.pid; exec sleep 60'], { timeoutMs: 500 });
      out.error = 'resolved';
    } catch (e) { out.error = [e instanceof TimeoutError, e.message]; }
    // Bounded: the sleep would last 60 s; a killed one is gone within moments.
    for (let i = 0; i < 50; i++) {
      const r = await ex.run('h1', ['sh', '-c', 'p=$(cat /tmp/timeout.pid); if kill -0 "$p" 2>/dev/null && ! grep -q "^State:.*Z" /proc/$p/status; then echo alive; else echo gone; fi']);
      out.state = r.stdout.trim();
      if (out.state === 'gone') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await ex.close();
    console.log(JSON.stringify(out));`);
  assert.deepEqual(out, {
    error: [true, "[h1] timed out after 500 ms running: sh -c 'echo $$ > /tmp/timeout.pid; exec sleep 60'"],
    state: 'gone',
  });
});

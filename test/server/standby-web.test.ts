/**
 * alluxio.standby.master.web.enabled on real masters of an embedded journal. false: a standby
 * serves no UI page (503 naming the leader's UI), the leader does; a master that becomes leader
 * starts serving it and stops when deposed. Its /api/v1 endpoints answer whatever its role
 * (readiness and the orchestrator ask every master). true (the default): every master serves it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, waitFor, getJson } from '../harness/cluster.js';

async function status(c: TestCluster, i: number, p: string): Promise<{ code: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${c.masterPorts[i]!.web}${p}`, { signal: AbortSignal.timeout(5000) });
  return { code: res.status, body: await res.text() };
}

async function isLeader(c: TestCluster, i: number): Promise<boolean> {
  return (await getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`)).isLeader === true;
}

test('alluxio.standby.master.web.enabled=false: only the leader serves the UI; it follows leadership', async (t) => {
  const c = new TestCluster({ masters: 3, workers: 0, props: { 'alluxio.standby.master.web.enabled': 'false' } });
  t.after(async () => {
    for (let i = 0; i < 3; i++) await c.kill('master', i, 'SIGCONT');
    await c.stop();
  });
  await c.setup();
  await c.start();
  const old = await c.waitLeader();
  const leaderWeb = `localhost:${c.masterPorts[old]!.web}`;
  for (let i = 0; i < 3; i++) {
    const ui = await status(c, i, '/');
    const info = await status(c, i, '/api/v1/master/info');
    assert.equal(info.code, 200, `master ${i} answers its info whatever its role`);
    assert.equal((await status(c, i, '/api/v1/master/config')).code, 200);
    if (i === old) {
      assert.equal(ui.code, 200, c.logs());
      assert.match(ui.body, /<h1>[^<]*: Overview<\/h1>/);
    } else {
      // A standby may not know the leader yet: wait until it names it, then look at its page.
      await waitFor(`master ${i} to know the leader`, async () => (await getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`)).leaderWebAddress === leaderWeb);
      const page = await status(c, i, '/');
      assert.equal(page.code, 503);
      assert.match(page.body, /This master is a standby and alluxio\.standby\.master\.web\.enabled=false: it serves no web UI\./);
      assert.ok(page.body.includes(`<a href="http://${leaderWeb}/">`), page.body);
      assert.doesNotMatch(page.body, /<h1>[^<]*: Overview<\/h1>/);
    }
  }

  // The leader freezes: a standby becomes leader and serves the UI; the old one, resumed and
  // deposed, stops serving it.
  await c.kill('master', old, 'SIGSTOP');
  const next = await waitFor('a new leader', async () => {
    for (let i = 0; i < 3; i++) if (i !== old && await isLeader(c, i).catch(() => false)) return i + 1;
    return false;
  }, 30_000) - 1;
  assert.equal((await status(c, next, '/')).code, 200);
  await c.kill('master', old, 'SIGCONT');
  await waitFor(`master ${old} to be deposed`, async () => !(await isLeader(c, old)), 30_000);
  assert.equal((await status(c, old, '/')).code, 503);
});

test('alluxio.standby.master.web.enabled=true (the default): standbys serve the UI too', async (t) => {
  const c = new TestCluster({ masters: 2, workers: 0 });
  t.after(() => c.stop());
  await c.setup();
  await c.start();
  const leader = await c.waitLeader();
  const standby = 1 - leader;
  const ui = await status(c, standby, '/');
  assert.equal(ui.code, 200);
  assert.match(ui.body, /<h1>[^<]*: Overview<\/h1>/);
  assert.match(ui.body, /<b>This master is a standby<\/b>; the leader is <a href="http:\/\/localhost:\d+\/">/);
});

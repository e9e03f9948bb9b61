/**
 * A master stops cleanly on SIGTERM while clients are connected, instead of hanging until
 * main.ts's 10 s safety exit (no "Stopped" in its log). Found by the rolling restart e2e test
 * (every master of a rolling restart took 10 s to stop): clients' multiplexed call streams
 * (src/mux.ts) stay open for the life of the client, so a gRPC shutdown that waits for every
 * call to end never finished; and the leader's embedded-journal stream to a standby
 * (src/journal/raft/transport.ts) held the standby's journal server the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';

test('SIGTERM with a client connected: the master stops cleanly ("Stopped", not the safety exit)', { timeout: 120_000 }, async (t) => {
  const c = await (await new TestCluster({ masters: 1, workers: 0 }).setup()).start();
  t.after(() => c.stop());
  const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
  t.after(() => fs.close());
  await fs.createDirectory('/connected', { writeType: 'MUST_CACHE' });
  await c.kill('master', 0, 'SIGTERM');
  assert.match(c.logOf('master', 0), /Received SIGTERM, stopping\n.*Stopped/, c.logOf('master', 0));
});


test('SIGTERM of a standby of 3 embedded-journal masters: it stops cleanly while the leader still streams to it', { timeout: 120_000 }, async (t) => {
  const c = await (await new TestCluster({ masters: 3, workers: 0 }).setup()).start();
  t.after(() => c.stop());
  const leader = await c.waitLeader();
  const standby = (leader + 1) % 3;
  await c.kill('master', standby, 'SIGTERM');
  assert.match(c.logOf('master', standby), /Received SIGTERM, stopping\n.*Stopped/, c.logOf('master', standby));
});

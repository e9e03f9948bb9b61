/**
 * A master stops cleanly on SIGTERM while clients are connected: their multiplexed call streams
 * (src/mux.ts) stay open for the life of the client, so a shutdown that waits for every stream to
 * end never finished, and the process was only ended by main.ts's 10 s safety exit (exit code 1,
 * no "Stopped"). A rolling restart stops every master: each stop took those 10 s.
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

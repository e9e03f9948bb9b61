import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { isLocalHost, localAddresses } from '../../src/orchestrate/local/hosts.js';

const noDns = async () => [] as string[];

test('isLocalHost: loopback names and addresses, this host name, local interface addresses', async () => {
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.0.1.1', '::1', '[::1]', os.hostname()]) {
    assert.equal(await isLocalHost(h, noDns), true, h);
  }
  for (const a of localAddresses()) assert.equal(await isLocalHost(a, noDns), true, a);
});

test('isLocalHost: other addresses and names are not local; a name resolving locally is', async () => {
  assert.equal(await isLocalHost('192.0.2.10', noDns), false);
  assert.equal(await isLocalHost('2001:db8::1', noDns), false);
  assert.equal(await isLocalHost('m1.example.com', noDns), false);
  assert.equal(await isLocalHost('m1.example.com', async () => ['192.0.2.10']), false);
  assert.equal(await isLocalHost('me.example.com', async () => ['127.0.1.1']), true);
});


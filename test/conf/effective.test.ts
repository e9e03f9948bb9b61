import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configHash, effectiveProperties, loadConfig } from '../../src/conf/index.js';
import { load, makeHome } from './helpers.js';

test('effective properties: every key, resolved (substitutions applied), unset keys empty', () => {
  const { conf } = load('alluxio.master.hostname=m1\nalluxio.master.rpc.addresses=${alluxio.master.hostname}:19998\n');
  const p = effectiveProperties(conf);
  assert.deepEqual(Object.keys(p), conf.keys());
  assert.equal(p['alluxio.master.rpc.addresses'], 'm1:19998');
  assert.equal(p['alluxio.master.web.port'], '19999');
  assert.equal(p['alluxio.zookeeper.address'], '');
});

test('config hash: depends on values only, not on their source; any change of value changes it', () => {
  const { home } = makeHome('alluxio.master.hostname=m1\n');
  const site = loadConfig({ env: {}, home });
  const flag = loadConfig({ env: {}, home, flags: { 'alluxio.master.hostname': 'm1' } });
  const other = loadConfig({ env: {}, home, flags: { 'alluxio.master.hostname': 'm2' } });
  assert.notEqual(flag.source('alluxio.master.hostname'), site.source('alluxio.master.hostname'));
  const cases: [string, string, boolean][] = [
    ['same value from the site file and from a -D flag', configHash(flag), true],
    ['another value', configHash(other), false],
    ['the properties record of the same config', configHash(effectiveProperties(site)), true],
  ];
  for (const [what, h, same] of cases) assert.equal(h === configHash(site), same, what);
  assert.match(configHash(site), /^[0-9a-f]{64}$/);
});

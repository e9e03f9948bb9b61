import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestKey, editDistance, KEYS } from '../../src/conf/index.js';

const DIST: Array<[string, string, number]> = [
  ['', '', 0], ['abc', 'abc', 0], ['abc', 'abd', 1], ['abc', 'ab', 1], ['ab', 'abc', 1],
  ['abc', 'acb', 1], ['kitten', 'sitting', 3], ['port', 'prot', 1], ['', 'abc', 3],
];
for (const [a, b, d] of DIST) {
  test(`editDistance(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${d}`, () => assert.equal(editDistance(a, b), d));
}

const SUGGEST: Array<[typo: string, want: string | undefined]> = [
  ['alluxio.master.rpc.prot', 'alluxio.master.rpc.port'],
  ['alluxio.master.hostnme', 'alluxio.master.hostname'],
  ['alluxio.master.host.name', 'alluxio.master.hostname'],
  ['Alluxio.Master.Hostname', 'alluxio.master.hostname'],
  ['alluxio.master.embedded.journal.adresses', 'alluxio.master.embedded.journal.addresses'],
  ['alluxio.zookeeper.addresses', 'alluxio.zookeeper.address'],
  ['alluxio.zookeeper.enable', 'alluxio.zookeeper.enabled'],
  ['alluxio.user.file.writetype', 'alluxio.user.file.writetype.default'],
  ['alluxio.worker.tieredstore.level0.dirs.paths', 'alluxio.worker.tieredstore.level0.dirs.path'],
  ['alluxio.worker.tieredstore.level3.alias', 'alluxio.worker.tieredstore.level0.alias'],
  ['alluxio.master.journal.folders', 'alluxio.master.journal.folder'],
  ['alluxio.master.jurnal.typ', 'alluxio.master.journal.type'],
  ['alluxio.master.journal', 'alluxio.master.journal.type'],
  ['alluxio.master.embedded.journal.election.timeout', 'alluxio.master.embedded.journal.election.timeout.max'],
  ['alluxio.master.hostname.extra', 'alluxio.master.hostname'],
  ['alluxio.worker.ramdisk.capacity', undefined],
  ['alluxio.worker.ramdisk.sise', 'alluxio.worker.ramdisk.size'],
  ['fs.s3a.access.key', undefined],
  ['alluxio.security.kerberos.server.principal', undefined],
  ['alluxio.security.authentication.typ', 'alluxio.security.authentication.type'],
  ['alluxio.job.master.rpc.port', undefined],
];
for (const [typo, want] of SUGGEST) {
  test(`closestKey(${typo}) = ${want}`, () => assert.equal(closestKey(typo, KEYS), want));
}

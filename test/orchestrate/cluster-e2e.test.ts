/**
 * The seed workflow across real hosts: network namespaces with their own sshd (test/harness/hosts),
 * the real CLI run from a control namespace over SSH. 1 master + 3 workers.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../harness/hosts.js';
import { CLI } from '../harness/cluster.js';
import { waitFor, giveUp } from '../harness/wait.js';
import { assertRoot, needsRoot } from '../harness/root.js';

const NEEDS = 'network namespaces, mounts, sshd';
const skip = needsRoot(NEEDS);

describe('seed workflow over SSH: 1 master, 3 workers', { skip, timeout: 600_000 }, () => {
  let hosts: TestHosts;
  let confDir: string;
  const run = (args: string[], timeoutMs = 240_000) =>
    hosts.runControl([process.execPath, CLI, ...args], { env: { ALLUXIO_CONF_DIR: confDir, NO_COLOR: '1' }, timeoutMs });
  const ok = (r: { code: number; stdout: string; stderr: string }, code = 0) =>
    assert.equal(r.code, code, `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- hosts\n${hosts.logs()}`);
  const liveWorkers = async () => {
    const r = await run(['fsadmin', 'report', '--json']);
    ok(r);
    return JSON.parse(r.stdout).master.liveWorkers as number;
  };
  const waitLive = (n: number) => waitFor(`${n} live workers`, async (observe) => {
    const live = await liveWorkers().catch((e: Error) => giveUp(e.message)); // a failing report fails the test
    observe({ liveWorkers: live });
    return live === n;
  }, { timeoutMs: 180_000, everyMs: 200, maxTries: 100 });

  before(async () => {
    assertRoot(NEEDS);
    hosts = await TestHosts.create(4);
    confDir = path.join(hosts.dir, 'conf');
    fs.mkdirSync(confDir);
    fs.mkdirSync(path.join(hosts.dir, 'ufs'));
    fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), [
      'alluxio.home=/opt/alluxio',
      'alluxio.master.hostname=h1',
      `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
      'alluxio.worker.tieredstore.level0.dirs.path=/mnt/alluxio-test-ramdisk',
      'alluxio.worker.ramdisk.size=32MB',
      'alluxio.user.block.size.bytes.default=1MB',
      'alluxio.user.rpc.retry.max.duration=10s',
      'alluxio.worker.block.heartbeat.interval=200ms',
      'alluxio.master.worker.timeout=2s',
      'alluxio.master.lost.worker.detection.interval=200ms',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(confDir, 'masters'), 'h1\n');
    fs.writeFileSync(path.join(confDir, 'workers'), '# workers\nh2\nh3\nh4\n');
  });

  after(async () => {
    if (hosts) {
      await run(['stop', 'all'], 120_000).catch(() => undefined);
      for (const h of ['h2', 'h3', 'h4']) await hosts.run(h, ['umount', '/mnt/alluxio-test-ramdisk']).catch(() => undefined);
      await hosts.destroy();
    }
  });

  test('validateEnv passes on fresh hosts and prints a table', async () => {
    const r = await run(['validateEnv', 'all', '--mount', 'SudoMount']);
    ok(r);
    assert.match(r.stdout, /^h1\s+master\.rpc\.port\.available\s+ok\s+port \d+ is free$/m);
    assert.match(r.stdout, /^h3\s+sudo\s+ok\s+sudo -n true works$/m);
    assert.match(r.stdout, /^h4\s+hosts\.resolve\s+ok\s+resolves all 4 hosts$/m);
  });

  test('format pushes the install, formats journals and worker storage, and reports every host', async () => {
    const r = await run(['format']);
    ok(r);
    assert.match(r.stdout, /^Pushing$/m);
    assert.match(r.stdout, /^h1\s+format journal\s+changed\s+formatted/m);
    for (const h of ['h2', 'h3', 'h4']) assert.match(r.stdout, new RegExp(`^${h}\\s+format worker\\s+changed`, 'm'));
    const again = await run(['format', '-s']);
    ok(again);
    assert.doesNotMatch(again.stdout, /^Pushing$/m, 'the install is current: nothing is pushed twice');
    assert.match(again.stdout, /^h1\s+format journal\s+ok\s+already formatted \(-s\)/m);
    // Every host touched has an audit line.
    const audit = await hosts.run('h3', ['cat', '/opt/alluxio/logs/audit.log']);
    assert.match(audit.stdout, /"alluxio format" OK\n.*"alluxio format -s" OK\n$/);
  });

  test('--dry-run prints the plan and changes nothing', async () => {
    const r = await run(['start', 'all', 'SudoMount', '--dry-run']);
    ok(r);
    assert.match(r.stdout, /^\[h1\] start master$/m);
    assert.match(r.stdout, /^\[h2\] start worker$/m);
    for (const h of ['h1', 'h2']) {
      const facts = JSON.parse((await hosts.run(h, ['/opt/alluxio/bin/alluxio', 'facts'])).stdout).result;
      assert.equal(facts.master.running || facts.worker.running, false);
    }
    const mounted = await hosts.run('h2', ['sh', '-c', 'grep -c alluxio-test-ramdisk /proc/self/mounts || true']);
    assert.equal(mounted.stdout.trim(), '0');
  });

  test('start all SudoMount, fs leader, runTests, stop workers, start workers, stop all', async () => {
    const r = await run(['start', 'all', 'SudoMount']);
    ok(r);
    assert.match(r.stdout, /^Starting masters$/m);
    assert.match(r.stdout, /^\[h1\] +--- \[ OK \] The master service @ h1 is in a healthy state\.$/m);
    assert.match(r.stdout, /^h4\s+start worker\s+changed\s+worker started$/m);
    const again = await run(['start', 'all', 'SudoMount']);
    ok(again);
    assert.match(again.stdout, /^h1\s+start master\s+ok\s+master already running \(pid \d+\)$/m);
    const mount = await hosts.run('h3', ['sh', '-c', 'grep alluxio-test-ramdisk /proc/self/mounts']);
    assert.match(mount.stdout, /^tmpfs \/mnt\/alluxio-test-ramdisk tmpfs .*size=32768k/m);

    const leader = await run(['fs', 'leader']);
    ok(leader);
    assert.equal(leader.stdout, 'h1\n');
    await waitLive(3);
    const tests = await run(['runTests']);
    ok(tests);
    assert.equal((tests.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);

    ok(await run(['stop', 'workers']));
    await waitLive(0);
    const report = await run(['fsadmin', 'report']);
    ok(report);
    assert.match(report.stdout, /^ {4}Live Workers: 0$/m);
    assert.match(report.stdout, /^ {4}Lost Workers: 3$/m);

    ok(await run(['start', 'workers', 'SudoMount']));
    await waitLive(3);
    const stop = await run(['stop', 'all']);
    ok(stop);
    assert.match(stop.stdout, /^h1\s+stop master\s+changed\s+master stopped$/m);
    assert.match(stop.stdout, /^h2\s+stop worker\s+changed\s+worker stopped$/m);
  });

  test('a host that is down fails alone; the others start; exit code 1', async () => {
    await hosts.stopSshd('h4');
    try {
      const r = await run(['start', 'all', 'SudoMount']);
      ok(r, 1);
      assert.match(r.stdout, /^h4\s+check\s+failed\s+.*(refused|unreachable)/mi);
      assert.match(r.stdout, /^h2\s+start worker\s+changed\s+worker started$/m);
      assert.match(r.stderr, /1 host\(s\) failed: h4/);
      await waitLive(2);
      ok(await run(['stop', 'all']), 1);
    } finally {
      await hosts.startSshd('h4');
    }
  });

  test('a changed host key is refused with the ssh-keygen -R hint', async () => {
    await hosts.rotateHostKey('h3');
    const r = await run(['stop', 'workers']);
    ok(r, 1);
    assert.match(r.stderr, /h3.*host key/i);
    assert.match(r.stderr, /ssh-keygen -R h3/);
    assert.match(r.stdout, /^h2\s+stop worker\s+ok/m);
    // The operator removes the old key as the hint says; --accept-new-host-keys records the new one.
    const kh = path.join(hosts.home, '.ssh', 'known_hosts');
    for (const name of ['h3', hosts.host('h3').ip]) await hosts.runControl(['ssh-keygen', '-q', '-f', kh, '-R', name]);
    const strict = await run(['stop', 'workers']);
    ok(strict, 1);
    assert.match(strict.stderr, /h3.*(unknown|not known)/i);
    ok(await run(['stop', 'workers', '--accept-new-host-keys']));
    assert.ok(fs.readFileSync(kh, 'utf8').includes(hosts.host('h3').hostKey.split(' ')[1]!), 'new key recorded');
    ok(await run(['stop', 'workers']));
  });

  test('copyDir copies a directory to the same path on every other host', async () => {
    const dir = path.join(hosts.dir, 'extra');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
    // The harness dir is shared with the hosts; copy to a private path instead.
    const src = '/opt/alluxio-copydir-test';
    const mk = await hosts.runControl(['sh', '-c', `mkdir -p ${src} && cp ${dir}/a.txt ${src}/`]);
    assert.equal(mk.code, 0, mk.stderr);
    try {
      const r = await run(['copyDir', src, '--json']);
      ok(r);
      const j = JSON.parse(r.stdout);
      assert.equal(j.ok, true);
      assert.deepEqual(j.phases.find((p: { phase: string }) => p.phase === 'copyDir').results.map((x: { host: string; status: string }) => [x.host, x.status]),
        [['h1', 'changed'], ['h2', 'changed'], ['h3', 'changed'], ['h4', 'changed']]);
      for (const h of ['h1', 'h4']) assert.equal((await hosts.run(h, ['cat', `${src}/a.txt`])).stdout, 'hello\n');
    } finally {
      await hosts.runControl(['rm', '-rf', src]);
    }
  });

  test('validateEnv fails on a busy port and names host, check and port', async () => {
    const busy = await hosts.run('h2', ['sh', '-c', 'nohup node -e "require(\'net\').createServer().listen(29999,()=>{})" >/dev/null 2>&1 & echo $!']);
    try {
      const r = await run(['validateEnv', 'workers']);
      ok(r, 1);
      assert.match(r.stdout, /^h2\s+worker\.rpc\.port\.available\s+failed\s+port 29999 is in use \(EADDRINUSE\)$/m);
      assert.match(r.stdout, /^h3\s+worker\.rpc\.port\.available\s+ok/m);
      assert.match(r.stderr, /1 host\(s\) failed: h2/);
    } finally {
      await hosts.run('h2', ['kill', busy.stdout.trim()]);
    }
  });

  test('two masters with the single-master journal is a clear configuration error', async () => {
    fs.writeFileSync(path.join(confDir, 'masters'), 'h1\nh2\n');
    try {
      const r = await run(['start', 'masters']);
      ok(r, 1);
      assert.match(r.stderr, /masters lists 2 masters \(h1, h2\), but alluxio\.master\.journal\.type=EMBEDDED is served by the single-master local journal/);
      assert.equal(r.stdout, '');
    } finally {
      fs.writeFileSync(path.join(confDir, 'masters'), 'h1\n');
    }
  });

  test('add a worker (conf/workers, start workers starts only it, it takes blocks); remove it (stop: LOST after the timeout, persisted data read from the UFS, MUST_CACHE data fails naming it)', async () => {
    const workersFile = path.join(confDir, 'workers');
    ok(await run(['stop', 'all']), 0);
    fs.writeFileSync(workersFile, 'h2\nh3\n');
    try {
      ok(await run(['start', 'all', 'SudoMount']));
      await waitLive(2);

      // Adding: list it, then start workers from here: only the new one starts.
      fs.writeFileSync(workersFile, 'h2\nh3\nh4\n');
      const add = await run(['start', 'workers', 'SudoMount']);
      ok(add);
      assert.match(add.stdout, /^h2\s+start worker\s+ok\s+worker already running \(pid \d+\)$/m);
      assert.match(add.stdout, /^h3\s+start worker\s+ok\s+worker already running \(pid \d+\)$/m);
      assert.match(add.stdout, /^h4\s+start worker\s+changed\s+worker started$/m);
      await waitLive(3);

      // It takes blocks: a client on h4 writes to its local worker first.
      const alluxioOn4 = (args: string[]) => hosts.run('h4', ['/opt/alluxio/bin/alluxio', ...args], { timeoutMs: 120_000 });
      const data = 'data on the added worker\n';
      ok(await hosts.run('h4', ['sh', '-c', `printf '%s' '${data}' > /tmp/added.txt`]));
      for (const [file, type] of [['/added-must', 'MUST_CACHE'], ['/added-through', 'CACHE_THROUGH']]) {
        ok(await alluxioOn4(['fs', 'copyFromLocal', '--writeType', type!, '/tmp/added.txt', file!]));
        const st = await run(['fs', 'stat', file!]);
        ok(st);
        assert.match(st.stdout, /locations=\[h4:29999 /, `${file} is cached on h4\n${st.stdout}`);
      }

      // Removing: stop it on its host and take it out of conf/workers.
      ok(await hosts.run('h4', ['/opt/alluxio/bin/alluxio-stop.sh', 'worker'], { timeoutMs: 120_000 }));
      fs.writeFileSync(workersFile, 'h2\nh3\n');
      await waitLive(2);
      const report = await run(['fsadmin', 'report']);
      ok(report);
      assert.match(report.stdout, /^ {4}Lost Workers: 1$/m);
      const through = await run(['fs', 'cat', '/added-through']);
      ok(through);
      assert.equal(through.stdout, data, 'a persisted file is read from the UFS through a live worker');
      const must = await run(['fs', 'cat', '/added-must']);
      ok(must, 1);
      assert.match(must.stderr, /\/added-must.*not persisted.*only copy is on worker h4:29999 .*marked LOST/s);
    } finally {
      fs.writeFileSync(workersFile, '# workers\nh2\nh3\nh4\n');
    }
  });

  test('the cluster lock names its holder', async () => {
    await hosts.run('h1', ['sh', '-c', 'mkdir -p /opt/alluxio/run/cluster.lock && echo "bob@elsewhere pid 1 since 2026-01-01: alluxio start all" > /opt/alluxio/run/cluster.lock/owner']);
    try {
      const r = await run(['stop', 'masters']);
      ok(r, 1);
      assert.match(r.stderr, /the cluster is locked by bob@elsewhere pid 1 since 2026-01-01: alluxio start all/);
      assert.match(r.stderr, /Hint: .*rm -rf \/opt\/alluxio\/run\/cluster\.lock/);
    } finally {
      await hosts.run('h1', ['rm', '-rf', '/opt/alluxio/run/cluster.lock']);
    }
  });
});

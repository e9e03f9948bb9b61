import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestHosts, type RunResult } from './hosts.js';
import { assertRoot, needsRoot } from './root.js';

const NEEDS = 'network namespaces, mounts, sshd';
const skip = needsRoot(NEEDS);

describe('TestHosts: network namespaces with their own sshd', { skip, timeout: 120_000 }, () => {
  let th: TestHosts;
  let sshConfig: string;

  /** ssh from the control namespace with the harness HOME and ssh config. */
  const ssh = (host: string, command: string, opts: string[] = [], timeoutMs = 20_000): Promise<RunResult> =>
    th.runControl(['ssh', '-F', sshConfig, ...opts, host, command], { timeoutMs });

  /** Runs the body; on failure adds every host's sshd log to the assertion message (convention 10). */
  const withLogs = (fn: () => Promise<void>) => async () => {
    try { await fn(); } catch (e) {
      if (e instanceof Error && th) e.message += `\n${th.logs()}`;
      throw e;
    }
  };
  const ok = (r: RunResult, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

  before(async () => {
    assertRoot(NEEDS);
    th = await TestHosts.create(3);
    sshConfig = path.join(th.home, '.ssh', 'config');
  });

  after(async () => { await th?.destroy(); });

  it('creates h1..h3 and ctl on one subnet, each with an sshd', () => {
    assert.deepEqual(th.hosts.map((h) => h.name), ['h1', 'h2', 'h3']);
    assert.equal(th.control.name, 'ctl');
    const net = th.subnet.replace(/0\/24$/, '');
    assert.deepEqual(th.hosts.map((h) => h.ip), [10, 11, 12].map((o) => `${net}${o}`));
    assert.equal(th.control.ip, `${net}9`);
    for (const h of th.hosts) {
      assert.ok(h.sshdPid && fs.existsSync(`/proc/${h.sshdPid}`), `${h.name} sshd running`);
      for (const d of ['opt', 'var', 'run', 'tmp']) assert.ok(fs.statSync(path.join(h.dir, d)).isDirectory());
    }
    const text = fs.readFileSync(th.hostsFile, 'utf8');
    for (const h of [...th.hosts, th.control]) assert.match(text, new RegExp(`^${h.ip.replaceAll('.', '\\.')}\\s+${h.name}$`, 'm'));
    assert.equal(th.host('h2'), th.hosts[1]);
    assert.throws(() => th.host('nope'), /no test host "nope"/);
  });

  it('ssh from ctl reaches each host by name; hostname -I and hostname are the host\'s own', withLogs(async () => {
    const r = await ssh('h2', 'hostname -I; hostname');
    ok(r, 'ssh h2');
    const [ips, name] = r.stdout.trim().split('\n');
    assert.deepEqual(ips.trim().split(/\s+/), [th.host('h2').ip]);
    assert.equal(name, 'h2');
    const c = await th.runControl(['hostname']);
    assert.equal(c.stdout.trim(), 'ctl');
  }));

  it('each host has a private /opt (and /tmp); the control namespace sees the real filesystem', withLogs(async () => {
    const marker = `only-on-h1-${process.pid}`;
    ok(await th.run('h1', ['sh', '-c', `echo hi > /opt/${marker} && echo t > /tmp/${marker}`]), 'write on h1');
    assert.equal(fs.readFileSync(path.join(th.host('h1').dir, 'opt', marker), 'utf8'), 'hi\n');
    assert.ok(!fs.existsSync(path.join('/opt', marker)), 'the real /opt is untouched');
    const h1 = await ssh('h1', 'ls /opt; ls /tmp');
    ok(h1, 'ssh h1 ls');
    assert.ok(h1.stdout.split('\n').includes(marker), h1.stdout);
    const h2 = await ssh('h2', 'ls -A /opt; ls /tmp');
    ok(h2, 'ssh h2 ls');
    assert.ok(!h2.stdout.includes(marker), h2.stdout);
    // the control namespace runs in the real filesystem (the repo, /tmp), with only its network and /etc/hosts differing
    const c = await th.runControl(['sh', '-c', 'pwd; test -f "$1" && echo has-home-config', 'sh', sshConfig]);
    assert.deepEqual(c.stdout.trim().split('\n'), [process.cwd(), 'has-home-config']);
    const env = await th.runControl(['sh', '-c', 'echo "$HOME $X"'], { env: { X: 'y' } });
    assert.equal(env.stdout.trim(), `${th.home} y`);
    const input = await th.run('h3', ['cat'], { input: 'stdin-text' });
    assert.equal(input.stdout, 'stdin-text');
  }));

  it('h1 resolves h3 by name and reaches its sshd', withLogs(async () => {
    const g = await th.run('h1', ['getent', 'hosts', 'h3']);
    ok(g, 'getent');
    assert.equal(g.stdout.trim().split(/\s+/)[0], th.host('h3').ip);
    // no ping binary is assumed: read the SSH banner of h3 over TCP, by name
    const banner = await th.run('h1', ['bash', '-c', 'exec 3<>/dev/tcp/h3/22 && head -c 4 <&3'], { timeoutMs: 10_000 });
    assert.equal(banner.stdout, 'SSH-', banner.stderr);
    const hasPing = spawnSync('sh', ['-c', 'command -v ping']).status === 0;
    if (hasPing) ok(await th.run('h1', ['ping', '-c', '1', '-W', '2', 'h3'], { timeoutMs: 10_000 }), 'ping h3');
  }));

  it('crash kills a detached process started over ssh and leaves sshd alive', withLogs(async () => {
    const h2 = th.host('h2');
    const sshd = h2.sshdPid!;
    const r = await ssh('h2', 'nohup sleep 1000 >/dev/null 2>&1 </dev/null & echo $!');
    ok(r, 'start sleep');
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0 && fs.existsSync(`/proc/${pid}`), `sleep running as ${pid}`);
    const killed = await th.crash('h2');
    assert.ok(killed.includes(pid), `killed ${killed} includes ${pid}`);
    assert.ok(!killed.includes(sshd));
    const state = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `sleep ${pid} is dead (${state})`);
    assert.ok(fs.existsSync(`/proc/${sshd}`), 'sshd still alive');
    assert.equal(h2.sshdPid, sshd);
    ok(await ssh('h2', 'true'), 'ssh h2 after crash');
  }));

  it('cut makes ssh to h3 fail within ConnectTimeout; heal restores it', withLogs(async () => {
    await th.cut('h3');
    const t0 = Date.now();
    const r = await ssh('h3', 'true', ['-o', 'ConnectTimeout=2'], 15_000);
    const took = Date.now() - t0;
    assert.equal(r.code, 255, r.stderr);
    assert.ok(!r.timedOut && took < 10_000, `failed in ${took} ms`);
    // h3 is also unreachable from h1, while h1 and h2 still talk
    const h1h3 = await th.run('h1', ['bash', '-c', 'exec 3<>/dev/tcp/h3/22'], { timeoutMs: 1500 });
    assert.notEqual(h1h3.code, 0);
    const h1h2 = await th.run('h1', ['bash', '-c', 'exec 3<>/dev/tcp/h2/22 && head -c 4 <&3'], { timeoutMs: 5000 });
    assert.equal(h1h2.stdout, 'SSH-');
    await th.heal('h3');
    ok(await ssh('h3', 'true', ['-o', 'ConnectTimeout=5']), 'ssh h3 after heal');
  }));

  it('stopSshd gives connection refused; startSshd brings it back; run() works meanwhile', withLogs(async () => {
    const old = th.host('h1').sshdPid!;
    await th.stopSshd('h1');
    assert.equal(th.host('h1').sshdPid, undefined);
    assert.ok(!fs.existsSync(`/proc/${old}`) || fs.readFileSync(`/proc/${old}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z');
    const r = await ssh('h1', 'true', ['-o', 'ConnectTimeout=2']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Connection refused/);
    const ls = await th.run('h1', ['ls', '/opt']);
    ok(ls, 'run on h1 without sshd');
    await th.startSshd('h1');
    assert.ok(th.host('h1').sshdPid && th.host('h1').sshdPid !== old);
    const again = await ssh('h1', 'ls /opt');
    ok(again, 'ssh h1 after restart');
    assert.equal(again.stdout, ls.stdout, 'same private /opt after restart');
  }));

  it('rotateHostKey makes strict host key checking fail with a changed-key error', withLogs(async () => {
    const before = th.host('h2').hostKey;
    await th.rotateHostKey('h2');
    assert.notEqual(th.host('h2').hostKey, before);
    const r = await ssh('h2', 'true', ['-o', 'StrictHostKeyChecking=yes']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.match(r.stderr, /Host key verification failed/);
    ok(await ssh('h3', 'true', ['-o', 'StrictHostKeyChecking=yes']), 'other hosts unaffected');
  }));

  it('destroy removes every namespace, link, /etc/netns dir, process and temp dir it made; twice is fine', async () => {
    const pids = th.hosts.map((h) => h.sshdPid!);
    const { namespaces, links, dir } = th;
    assert.equal(namespaces.length, 5);
    await th.destroy();
    await th.destroy();
    const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const ns of namespaces) {
      assert.ok(!netns.split('\n').some((l) => l.split(' ')[0] === ns), `netns ${ns} gone`);
      assert.ok(!fs.existsSync(`/etc/netns/${ns}`));
    }
    const iplink = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
    for (const l of links) assert.ok(!new RegExp(`^\\d+: ${l}[@:]`, 'm').test(iplink), `link ${l} gone`);
    assert.ok(!fs.existsSync(dir));
    for (const p of pids) {
      const st = fs.existsSync(`/proc/${p}/stat`) ? fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
      assert.ok(st === 'gone' || st === 'Z', `sshd ${p} gone`);
    }
    assert.throws(() => th.host('h1'), /destroyed/);
  });
});

/**
 * Bad input through the real CLI process: one clear error naming the file/key/argument,
 * a hint where there is one, and a non-zero exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNode, CLI } from '../harness/cluster.js';

function confDir(site: string, extra: Record<string, string> = {}): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-badconf-'));
  fs.writeFileSync(path.join(d, 'alluxio-site.properties'), site);
  for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(d, f), text);
  return d;
}

function env(dir: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ALLUXIO_CONF_DIR: dir, NO_COLOR: '1' };
  for (const k of Object.keys(e)) if (k.startsWith('ALLUXIO_') && k !== 'ALLUXIO_CONF_DIR') delete e[k];
  return e;
}

const cases: { name: string; site: string; args?: string[]; stderr: RegExp[] }[] = [
  {
    name: 'unknown key with did-you-mean',
    site: 'alluxio.master.rpc.prot=19998\n',
    stderr: [/alluxio-site\.properties:1: unknown property "alluxio\.master\.rpc\.prot" \(did you mean "alluxio\.master\.rpc\.port"\?\)/],
  },
  {
    name: 'bad port',
    site: '# ports\nalluxio.master.rpc.port=99999\n',
    stderr: [/alluxio-site\.properties:2: alluxio\.master\.rpc\.port: "99999" is not a valid port \(1-65535\)/],
  },
  {
    name: 'several problems reported at once',
    site: 'alluxio.worker.rpc.port=abc\nalluxio.user.file.writetype.default=SOMETIMES\n',
    stderr: [/2 configuration problems/, /:1: alluxio\.worker\.rpc\.port: "abc"/, /:2: alluxio\.user\.file\.writetype\.default: "SOMETIMES" is not one of MUST_CACHE, CACHE_THROUGH, THROUGH, ASYNC_THROUGH/],
  },
  {
    name: 'malformed unicode escape',
    site: 'alluxio.master.hostname=a\\u12\n',
    stderr: [/alluxio-site\.properties:1: malformed \\uXXXX escape/],
  },
  {
    name: 'bad -D flag',
    site: '',
    args: ['getConf', 'alluxio.master.rpc.port', '-Dalluxio.master.rpc.port=0x10'],
    stderr: [/-Dalluxio\.master\.rpc\.port: alluxio\.master\.rpc\.port: "0x10" is not a valid port/],
  },
];

for (const c of cases) {
  test(`bad config: ${c.name}`, async () => {
    const d = confDir(c.site);
    try {
      const r = await runNode([CLI, ...(c.args ?? ['getConf', 'alluxio.master.rpc.port'])], env(d));
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      for (const re of c.stderr) assert.match(r.stderr, re);
      assert.equal((r.stderr.match(/^Error:/gm) ?? []).length, 1, r.stderr);
    } finally { fs.rmSync(d, { recursive: true, force: true }); }
  });
}

test('missing conf dir is named', async () => {
  const r = await runNode([CLI, 'getConf'], env('/nonexistent/alluxio-conf'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/nonexistent\/alluxio-conf/);
});

test('bad hosts file: every problem with its line number', async () => {
  const d = confDir('', { masters: '# masters\nm1\nm1\nbad_host!\nm2 m3\n', workers: 'localhost\n' });
  try {
    const r = await runNode([CLI, 'start', 'all'], env(d));
    assert.equal(r.code, 1, r.stderr);
    const file = path.join(d, 'masters');
    assert.equal(r.stderr, [
      'Error: 3 configuration problems:',
      `  ${file}:3: duplicate host "m1" (first listed on line 2)`,
      `  ${file}:4: "bad_host!" is not a valid host name or IP address`,
      `  ${file}:5: "m2 m3" has more than one host; put one host per line`,
      '',
    ].join('\n'));
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('usage errors: no command, unknown command, unknown getConf key', async () => {
  const d = confDir('');
  try {
    let r = await runNode([CLI], env(d));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Usage: alluxio COMMAND/);
    r = await runNode([CLI, 'nope'], env(d));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unsupported command nope/);
    r = await runNode([CLI, 'getConf', 'alluxio.not.a.key'], env(d));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /alluxio\.not\.a\.key is not a valid configuration key/);
    r = await runNode([CLI, 'version'], env(d));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('output into a pipe closed early (alluxio getConf | head -1) ends quietly', async () => {
  const d = confDir('');
  try {
    const { spawn } = await import('node:child_process');
    const p = spawn(process.execPath, [CLI, 'getConf'], { env: env(d), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (x) => (stderr += x));
    p.stdout.destroy(); // the reader is gone before the first line is written
    const code = await new Promise<number | null>((r) => p.on('close', (c) => r(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

/**
 * `alluxio completion bash|zsh` (issue #15): the script is generated from the CLI's own commander
 * definitions; loaded into a real bash, it completes verbs, sub-verbs, flags, the scripts'
 * actions, and `fs` paths from a running cluster.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, CLI } from '../harness/cluster.js';
import { START_ACTIONS } from '../../src/commands/start.js';
import { STOP_ACTIONS } from '../../src/commands/stop.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-completion-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(shell: string, env: NodeJS.ProcessEnv = process.env): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'completion', shell], { encoding: 'utf8', env });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** What bash's completion function `fn` offers for the command line `words` (the last word is completed). */
function complete(file: string, fn: string, words: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const arr = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

const bash = script('bash');
const file = path.join(dir, 'alluxio.bash');
fs.writeFileSync(file, bash.out);

test('completion: bash completes verbs, sub-verbs, flags and the scripts\' actions', () => {
  assert.equal(bash.code, 0, bash.err);
  assert.equal(spawnSync('bash', ['-n', file]).status, 0, 'the script parses');
  assert.deepEqual(complete(file, '_alluxio', ['alluxio', 'fs', 'co']), ['copyFromLocal', 'copyToLocal']);
  const verbs = complete(file, '_alluxio', ['alluxio', '']);
  for (const v of ['fs', 'fsadmin', 'format', 'start', 'stop', 'runTests', 'getConf', 'logLevel', 'completion']) assert.ok(verbs.includes(v), `verb ${v}: ${verbs.join(' ')}`);
  for (const hidden of ['facts', 'configProbe', 'sharedJournal']) assert.ok(!verbs.includes(hidden), `hidden verb ${hidden} offered`);
  assert.deepEqual(complete(file, '_alluxio', ['alluxio', 'roll']), ['rollingRestart']);
  assert.ok(complete(file, '_alluxio', ['alluxio', 'fs', 'copyFromLocal', '--w']).includes('--writeType'));
  assert.ok(complete(file, '_alluxio', ['alluxio', 'logLevel', '--']).includes('--logName'));
  assert.deepEqual(complete(file, '_alluxio_start', ['alluxio-start.sh', '']), [...START_ACTIONS, 'Mount', 'NoMount', 'SudoMount'].sort());
  assert.deepEqual(complete(file, '_alluxio_stop', ['alluxio-stop.sh', 'w']), STOP_ACTIONS.filter((a) => a.startsWith('w')).sort());
});

test('completion: zsh gets the same script through bashcompinit; an unknown shell is a usage error', () => {
  const zsh = script('zsh');
  assert.equal(zsh.code, 0, zsh.err);
  assert.match(zsh.out, /bashcompinit/);
  assert.ok(zsh.out.includes(bash.out.trim()));
  const fish = script('fish');
  assert.notEqual(fish.code, 0);
  assert.match(fish.err, /unknown shell fish\nHint: alluxio completion bash, or alluxio completion zsh/);
});

test('completion: fs paths come from the running cluster', async () => {
  const c = await (await new TestCluster({ workers: 0 }).setup()).start();
  try {
    for (const d of ['/data', '/data/sales', '/data/logs', '/other']) assert.equal((await c.cli(['fs', 'mkdir', d])).code, 0);
    // COMP_WORDS[0] is the command bash completes: the CLI itself here.
    const cli = path.join(dir, 'alluxio');
    fs.writeFileSync(cli, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`, { mode: 0o755 });
    // A loaded machine may start the CLI slower than the default 2 s bound: the test gives it 60.
    const env = { ...c.env, ALLUXIO_COMPLETION_TIMEOUT: '60' };
    assert.deepEqual(complete(file, '_alluxio', [cli, 'fs', 'ls', '/data/'], env), ['/data/logs', '/data/sales']);
    assert.deepEqual(complete(file, '_alluxio', [cli, 'fs', 'cat', '/o'], env), ['/other']);
  } finally {
    await c.stop();
  }
});

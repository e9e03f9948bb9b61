/** The per-host protocol (alluxio-host/1): table tests of replies, results and typed errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, HostError, TimeoutError, UsageError } from '../../src/errors.js';
import {
  checkResult, errorReply, mergeFormat, okReply, parseReply, PROTOCOL, ProtocolError, replyError, type RawRun, type StepName,
} from '../../src/orchestrate/protocol.js';

const proc = { kind: 'master', name: 'master', action: 'started', pid: 42, ports: { rpc: 19998, web: 19999, journal: 19200 }, readiness: 'serving', role: 'leader', journalIndex: 7, configHash: 'ab', instanceId: 'i-1' };
const factsResult = { hostname: 'h1', node: 'v20.0.0', timeMs: 1, installRoot: '/opt/alluxio', installHash: 'x', confHash: 'y', master: { running: false }, worker: { running: false }, journal: { folder: '/j', formatted: true }, workerStorage: [] };
const probeResult = { node: 'v20.0.0', installHash: '', confHash: 'c', hostname: 'h1', timeMs: 5, servers: [{ name: 'master', kind: 'master', pidFile: '/r/master.pid', pid: 9, running: true, cmd: 'node x' }] };

const cfgProc = { kind: 'master', name: 'master', running: true, pid: 9, configHash: 'a', expectedHash: 'b', diff: [{ key: 'alluxio.master.worker.timeout', old: '5min', new: '10min' }] };

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const run = (stdout: string, code = 0, stderr = ''): RawRun => ({ code, stdout, stderr });
const reply = (step: StepName, result: unknown, over: Record<string, unknown> = {}) => ({ protocol: PROTOCOL, step, host: 'h1', ok: true, result, ...over });

// [name, step, run, expected: 'ok' | 'failed' | RegExp of the ProtocolError]
const rows: [string, StepName, RawRun, 'ok' | 'failed' | RegExp][] = [
  ['start: a started master with every field', 'start', run(line(reply('start', { processes: [proc] }))), 'ok'],
  ['start: human lines before the reply are ignored', 'start', run(`Starting master\n${line(reply('start', { processes: [proc] }))}`), 'ok'],
  ['start: with -f, the format result', 'start', run(line(reply('start', { processes: [proc], formatted: { deleted: ['/j/log'], journals: [{ name: 'master', folder: '/j', action: 'formatted' }] } }))), 'ok'],
  ['start: a started process without pid', 'start', run(line(reply('start', { processes: [{ ...proc, pid: undefined }] }))), /processes\[0\]\.pid missing/],
  ['start: a negative pid', 'start', run(line(reply('start', { processes: [{ ...proc, pid: -1 }] }))), /processes\[0\]\.pid/],
  ['start: an unknown action', 'start', run(line(reply('start', { processes: [{ ...proc, action: 'exploded' }] }))), /processes\[0\]\.action/],
  ['start: an unknown readiness', 'start', run(line(reply('start', { processes: [{ ...proc, readiness: 'maybe' }] }))), /processes\[0\]\.readiness/],
  ['start: a port out of range', 'start', run(line(reply('start', { processes: [{ ...proc, ports: { rpc: 70000 } }] }))), /ports\.rpc/],
  ['start: a role that is no role', 'start', run(line(reply('start', { processes: [{ ...proc, role: 'king' }] }))), /\.role/],
  ['start: a fractional journal index', 'start', run(line(reply('start', { processes: [{ ...proc, journalIndex: 1.5 }] }))), /journalIndex/],
  ['start: a config hash that is no string', 'start', run(line(reply('start', { processes: [{ ...proc, configHash: 5 }] }))), /configHash/],
  ['configProbe: a running master with a diff, a stopped worker', 'configProbe', run(line(reply('configProbe', { processes: [cfgProc, { kind: 'worker', name: 'worker', running: false }] }))), 'ok'],
  ['configProbe: a running process that did not answer', 'configProbe', run(line(reply('configProbe', { processes: [{ kind: 'worker', name: 'worker', running: true, pid: 5, error: 'ECONNREFUSED' }] }))), 'ok'],
  ['configProbe: no processes list', 'configProbe', run(line(reply('configProbe', {}))), /malformed: processes/],
  ['configProbe: running is no boolean', 'configProbe', run(line(reply('configProbe', { processes: [{ ...cfgProc, running: 'yes' }] }))), /processes\[0\]\.running/],
  ['configProbe: a running process without its hash', 'configProbe', run(line(reply('configProbe', { processes: [{ ...cfgProc, configHash: undefined }] }))), /needs configHash, expectedHash and diff/],
  ['configProbe: a diff entry without new value', 'configProbe', run(line(reply('configProbe', { processes: [{ ...cfgProc, diff: [{ key: 'k', old: 'a' }] }] }))), /processes\[0\]\.diff\[0\]/],
  ['configProbe: a diff of a process that does not run', 'configProbe', run(line(reply('configProbe', { processes: [{ kind: 'worker', name: 'worker', running: false, diff: [] }] }))), /does not run/],
  ['configProbe: an unknown kind', 'configProbe', run(line(reply('configProbe', { processes: [{ ...cfgProc, kind: 'proxy' }] }))), /processes\[0\]\.kind/],
  ['configProbe: the reply of another step', 'configProbe', run(line(reply('stop', { processes: [] }))), /for step "stop"/],
  ['stop: stopped and not running', 'stop', run(line(reply('stop', { processes: [{ kind: 'worker', name: 'worker', action: 'stopped', pid: 3 }, { kind: 'master', name: 'master', action: 'not-running' }] }))), 'ok'],
  ['stop: processes missing', 'stop', run(line(reply('stop', {}))), /processes/],
  ['formatJournal: formatted', 'formatJournal', run(line(reply('formatJournal', { deleted: [], journals: [{ name: 'master', folder: '/j', action: 'formatted' }] }))), 'ok'],
  ['formatJournal: deleted not a list', 'formatJournal', run(line(reply('formatJournal', { deleted: 'x' }))), /deleted/],
  ['formatWorker: a bad dir action', 'formatWorker', run(line(reply('formatWorker', { deleted: [], workerDirs: [{ dataDir: '/d', action: 'burnt' }] }))), /workerDirs/],
  ['facts: the facts', 'facts', run(line(reply('facts', factsResult))), 'ok'],
  ['facts: no hostname', 'facts', run(line(reply('facts', { ...factsResult, hostname: 1 }))), /facts/],
  ['probe: pid files', 'probe', run(line(reply('probe', probeResult))), 'ok'],
  ['probe: a server without its running flag', 'probe', run(line(reply('probe', { ...probeResult, servers: [{ name: 'master', kind: 'master', pidFile: '/p' }] }))), /servers\[0\]/],
  ['probe: with the facts of a current install', 'probe', run(line(reply('probe', { ...probeResult, facts: factsResult }))), 'ok'],
  ['probe: facts that could not be read', 'probe', run(line(reply('probe', { ...probeResult, factsError: { class: 'ConfigError', code: 'CONFIG', message: 'bad' } }))), 'ok'],
  ['probe: malformed facts', 'probe', run(line(reply('probe', { ...probeResult, facts: { hostname: 'h1' } }))), /facts/],
  ['probe: a malformed facts error', 'probe', run(line(reply('probe', { ...probeResult, factsError: { message: 'bad' } }))), /factsError/],
  ['probe: no clock', 'probe', run(line(reply('probe', { ...probeResult, timeMs: 'now' }))), /timeMs/],
  ['a typed failure', 'start', run(line({ protocol: PROTOCOL, step: 'start', host: 'h1', ok: false, error: { class: 'ConfigError', code: 'CONFIG', message: 'bad', hint: 'fix' } }), 1), 'failed'],
  ['a failure whose error has no message', 'start', run(line({ protocol: PROTOCOL, step: 'start', host: 'h1', ok: false, error: { class: 'X', code: 'X' } }), 1), /error of the reply is malformed/],
  ['success with a non-zero exit', 'stop', run(line(reply('stop', { processes: [] })), 3), /reported success but exited non-zero \(exit 3\)/],
  ['failure with exit 0', 'stop', run(line({ protocol: PROTOCOL, step: 'stop', host: 'h1', ok: false, error: { class: 'HostError', code: 'HOST', message: 'm' } })), /reported a failure but exited 0/],
  ['no output at all, exit 127', 'start', run('', 127, 'sh: 1: node: not found\n'), /start: no reply \(exit 127\):\nsh: 1: node: not found/],
  ['garbage', 'start', run('hello world\n'), /the reply is not JSON/],
  ['a JSON array', 'start', run('[1]\n'), /not a JSON object/],
  ['another protocol version', 'start', run(line(reply('start', { processes: [] }, { protocol: 'alluxio-host/2' }))), /speaks "alluxio-host\/2", not alluxio-host\/1/],
  ['the reply of another step', 'start', run(line(reply('stop', { processes: [] }))), /the reply is for step "stop"/],
  ['no host', 'start', run(line(reply('start', { processes: [] }, { host: 7 }))), /names no host/],
  ['no ok field', 'start', run(line({ protocol: PROTOCOL, step: 'start', host: 'h1', result: {} })), /no ok field/],
  ['killed by a signal', 'start', { code: 255, signal: 'SIGKILL', stdout: '', stderr: '' }, /no reply \(exit 255, SIGKILL\)/],
];

for (const [name, step, raw, expected] of rows) {
  test(`parseReply: ${name}`, () => {
    if (expected instanceof RegExp) {
      assert.throws(() => parseReply(step, 'h1', raw), (e: unknown) => e instanceof ProtocolError && expected.test(e.message) && /^\[h1\] /.test(e.message) && e.hint !== undefined);
      return;
    }
    const r = parseReply(step, 'h1', raw);
    assert.equal(r.ok, expected === 'ok');
  });
}

test('errorReply: typed errors keep class, code and hint; others become InternalError', () => {
  assert.deepEqual(errorReply('start', 'h1', new ConfigError('bad key', { hint: 'fix it' })), {
    protocol: PROTOCOL, step: 'start', host: 'h1', ok: false, error: { class: 'ConfigError', code: 'CONFIG', message: 'bad key', hint: 'fix it' },
  });
  const internal = errorReply('stop', 'h1', new RangeError('oops'));
  assert.ok(!internal.ok);
  assert.deepEqual(internal.error, { class: 'InternalError', code: 'INTERNAL', message: 'oops' });
  assert.deepEqual(okReply('facts', 'h1', factsResult as never), { protocol: PROTOCOL, step: 'facts', host: 'h1', ok: true, result: factsResult });
});

const wire: [string, Error, (e: Error) => boolean][] = [
  ['ConfigError', new ConfigError(['a', 'b'], { hint: 'h' }), (e) => e instanceof ConfigError],
  ['UsageError', new UsageError('u'), (e) => e instanceof UsageError],
  ['TimeoutError', new TimeoutError('t', { hint: 'wait' }), (e) => e instanceof TimeoutError],
  ['HostError keeps its message ([host] once)', new HostError('node1', 'cannot format'), (e) => e instanceof HostError && e.message === '[node1] cannot format'],
];

for (const [name, original, isClass] of wire) {
  test(`a typed error crosses the wire and comes back as its class: ${name}`, () => {
    const r = errorReply('start', 'h1', original);
    assert.ok(!r.ok);
    const back = replyError(JSON.parse(JSON.stringify(r.error)), 'h1');
    assert.ok(isClass(back), `${back.name}`);
    assert.equal(back.message, original.message);
    assert.equal(back.hint, (original as { hint?: string }).hint);
  });
}

test('checkResult: a start reply with a malformed format part', () => {
  assert.equal(checkResult('start', { processes: [], formatted: { deleted: [1] } }), 'deleted');
  assert.equal(checkResult('start', { processes: [], formatted: 'yes' }), 'formatted');
});

test('mergeFormat: the journals and the worker dirs of one host as one result', () => {
  assert.deepEqual(mergeFormat([
    { deleted: ['/j/a'], journals: [{ name: 'master', folder: '/j', action: 'formatted' }] },
    { deleted: ['/w/b'], workerDirs: [{ dataDir: '/w', action: 'created' }] },
  ]), { deleted: ['/j/a', '/w/b'], journals: [{ name: 'master', folder: '/j', action: 'formatted' }], workerDirs: [{ dataDir: '/w', action: 'created' }] });
});

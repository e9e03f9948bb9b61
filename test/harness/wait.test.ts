/** The tests' one wait helper: returns the first truthy value, bounded in tries and time, says what it saw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, giveUp } from './wait.js';

test('returns the first truthy value; errors and falsy values mean "not yet"', async () => {
  let n = 0;
  const v = await waitFor('the third try', () => {
    n++;
    if (n === 1) throw new Error('not up yet');
    return n === 3 ? { n } : false;
  }, { everyMs: 1 });
  assert.deepEqual(v, { n: 3 });
});

test('bounded in tries: the message names what was awaited, the tries and the last observed state', async () => {
  let n = 0;
  await assert.rejects(waitFor('2 live workers', (observe) => { n++; observe({ liveWorkers: n }); return false; }, { everyMs: 1, maxTries: 5 }),
    (e: Error) => {
      assert.match(e.message, /^timed out waiting for 2 live workers after \d+ ms and 5 tries \(limits 30000 ms, 5 tries\); last observed: \{ liveWorkers: 5 \}$/);
      return true;
    });
  assert.equal(n, 5);
});

test('bounded in time: one try at least, then stops at the deadline; without observe() the last error is shown', async () => {
  let n = 0;
  await assert.rejects(waitFor('a leader', () => { n++; throw new Error(`connect ECONNREFUSED (try ${n})`); }, 0),
    (e: Error) => e.message.endsWith(`last observed: Error: connect ECONNREFUSED (try ${n})`) && n === 1);
  await assert.rejects(waitFor('a file', () => 0, { timeoutMs: 0 }), /last observed: the check returned 0$/);
});

test('giveUp stops at once, with its reason', async () => {
  let n = 0;
  await assert.rejects(waitFor('master 0 to lead', () => { n++; return giveUp('master 0 exited with 1'); }, { everyMs: 1 }),
    /^Error: gave up waiting for master 0 to lead: master 0 exited with 1$/);
  assert.equal(n, 1);
});

/**
 * Seeded generators of hostile input for the port fuzz test: random and mutated bytes, random
 * JSON, near-valid Raft messages with one thing broken, raw HTTP requests. Everything comes from
 * one seeded generator, so a failing seed replays exactly (FUZZ_SEED).
 */

/** mulberry32: small, fast, good enough for fuzzing; never Math.random. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  bool(p = 0.5): boolean { return this.next() < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  bytes(n: number): Buffer { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
  /** A size skewed towards small values, at most `max`. */
  size(max: number): number { return Math.min(max, Math.floor(Math.pow(this.next(), 3) * (max + 1))); }
  string(max = 40): string {
    const alphabet = ['a', 'Z', '0', '/', '.', '..', ':', '%', '%zz', '\u0000', '\n', ' ', '"', '\\', '\u00e9', '\ud83d\ude00', '\ud800'];
    let s = '';
    for (let i = this.size(max); i > 0; i--) s += this.pick(alphabet);
    return s;
  }
}

/** Numbers a careless decoder might take: negative, fractional, huge, unsafe, special. */
export const NASTY_NUMBERS: readonly number[] = [-1, -0.5, 0.5, 1e300, -1e300, 2 ** 53, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 1.5, -(2 ** 63)];

/** A random mutation of `b`: truncated, bit-flipped, spliced with random bytes, or replaced. */
export function mutate(rng: Rng, b: Buffer): Buffer {
  switch (rng.int(6)) {
    case 0: return b.subarray(0, rng.int(Math.max(1, b.length))); // truncated
    case 1: { // a few bits flipped
      const c = Buffer.from(b);
      for (let i = 1 + rng.int(4); i > 0 && c.length; i--) c[rng.int(c.length)]! ^= 1 << rng.int(8);
      return c;
    }
    case 2: { // random bytes spliced in
      const at = rng.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.size(64)), b.subarray(at)]);
    }
    case 3: return Buffer.concat([b, b.subarray(0, rng.int(b.length + 1))]); // repeated tail
    case 4: return Buffer.alloc(0);
    default: return rng.bytes(rng.size(512));
  }
}

export function randomJson(rng: Rng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 8 : 5)) {
    case 0: return null;
    case 1: return rng.bool();
    case 2: return rng.bool() ? rng.pick(NASTY_NUMBERS) : rng.int(1000);
    case 3: return rng.string();
    case 4: return rng.pick(['App', 'Vote', 'Snap', 'normal', 'conf', '', '__proto__', 'constructor']);
    case 5: case 6: {
      const o: Record<string, unknown> = {};
      const keys = ['type', 'from', 'to', 'term', 'index', 'logTerm', 'commit', 'entries', 'snapshot', 'context', 'reject', 'rejectHint', 'data', 'voters', '__proto__', 'x'];
      for (let i = rng.size(6); i > 0; i--) o[rng.pick(keys)] = randomJson(rng, depth - 1);
      return o;
    }
    default: return Array.from({ length: rng.size(5) }, () => randomJson(rng, depth - 1));
  }
}

const TYPES = ['PreVote', 'PreVoteResp', 'Vote', 'VoteResp', 'App', 'AppResp', 'Heartbeat', 'HeartbeatResp', 'Snap', 'TimeoutNow', 'ReadIndex', 'ReadIndexResp'] as const;

/**
 * A Raft message for node `to` that is well formed except for at least one thing the wire
 * validator must reject (so that fuzzing can never legitimately disturb the cluster).
 */
export function brokenRaftMessage(rng: Rng, from: string, to: string): Record<string, unknown> {
  const type = rng.pick(TYPES);
  const m: Record<string, unknown> = { type, from, to, term: 1 + rng.int(3), index: rng.int(20), logTerm: rng.int(3), commit: rng.int(20) };
  if (type === 'App') m.entries = [{ term: 1, index: (m.index as number) + 1, type: 'normal', data: '{}' }];
  if (type === 'Snap') m.snapshot = { index: 5, term: 1, voters: [to], data: '' };
  const numeric = ['term', 'index', 'logTerm', 'commit', 'rejectHint'];
  const breaks: (() => void)[] = [
    () => { m.type = rng.pick(['', 'app', 'Append', 'toString', '__proto__', 7]); },
    () => { m[rng.pick(numeric)] = rng.pick([...NASTY_NUMBERS, '3', null, true, [], {}]); },
    () => { m.to = rng.pick(['', 'elsewhere:1', to + ' ', 5, null]); },
    () => { delete m.to; },
    () => { m.from = rng.pick([5, null, '', 'x'.repeat(5000), ['a']]); },
    () => { delete m.term; },
    () => { m.context = rng.pick([5, {}, 'c'.repeat(100_000)]); },
    () => { m.reject = rng.pick(['yes', 1, null]); },
    () => { m.type = 'App'; m.entries = rng.pick<unknown>(['[]', {}, 5, [null], [{}], [{ term: 1, index: 1, type: 'normal' }], [{ term: 1, index: 1, type: 'weird', data: '' }]]); },
    () => { m.type = 'App'; m.index = 3; m.entries = [{ term: 1, index: 4, type: 'normal', data: '' }, { term: 1, index: 9, type: 'normal', data: '' }]; },
    () => { m.type = 'App'; m.index = 3; m.term = 1; m.entries = [{ term: 5, index: 4, type: 'normal', data: '' }]; },
    () => { m.type = 'App'; m.index = 3; m.entries = [{ term: 1, index: 4, type: 'conf', data: rng.pick(['{', '{}', '{"op":"add"}', '{"op":"drop","node":"a"}', 'null']) }]; },
    () => { m.type = 'Snap'; m.snapshot = rng.pick<unknown>([null, 5, {}, { index: -1, term: 1, voters: [], data: '' }, { index: 1, term: 1, voters: 'a', data: '' }, { index: 1, term: 1, voters: [5], data: '' }, { index: 1, term: 1, voters: ['a'], data: 7 }, { index: 1, term: 1, voters: ['a'], data: '!!not base64!!' }]); },
    () => { m.from = 'someone-else:1'; }, // differs from the batch's sender
  ];
  const n = 1 + rng.int(2);
  for (let i = 0; i < n; i++) rng.pick(breaks)();
  return m;
}

/** One RaftBatch.messages entry: not JSON, random JSON, truncated JSON or a broken message. */
export function raftMessageString(rng: Rng, from: string, to: string): string {
  switch (rng.int(5)) {
    case 0: return rng.bytes(rng.size(200)).toString('latin1');
    case 1: return JSON.stringify(randomJson(rng)) ?? 'undefined';
    case 2: { const s = JSON.stringify(brokenRaftMessage(rng, from, to)); return s.slice(0, rng.int(s.length)); }
    case 3: return rng.pick(['', 'null', '[]', '{}', '"App"', '1', 'true', '{"__proto__":{"type":"App"}}', 'NaN', '{"type":"App","from":"a","to":"b","term":1e999}']);
    default: return JSON.stringify(brokenRaftMessage(rng, from, to));
  }
}

const URLS = ['//', '///', '//[::1', 'http://[', '*', '/%', '/%zz', '/%E0%A4%A', '/api/v1/master/info?%zz=%', '/api/v1/worker/info#x',
  '/..', '/../../etc/passwd', '/\u0000', '/api/v1/master/info/', '/nope', '\\\\', 'http://a:99999/', '/?' + 'q'.repeat(20_000)];

/** A raw HTTP/1.x request (bytes), often malformed. */
export function httpRequest(rng: Rng): Buffer {
  if (rng.bool(0.15)) return rng.bytes(rng.size(2000));
  const method = rng.pick(['GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'BREW', '', 'G\u0000T']);
  const url = rng.bool(0.7) ? rng.pick(URLS) : '/' + rng.string(60);
  const version = rng.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', '']);
  const headers = ['Host: x'];
  if (rng.bool(0.2)) headers.push('X-Big: ' + 'b'.repeat(rng.pick([1000, 20_000, 100_000])));
  if (rng.bool(0.2)) headers.push(rng.pick(['Content-Length: -1', 'Content-Length: 99999999999', 'Transfer-Encoding: chunked', 'Expect: 100-continue', 'Bad Header', ': x']));
  let body = '';
  if (rng.bool(0.2)) body = rng.bytes(rng.size(300)).toString('latin1');
  const text = `${method} ${url} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
  const b = Buffer.from(text, 'latin1');
  return rng.bool(0.2) ? b.subarray(0, rng.int(b.length)) : b;
}

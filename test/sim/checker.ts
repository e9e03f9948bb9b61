/**
 * A Porcupine-style linearizability checker (Wing & Gong's search with Lowe's memoization, as in
 * anishathalye/porcupine's checkSingle).
 *
 * A history is a list of operations, each with an invocation time and, when the client heard the
 * outcome, a response time and output. An operation whose outcome is unknown (the client timed
 * out) gets a response time of +infinity and no output: it may be linearized anywhere after its
 * invocation, or never (linearizing it after everything else makes its effect unobservable), and
 * the model accepts any output for it.
 *
 * The search walks a doubly linked list of call/return events in time order. At a call it tries to
 * linearize that operation now (the model must accept its output in the current state); at a
 * return whose call is still in the list, the current prefix is a dead end and it backtracks.
 * States already explored - (set of linearized operations, model state) - are cached, which keeps
 * the search polynomial in practice for histories with few concurrent clients. The history is
 * first split into independent partitions (e.g. by path) when the model says how.
 *
 * Every search is bounded in explored states and in wall-clock time: past either bound the answer
 * is 'unknown', never a silent pass.
 */

export interface Operation<I, O> {
  /** Client (process) that issued it; a client has at most one operation in flight. */
  client: number;
  input: I;
  /** Invocation time. Times are any numbers, compared only with each other. */
  call: number;
  /** Response time; undefined when the outcome is unknown (the client gave up or timed out). */
  ret?: number;
  /** The observed output; undefined when the outcome is unknown. */
  output?: O;
}

export interface Model<S, I, O> {
  init(): S;
  /**
   * Apply `input` to `state`. `output` undefined means the outcome is unknown: accept any. Return
   * the next state, or undefined when the model could not have produced `output` in `state`.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** Equal states must give equal strings (memoization key). */
  hash(state: S): string;
  /** Independent sub-histories that can be checked separately (default: the whole history). */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  describeOp?(op: Operation<I, O>): string;
}

export interface CheckOptions {
  /** Max search steps per partition (default 2,000,000). */
  maxSteps?: number;
  /** Wall-clock budget for the whole check in ms (default 30,000). */
  timeoutMs?: number;
}

export interface CheckResult {
  result: 'ok' | 'illegal' | 'unknown';
  /** For 'illegal': a readable account of the partition that could not be linearized. */
  explanation?: string;
  /** For 'illegal': the operations of that partition. */
  failedPartition?: Operation<unknown, unknown>[];
  partitions: number;
  /** Search steps taken, all partitions together. */
  steps: number;
}

interface Ev {
  kind: 'call' | 'ret';
  id: number;
  time: number;
  /** call: its return event; ret: its call event. */
  match: Ev | undefined;
  prev: Ev | undefined;
  next: Ev | undefined;
}

type PartResult = { result: 'ok' | 'illegal' | 'unknown'; steps: number; best: number[] };

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number, deadline: number): PartResult {
  const n = ops.length;
  if (n === 0) return { result: 'ok', steps: 0, best: [] };
  // Events in time order; at equal times calls go first (they are then concurrent, the lenient
  // reading). Unknown outcomes return at +infinity.
  const events: Ev[] = [];
  for (let id = 0; id < n; id++) {
    const op = ops[id]!;
    const call: Ev = { kind: 'call', id, time: op.call, match: undefined, prev: undefined, next: undefined };
    const ret: Ev = { kind: 'ret', id, time: op.ret ?? Infinity, match: call, prev: undefined, next: undefined };
    call.match = ret;
    events.push(call, ret);
  }
  events.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.id - b.id : a.kind === 'call' ? -1 : 1));
  const head: Ev = { kind: 'call', id: -1, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (call: Ev): void => {
    call.prev!.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Ev): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next) call.next.prev = call;
  };

  const words = new Uint32Array(Math.ceil(n / 32));
  const key = (): string => words.join(',');
  const cache = new Set<string>();
  const stack: { call: Ev; state: S }[] = [];
  let state = model.init();
  let entry: Ev | undefined = head.next;
  let steps = 0;
  let best: number[] = [];

  while (head.next !== undefined) {
    if (++steps > maxSteps || (steps % 4096 === 0 && Date.now() > deadline)) return { result: 'unknown', steps, best };
    if (entry === undefined) throw new Error('linearizability checker: ran off the event list');
    if (entry.kind === 'call') {
      const op = ops[entry.id]!;
      const next = model.step(state, op.input, op.ret === undefined ? undefined : op.output);
      if (next !== undefined) {
        words[entry.id >>> 5]! |= 1 << (entry.id & 31);
        const k = `${key()}|${model.hash(next)}`;
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          if (stack.length > best.length) best = stack.map((s) => s.call.id);
          entry = head.next;
          continue;
        }
        words[entry.id >>> 5]! &= ~(1 << (entry.id & 31));
      }
      entry = entry.next;
    } else {
      // A return whose operation was not linearized yet: backtrack.
      const top = stack.pop();
      if (top === undefined) return { result: 'illegal', steps, best };
      state = top.state;
      words[top.call.id >>> 5]! &= ~(1 << (top.call.id & 31));
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { result: 'ok', steps, best };
}

function fmtTime(t: number | undefined): string {
  return t === undefined ? 'inf' : String(t);
}

function explain<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], best: number[]): string {
  const describe = model.describeOp ?? ((op: Operation<I, O>) => `${JSON.stringify(op.input)} -> ${op.ret === undefined ? '?' : JSON.stringify(op.output)}`);
  const order = new Map(best.map((id, i) => [id, i]));
  const lines = [
    `no linearization of these ${ops.length} operations; the longest linearizable prefix found has ${best.length} (#n = position in it):`,
  ];
  const byCall = ops.map((op, id) => ({ op, id })).sort((a, b) => a.op.call - b.op.call);
  // Long partitions: the operations from a little before the first one left out of the prefix.
  const firstOut = byCall.findIndex(({ id }) => !order.has(id));
  const from = Math.max(0, Math.min(firstOut < 0 ? 0 : firstOut, byCall.length - 60) - 20);
  if (from > 0) lines.push(`  ... ${from} earlier operations, all in the prefix ...`);
  for (const { op, id } of byCall.slice(from, from + 80)) {
    const pos = order.get(id);
    lines.push(`  [${fmtTime(op.call)}, ${fmtTime(op.ret)}] client ${op.client}: ${describe(op)}${pos === undefined ? '' : `  #${pos + 1}`}`);
  }
  if (from + 80 < byCall.length) lines.push(`  ... ${byCall.length - from - 80} later operations ...`);
  return lines.join('\n');
}

/** Check that `history` is linearizable with respect to `model`. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], opts: CheckOptions = {}): CheckResult {
  const maxSteps = opts.maxSteps ?? 2_000_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const parts = model.partition ? model.partition(history) : [history.slice()];
  let steps = 0;
  let unknown = false;
  for (const part of parts) {
    const r = checkPartition(model, part, maxSteps, deadline);
    steps += r.steps;
    if (r.result === 'illegal') {
      return { result: 'illegal', explanation: explain(model, part, r.best), failedPartition: part as Operation<unknown, unknown>[], partitions: parts.length, steps };
    }
    if (r.result === 'unknown') unknown = true;
  }
  return { result: unknown ? 'unknown' : 'ok', partitions: parts.length, steps };
}

/**
 * The sequential specification of the namespace operations the simulation's clients issue, for
 * the linearizability checker: a map path -> 'dir' | 'file', with the exact error codes and
 * check order of src/server/master/namespace.ts (mkdir, createFile, delete, rename) and of the
 * master's read RPCs (exists, getStatus).
 *
 * Write results carry no ids (inode ids depend on the global order of creations, which would tie
 * every path together); only success vs the error code is compared. Paths are grouped by their
 * top-level component: an operation touches only its own group(s), so the history is partitioned
 * by group (a rename across groups merges them).
 */
import type { Model, Operation } from './checker.js';

export type NsInput =
  | { op: 'mkdir'; path: string; recursive: boolean }
  | { op: 'createFile'; path: string; recursive: boolean }
  | { op: 'delete'; path: string; recursive: boolean }
  | { op: 'rename'; src: string; dst: string }
  | { op: 'exists'; path: string }
  | { op: 'getStatus'; path: string };

export type NsOutput =
  | { ok: true; value?: boolean | 'dir' | 'file' }
  | { ok: false; error: string };

export type NsOp = Operation<NsInput, NsOutput>;

/** Sorted "path=d|f" entries: the model state and its own hash. */
export type NsState = ReadonlyMap<string, 'dir' | 'file'>;

export function isRead(i: NsInput): boolean {
  return i.op === 'exists' || i.op === 'getStatus';
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function isUnder(a: string, b: string): boolean {
  return a === b || b === '/' || a.startsWith(b + '/');
}

/** Ancestors of a path, outermost first, root excluded ("/a/b/c" -> ["/a", "/a/b"]). */
function ancestors(p: string): string[] {
  const parts = p.slice(1).split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  return out;
}

function kindOf(s: NsState, p: string): 'dir' | 'file' | undefined {
  return p === '/' ? 'dir' : s.get(p);
}

type Outcome = { out: NsOutput; next: NsState };

const fail = (s: NsState, error: string): Outcome => ({ out: { ok: false, error }, next: s });

/**
 * Namespace.parentFor: walk the ancestors; a missing one is created when recursive (else
 * FILE_DOES_NOT_EXIST), a file among them is INVALID_PATH. Returns the state with the created
 * ancestors, or the error.
 */
function parentFor(s: NsState, path: string, recursive: boolean): Map<string, 'dir' | 'file'> | string {
  let m: Map<string, 'dir' | 'file'> | undefined;
  for (const a of ancestors(path)) {
    const k = (m ?? s).get(a);
    if (k === undefined) {
      if (!recursive) return 'FILE_DOES_NOT_EXIST';
      m ??= new Map(s);
      m.set(a, 'dir');
    } else if (k === 'file') {
      return 'INVALID_PATH';
    }
  }
  return m ?? new Map(s);
}

/** The sequential semantics: what `input` returns in `s`, and the state after it. */
export function nsStep(s: NsState, input: NsInput): Outcome {
  switch (input.op) {
    case 'exists':
      return { out: { ok: true, value: kindOf(s, input.path) !== undefined }, next: s };
    case 'getStatus': {
      const k = kindOf(s, input.path);
      return k === undefined ? fail(s, 'FILE_DOES_NOT_EXIST') : { out: { ok: true, value: k }, next: s };
    }
    case 'mkdir': {
      // The master's pre-check and Namespace.mkdir agree: an existing path is FILE_ALREADY_EXISTS.
      if (kindOf(s, input.path) !== undefined) return fail(s, 'FILE_ALREADY_EXISTS');
      const m = parentFor(s, input.path, input.recursive);
      if (typeof m === 'string') return fail(s, m);
      m.set(input.path, 'dir');
      return { out: { ok: true }, next: m };
    }
    case 'createFile': {
      const parent = kindOf(s, parentOf(input.path));
      if (kindOf(s, input.path) !== undefined) return fail(s, 'FILE_ALREADY_EXISTS');
      if (parent === 'dir') {
        const m = new Map(s);
        m.set(input.path, 'file');
        return { out: { ok: true }, next: m };
      }
      const m = parentFor(s, input.path, input.recursive);
      if (typeof m === 'string') return fail(s, m);
      m.set(input.path, 'file');
      return { out: { ok: true }, next: m };
    }
    case 'delete': {
      const k = kindOf(s, input.path);
      if (input.path === '/') return fail(s, 'INVALID_PATH');
      if (k === undefined) return fail(s, 'FILE_DOES_NOT_EXIST');
      const under = [...s.keys()].filter((p) => p.startsWith(input.path + '/'));
      if (k === 'dir' && under.length > 0 && !input.recursive) return fail(s, 'DIRECTORY_NOT_EMPTY');
      const m = new Map(s);
      m.delete(input.path);
      for (const p of under) m.delete(p);
      return { out: { ok: true }, next: m };
    }
    case 'rename': {
      const { src, dst } = input;
      if (src === '/' || dst === '/') return fail(s, 'INVALID_PATH');
      if (kindOf(s, src) === undefined) return fail(s, 'FILE_DOES_NOT_EXIST');
      if (isUnder(dst, src)) return fail(s, 'INVALID_PATH');
      if (kindOf(s, dst) !== undefined) return fail(s, 'FILE_ALREADY_EXISTS');
      const np = kindOf(s, parentOf(dst));
      if (np === undefined) return fail(s, 'FILE_DOES_NOT_EXIST');
      if (np !== 'dir') return fail(s, 'INVALID_PATH');
      const m = new Map<string, 'dir' | 'file'>();
      for (const [p, k] of s) {
        if (p === src) m.set(dst, k);
        else if (p.startsWith(src + '/')) m.set(dst + p.slice(src.length), k);
        else m.set(p, k);
      }
      return { out: { ok: true }, next: m };
    }
  }
}

function sameOutput(a: NsOutput, b: NsOutput): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return (a as { error: string }).error === (b as { error: string }).error;
  // Writes report no comparable value; reads compare it.
  return a.value === undefined || b.value === undefined || a.value === b.value;
}

function pathsOf(i: NsInput): string[] {
  return i.op === 'rename' ? [i.src, i.dst] : [i.path];
}

/** The top-level component of a path ("/k1a/x" -> "k1a"). */
export function groupOf(p: string): string {
  return p.split('/')[1] ?? '';
}

export function describeNsOp(op: NsOp): string {
  const i = op.input;
  const args = i.op === 'rename' ? `${i.src} ${i.dst}` : `${i.path}${'recursive' in i && i.recursive ? ' -r' : ''}`;
  let out: string;
  if (op.ret === undefined || op.output === undefined) out = '? (unknown outcome)';
  else if (op.output.ok) out = op.output.value === undefined ? 'ok' : `ok ${String(op.output.value)}`;
  else out = op.output.error;
  return `${i.op} ${args} -> ${out}`;
}

export const nsModel: Model<NsState, NsInput, NsOutput> = {
  init: () => new Map(),
  step(state, input, output) {
    const { out, next } = nsStep(state, input);
    if (output !== undefined && !sameOutput(out, output)) return undefined;
    return next;
  },
  hash(state) {
    return [...state].map(([p, k]) => `${p}=${k === 'dir' ? 'd' : 'f'}`).sort().join(';');
  },
  partition(ops) {
    // Union-find over top-level groups; an operation joins the groups of all its paths.
    const parent = new Map<string, string>();
    const find = (g: string): string => {
      let r = g;
      while (parent.get(r) !== r) r = parent.get(r) ?? r;
      parent.set(g, r);
      return r;
    };
    for (const op of ops) {
      const gs = pathsOf(op.input).map(groupOf);
      for (const g of gs) if (!parent.has(g)) parent.set(g, g);
      for (const g of gs.slice(1)) parent.set(find(g), find(gs[0]!));
    }
    const parts = new Map<string, NsOp[]>();
    for (const op of ops) {
      const r = find(groupOf(pathsOf(op.input)[0]!));
      let list = parts.get(r);
      if (!list) parts.set(r, (list = []));
      list.push(op);
    }
    return [...parts.values()];
  },
  describeOp: describeNsOp,
};

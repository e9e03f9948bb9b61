/**
 * Loading, resolving and validating the configuration.
 *
 * Precedence, lowest to highest (a higher source replaces the whole value of a key):
 *
 *   1. DEFAULT         the schema defaults (src/conf/schema.ts); `alluxio.home` defaults to the
 *                      installation root the caller passes as `home`.
 *   2. SITE_PROPERTY   `<conf dir>/alluxio-site.properties`, if the file exists.
 *   3. ENVIRONMENT     environment variables (table below), shown as `ENVIRONMENT (<VAR>)`.
 *   4. SYSTEM_PROPERTY `-Dkey=value` flags on the command line.
 *   5. URI_AUTHORITY   overrides from an HA URI authority (or any `overridesSource` name), and
 *                      then each `Config.with(...)` layer on top.
 *
 * Environment variables (mirroring what Alluxio's libexec/alluxio-config.sh turns into -D flags):
 *
 *   ALLUXIO_HOME                         -> alluxio.home
 *   ALLUXIO_CONF_DIR                     -> alluxio.conf.dir
 *   ALLUXIO_LOGS_DIR                     -> alluxio.logs.dir
 *   ALLUXIO_USER_LOGS_DIR                -> alluxio.user.logs.dir
 *   ALLUXIO_MASTER_HOSTNAME              -> alluxio.master.hostname
 *   ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS  -> alluxio.master.mount.table.root.ufs
 *   ALLUXIO_UNDERFS_ADDRESS              -> same, deprecated (warning); the variable above wins
 *   ALLUXIO_RAM_FOLDER                   -> alluxio.worker.tieredstore.level0.alias=MEM and
 *                                           alluxio.worker.tieredstore.level0.dirs.path
 *   ALLUXIO_WORKER_MEMORY_SIZE           -> alluxio.worker.ramdisk.size
 *   ALLUXIO_WORKER_RAMDISK_SIZE          -> alluxio.worker.ramdisk.size (wins over the above)
 *   ALLUXIO_JAVA_OPTS                    -> every `-Dalluxio.*=value` word in it; the named
 *                                           variables above win over these
 *
 * Empty variables count as unset. ALLUXIO_MASTER_JAVA_OPTS and ALLUXIO_WORKER_JAVA_OPTS are not
 * read here (they belong to the process launcher).
 *
 * The conf dir is chosen before the site file is read: -Dalluxio.conf.dir, else ALLUXIO_CONF_DIR,
 * else `-Dalluxio.conf.dir` inside ALLUXIO_JAVA_OPTS, else the `confDir` option, else
 * `${alluxio.home}/conf`. A conf dir given explicitly must exist.
 *
 * `${key}` references are resolved when the config is built (so `get` never fails later); a
 * cycle or a reference to an unknown key is a problem. `${user.home}` is the user's home dir.
 * Every problem found is collected and thrown as ONE ConfigError.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseProperties } from './properties.js';
import { findSpec, isAbsolutePathOrUri, isAlias, KEYS, SCHEMA, splitList, typeProblem, type PropertySpec } from './schema.js';
import { didYouMean } from './suggest.js';
import { tryParseBytes, tryParseDuration, SIZE_HINT, DURATION_HINT } from './units.js';

export const SITE_FILE_NAME = 'alluxio-site.properties';

export interface LoadOptions {
  /** `-Dkey=value` flags from the command line (SYSTEM_PROPERTY). */
  flags?: Readonly<Record<string, string>>;
  /** Environment to read (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Installation root: the default of alluxio.home. */
  home: string;
  /** Conf dir to use when neither -Dalluxio.conf.dir nor ALLUXIO_CONF_DIR is set. */
  confDir?: string;
  /** Highest-precedence values, e.g. derived from a URI authority. */
  overrides?: Readonly<Record<string, string>>;
  /** Source name shown for `overrides` (default URI_AUTHORITY). */
  overridesSource?: string;
  /** Directory relative local paths from the environment and -D are resolved against (default process.cwd()). */
  cwd?: string;
}

/** One environment variable the loader reads, for docs and `validateConf`. */
export interface EnvMapping {
  readonly name: string;
  readonly keys: readonly string[];
  readonly note?: string;
}

const LEVEL0 = 'alluxio.worker.tieredstore.level0';

/** The named environment variables, lowest precedence first (ALLUXIO_JAVA_OPTS ranks below all). */
export const ENV_MAPPINGS: readonly EnvMapping[] = Object.freeze([
  { name: 'ALLUXIO_HOME', keys: ['alluxio.home'] },
  { name: 'ALLUXIO_CONF_DIR', keys: ['alluxio.conf.dir'] },
  { name: 'ALLUXIO_LOGS_DIR', keys: ['alluxio.logs.dir'] },
  { name: 'ALLUXIO_USER_LOGS_DIR', keys: ['alluxio.user.logs.dir'] },
  { name: 'ALLUXIO_MASTER_HOSTNAME', keys: ['alluxio.master.hostname'] },
  { name: 'ALLUXIO_UNDERFS_ADDRESS', keys: ['alluxio.master.mount.table.root.ufs'], note: 'deprecated; ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS wins' },
  { name: 'ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS', keys: ['alluxio.master.mount.table.root.ufs'] },
  { name: 'ALLUXIO_RAM_FOLDER', keys: [`${LEVEL0}.alias`, `${LEVEL0}.dirs.path`], note: 'sets the alias to MEM and the path to the value' },
  { name: 'ALLUXIO_WORKER_MEMORY_SIZE', keys: ['alluxio.worker.ramdisk.size'] },
  { name: 'ALLUXIO_WORKER_RAMDISK_SIZE', keys: ['alluxio.worker.ramdisk.size'], note: 'wins over ALLUXIO_WORKER_MEMORY_SIZE' },
]);

// ---- internal model --------------------------------------------------------------------------

type Kind = 'DEFAULT' | 'SITE' | 'ENV' | 'FLAG' | 'OVERRIDE';

interface Origin {
  readonly kind: Kind;
  /** What `source()` shows. */
  readonly source: string;
  /** Where a problem points: `file:line`, `-Dkey`, `ALLUXIO_X`, `URI_AUTHORITY`, `DEFAULT`. */
  readonly loc: string;
  /** Sort key of problems found at this origin. */
  readonly order: number;
}

interface Input {
  /** The key as written (may be an alias or unknown). */
  readonly key: string;
  readonly value: string;
  readonly origin: Origin;
}

interface Setting {
  readonly value: string;
  readonly origin: Origin;
}

interface BuildInput {
  readonly home: string;
  readonly confDir: string;
  readonly siteFile: string | undefined;
  /** Non-default inputs, lowest precedence first. */
  readonly inputs: readonly Input[];
  readonly problems: readonly Problem[];
  readonly warnings: readonly string[];
  readonly overrideLayers: number;
}

interface Problem {
  readonly order: number;
  readonly text: string;
}

const DEFAULT_ORIGIN: Origin = Object.freeze({ kind: 'DEFAULT', source: 'DEFAULT', loc: 'DEFAULT', order: 9e9 });
const ORDER = { confDir: 0, site: 1e9, env: 2e9, flag: 3e9, override: 4e9, defaults: 9e9, cross: 10e9 } as const;

const REF = /\$\{([^{}]*)\}/g;

// ---- gathering inputs --------------------------------------------------------------------------

function envInputs(env: NodeJS.ProcessEnv, warnings: string[]): Input[] {
  const out: Input[] = [];
  let n = 0;
  const origin = (name: string, loc = name): Origin => ({ kind: 'ENV', source: `ENVIRONMENT (${name})`, loc, order: ORDER.env + n++ });
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const javaOpts = get('ALLUXIO_JAVA_OPTS');
  if (javaOpts !== undefined) {
    for (const word of javaOpts.split(/\s+/)) {
      const m = /^-D(alluxio\.[^=]*)=(.*)$/s.exec(word);
      if (m) out.push({ key: m[1]!, value: m[2]!.trim(), origin: origin('ALLUXIO_JAVA_OPTS', `ALLUXIO_JAVA_OPTS -D${m[1]!}`) });
    }
  }
  for (const mapping of ENV_MAPPINGS) {
    const v = get(mapping.name);
    if (v === undefined) continue;
    if (mapping.name === 'ALLUXIO_UNDERFS_ADDRESS') {
      warnings.push('ALLUXIO_UNDERFS_ADDRESS is deprecated by ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS');
    }
    if (mapping.name === 'ALLUXIO_RAM_FOLDER') {
      const o = origin(mapping.name);
      out.push({ key: `${LEVEL0}.alias`, value: 'MEM', origin: o });
      out.push({ key: `${LEVEL0}.dirs.path`, value: v, origin: o });
      continue;
    }
    out.push({ key: mapping.keys[0]!, value: v, origin: origin(mapping.name) });
  }
  return out;
}

function flagInputs(flags: Readonly<Record<string, string>>): Input[] {
  return Object.entries(flags).map(([key, value], i) => ({
    key, value: value.trim(),
    origin: { kind: 'FLAG', source: 'SYSTEM_PROPERTY', loc: `-D${key}`, order: ORDER.flag + i },
  }));
}

/**
 * A relative value of a local-path key (schema `localPath`) from the environment or -D, resolved
 * against `cwd` as a shell user expects (each item of a list). Values starting with `${` (absolute
 * once expanded) and URIs stay as written; in the site file a relative path stays a problem.
 */
function resolveLocalPaths(inputs: Input[], cwd: string): Input[] {
  const one = (v: string): string =>
    v === '' || v.startsWith('${') || isAbsolutePathOrUri(v) ? v : path.resolve(cwd, v);
  return inputs.map((i) => {
    const spec = findSpec(i.key);
    if (!spec?.localPath) return i;
    if (spec.type !== 'list') { const value = one(i.value); return value === i.value ? i : { ...i, value }; }
    const items = splitList(i.value);
    return items.every((v) => one(v) === v) ? i : { ...i, value: items.map(one).join(',') };
  });
}

function overrideInputs(values: Readonly<Record<string, string>>, sourceName: string, layer: number): Input[] {
  return Object.entries(values).map(([key, value], i) => ({
    key, value: value.trim(),
    origin: { kind: 'OVERRIDE', source: sourceName, loc: sourceName, order: ORDER.override + layer * 1e6 + i },
  }));
}

/** Replace `${alluxio.home}` and `${user.home}` (all that can be known before the site file). */
function expandEarly(v: string, home: string): string {
  return v.replace(REF, (whole, ref: string) =>
    ref === 'alluxio.home' ? home : ref === 'user.home' ? os.homedir() : whole);
}

function lastFor(inputs: readonly Input[], key: string): Input | undefined {
  for (let i = inputs.length - 1; i >= 0; i--) if (inputs[i]!.key === key) return inputs[i];
  return undefined;
}

/** Load the configuration. Throws one ConfigError listing every problem found. */
export function loadConfig(opts: LoadOptions): Config {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const problems: Problem[] = [];
  const cwd = opts.cwd ?? process.cwd();
  const envIn = resolveLocalPaths(envInputs(env, warnings), cwd);
  const flagIn = resolveLocalPaths(flagInputs(opts.flags ?? {}), cwd);
  const early = [...envIn, ...flagIn];

  // alluxio.home and the conf dir, from everything except the site file
  const homeIn = lastFor(early, 'alluxio.home');
  const home = homeIn ? expandEarly(homeIn.value, opts.home) : path.resolve(opts.home);
  const confIn = lastFor(early, 'alluxio.conf.dir');
  const explicitConf = confIn !== undefined ? expandEarly(confIn.value, home) : opts.confDir;
  const confDir = path.resolve(explicitConf ?? path.join(home, 'conf'));
  if (explicitConf !== undefined) {
    const by = confIn ? confIn.origin.loc : 'the confDir option';
    let isDir: boolean | undefined;
    try { isDir = statSync(confDir).isDirectory(); } catch { isDir = undefined; }
    if (isDir === undefined) problems.push({ order: ORDER.confDir, text: `configuration directory ${confDir} does not exist (set by ${by})` });
    else if (!isDir) problems.push({ order: ORDER.confDir, text: `configuration directory ${confDir} is not a directory (set by ${by})` });
  }

  // the site file
  const file = path.join(confDir, SITE_FILE_NAME);
  let siteFile: string | undefined;
  const siteIn: Input[] = [];
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      problems.push({ order: ORDER.site, text: `${file}: cannot read the file (${code ?? String(e)})` });
    }
  }
  if (text !== undefined) {
    siteFile = file;
    const parsed = parseProperties(text, file);
    for (const p of parsed.problems) {
      const line = Number(/:(\d+): /.exec(p.slice(file.length))?.[1] ?? 0);
      problems.push({ order: ORDER.site + line, text: p });
    }
    for (const e of parsed.entries) {
      siteIn.push({
        key: e.key, value: e.value,
        origin: { kind: 'SITE', source: `SITE_PROPERTY (${file}:${e.line})`, loc: `${file}:${e.line}`, order: ORDER.site + e.line },
      });
    }
  }

  const inputs = [...siteIn, ...envIn, ...flagIn];
  let layers = 0;
  if (opts.overrides && Object.keys(opts.overrides).length > 0) {
    inputs.push(...overrideInputs(opts.overrides, opts.overridesSource ?? 'URI_AUTHORITY', layers++));
  }
  return build({ home: path.resolve(opts.home), confDir, siteFile, inputs, problems, warnings, overrideLayers: layers });
}

// ---- building ------------------------------------------------------------------------------

class ResolveFailure extends Error {
  constructor(readonly id: string, readonly text: string, readonly order: number) { super(text); }
}

function build(input: BuildInput): Config {
  const problems: Problem[] = [...input.problems];
  const warnings: string[] = [...input.warnings];
  const bad = new Set<string>();

  // 1. defaults, then every input in precedence order
  const settings = new Map<string, Setting>();
  for (const spec of SCHEMA) settings.set(spec.key, { value: spec.default ?? '', origin: DEFAULT_ORIGIN });
  settings.set('alluxio.home', { value: input.home, origin: DEFAULT_ORIGIN });
  settings.set('alluxio.conf.dir', { value: input.confDir, origin: DEFAULT_ORIGIN });

  for (const inp of input.inputs) {
    const { key, value, origin } = inp;
    if (key === '') {
      problems.push({ order: origin.order, text: `${origin.loc}: missing property name before "${value}"` });
      continue;
    }
    const spec = findSpec(key);
    if (!spec) {
      problems.push({ order: origin.order, text: `${origin.loc}: unknown property "${key}"${didYouMean(key, KEYS)}` });
      continue;
    }
    if (origin.kind === 'SITE' && spec.key === 'alluxio.conf.dir') {
      problems.push({
        order: origin.order,
        text: `${origin.loc}: alluxio.conf.dir cannot be set in ${SITE_FILE_NAME} (the file is found through it); set ALLUXIO_CONF_DIR or -Dalluxio.conf.dir instead`,
      });
      continue;
    }
    if (isAlias(key)) warnings.push(`${origin.loc}: ${key} is deprecated; use ${spec.key}`);
    settings.set(spec.key, { value, origin });
  }

  // 2. empty values where the key needs one
  for (const [key, s] of settings) {
    if (s.origin.kind === 'DEFAULT' || s.value !== '') continue;
    const spec = findSpec(key)!;
    if ((spec.default ?? '') !== '') {
      problems.push({ order: s.origin.order, text: `${s.origin.loc}: ${key} must not be empty` });
      bad.add(key);
    }
  }

  // 3. resolve ${...} references
  const resolved = new Map<string, string>();
  const failed = new Map<string, ResolveFailure>();
  const deps = new Map<string, string[]>();
  const reported = new Set<string>();

  const resolve = (key: string, stack: string[]): string => {
    const done = resolved.get(key);
    if (done !== undefined) return done;
    const f = failed.get(key);
    if (f) throw f;
    const at = stack.indexOf(key);
    if (at >= 0) throw cycleFailure([...stack.slice(at), key], settings);
    const s = settings.get(key)!;
    const refs: string[] = [];
    deps.set(key, refs);
    try {
      const v = s.value.includes('${') ? s.value.replace(REF, (_whole, ref: string) => {
        if (ref === 'user.home') return os.homedir();
        const spec = findSpec(ref);
        if (!spec) {
          throw new ResolveFailure(`ref:${key}:${ref}`,
            `${s.origin.loc}: ${key}: "${s.value}" refers to unknown property "${ref}"${didYouMean(ref, KEYS)}`, s.origin.order);
        }
        refs.push(spec.key);
        return resolve(spec.key, [...stack, key]);
      }) : s.value;
      resolved.set(key, v);
      return v;
    } catch (e) {
      if (e instanceof ResolveFailure) failed.set(key, e);
      throw e;
    }
  };
  for (const key of KEYS) {
    try { resolve(key, []); } catch (e) {
      if (!(e instanceof ResolveFailure)) throw e;
      bad.add(key);
      if (!reported.has(e.id)) { reported.add(e.id); problems.push({ order: e.order, text: e.text }); }
    }
  }

  // 4. type checks on resolved values, skipping keys whose references are already wrong
  const checked = new Map<string, boolean>();
  const isBad = (key: string): boolean => {
    const memo = checked.get(key);
    if (memo !== undefined) return memo;
    checked.set(key, true); // guards against cycles (already reported)
    let result = bad.has(key);
    for (const d of deps.get(key) ?? []) if (isBad(d)) result = true;
    if (!result) {
      const spec = findSpec(key)!;
      const s = settings.get(key)!;
      const v = resolved.get(key)!;
      const unsetOk = v === '' && (spec.default ?? '') === '';
      const phrase = unsetOk ? undefined : typeProblem(spec, v);
      if (phrase !== undefined) {
        const from = s.value !== v ? ` (from "${s.value}")` : '';
        problems.push({ order: s.origin.order, text: `${s.origin.loc}: ${key}: "${v}" ${phrase}${from}` });
        result = true;
      }
    }
    checked.set(key, result);
    return result;
  };
  for (const key of KEYS) if (isBad(key)) bad.add(key);

  // 5. rules across keys
  crossKeyRules(settings, resolved, bad, problems, warnings);

  if (problems.length > 0) {
    const sorted = problems.map((p, i) => ({ ...p, i })).sort((a, b) => a.order - b.order || a.i - b.i);
    throw new ConfigError(sorted.map((p) => p.text));
  }
  return new Config(input, settings, resolved, warnings);
}

function cycleFailure(chain: string[], settings: ReadonlyMap<string, Setting>): ResolveFailure {
  const members = chain.slice(0, -1);
  // start the chain at a key somebody set (that is where the fix goes), else at the smallest key
  let start = members.findIndex((k) => settings.get(k)!.origin.kind !== 'DEFAULT');
  if (start < 0) start = members.indexOf([...members].sort()[0]!);
  const rotated = [...members.slice(start), ...members.slice(0, start)];
  const origin = settings.get(rotated[0]!)!.origin;
  return new ResolveFailure(`cycle:${[...members].sort().join(',')}`,
    `${origin.loc}: circular reference: ${[...rotated, rotated[0]!].join(' -> ')}`, origin.order);
}

function crossKeyRules(
  settings: ReadonlyMap<string, Setting>, resolved: ReadonlyMap<string, string>,
  bad: ReadonlySet<string>, problems: Problem[], warnings: string[],
): void {
  let seq = 0;
  const add = (text: string): void => { problems.push({ order: ORDER.cross + seq++, text }); };
  const ok = (...keys: string[]): boolean => keys.every((k) => !bad.has(k));
  const val = (k: string): string => resolved.get(k) ?? '';
  const where = (k: string): string => settings.get(k)!.origin.loc;
  const from = (...keys: string[]): string => ` (from ${[...new Set(keys.map(where))].join(' and ')})`;
  const ms = (k: string): number => tryParseDuration(val(k)) ?? NaN;

  const lessThan = (a: string, b: string, num: (k: string) => number): void => {
    if (ok(a, b) && !(num(a) < num(b))) add(`${a}=${val(a)} must be less than ${b}=${val(b)}${from(a, b)}`);
  };

  const EJ = 'alluxio.master.embedded.journal';
  lessThan(`${EJ}.election.timeout.min`, `${EJ}.election.timeout.max`, ms);
  lessThan(`${EJ}.heartbeat.interval`, `${EJ}.election.timeout.min`, ms);

  // ports of one process must differ (0 means "any free port")
  const distinct = (keys: string[]): void => {
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const a = keys[i]!;
        const b = keys[j]!;
        if (ok(a, b) && val(a) !== '0' && Number(val(a)) === Number(val(b))) add(`${a} and ${b} are both ${val(a)}${from(a, b)}`);
      }
    }
  };
  distinct(['alluxio.master.rpc.port', 'alluxio.master.web.port', `${EJ}.port`]);
  distinct(['alluxio.worker.rpc.port', 'alluxio.worker.web.port']);

  // ZooKeeper mode
  const ZK = 'alluxio.zookeeper.enabled';
  if (ok(ZK) && val(ZK).toLowerCase() === 'true') {
    if (ok('alluxio.zookeeper.address') && splitList(val('alluxio.zookeeper.address')).length === 0) {
      add(`${ZK}=true requires alluxio.zookeeper.address to be set${from(ZK)}; name the ensemble, e.g. alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181`);
    }
    const JT = 'alluxio.master.journal.type';
    if (ok(JT) && val(JT).toUpperCase() !== 'UFS') {
      add(`${ZK}=true requires ${JT}=UFS, but it is ${val(JT).toUpperCase()}${from(ZK, JT)}; ${val(JT).toUpperCase() === 'EMBEDDED'
        ? 'ZooKeeper election and the embedded journal cannot work together (the embedded journal elects its leader itself by Raft)'
        : 'a new leader elected by ZooKeeper must replay the journal its predecessor wrote'}: set ${JT}=UFS with an alluxio.master.journal.folder every master shares, or ${ZK}=false`);
    }
  }

  // tiered storage
  const LEVELS = 'alluxio.worker.tieredstore.levels';
  const levels = ok(LEVELS) ? Number(val(LEVELS)) : undefined;
  const aliasSeen = new Map<string, string>();
  for (let i = 0; i < 3; i++) {
    const p = `alluxio.worker.tieredstore.level${i}`;
    lessThan(`${p}.watermark.low.ratio`, `${p}.watermark.high.ratio`, (k) => Number(val(k)));
    if (levels === undefined) continue;
    const pathKey = `${p}.dirs.path`;
    if (i >= levels) {
      if (settings.get(pathKey)!.origin.kind !== 'DEFAULT' && val(pathKey) !== '') {
        warnings.push(`${pathKey} is set but ${LEVELS}=${levels}, so tier ${i} is not used${from(pathKey, LEVELS)}`);
      }
      continue;
    }
    if (!ok(pathKey)) continue;
    const paths = splitList(val(pathKey));
    if (paths.length === 0) {
      add(`${LEVELS}=${levels} requires ${pathKey} to be set${from(LEVELS, pathKey)}`);
      continue;
    }
    for (const what of ['quota', 'mediumtype']) {
      const k = `${p}.dirs.${what}`;
      const n = splitList(val(k)).length;
      if (ok(k) && n > 1 && n !== paths.length) {
        add(`${k} has ${n} entries but ${pathKey} has ${paths.length}; give one per path, or a single value for all${from(k, pathKey)}`);
      }
    }
    const aliasKey = `${p}.alias`;
    const alias = val(aliasKey).toUpperCase();
    const first = aliasSeen.get(alias);
    if (first !== undefined && ok(aliasKey, first)) add(`${first} and ${aliasKey} are both ${alias}${from(first, aliasKey)}`);
    else aliasSeen.set(alias, aliasKey);
  }
}

// ---- the frozen result -----------------------------------------------------------------------

/** The resolved, validated configuration. Immutable; derive variants with `with()`. */
export class Config {
  /** Absolute conf dir that was used to find the site file. */
  readonly confDir: string;
  /** Absolute path of the site file, when it existed. */
  readonly siteFile: string | undefined;
  /** Deprecations and other non-fatal remarks, one line each. */
  readonly warnings: readonly string[];
  readonly #input: BuildInput;
  readonly #settings: ReadonlyMap<string, Setting>;
  readonly #resolved: ReadonlyMap<string, string>;

  /** @internal Use loadConfig() or Config.with(). */
  constructor(input: BuildInput, settings: ReadonlyMap<string, Setting>, resolved: ReadonlyMap<string, string>, warnings: readonly string[]) {
    this.confDir = input.confDir;
    this.siteFile = input.siteFile;
    this.warnings = Object.freeze([...warnings]);
    this.#input = input;
    this.#settings = settings;
    this.#resolved = resolved;
    Object.freeze(this);
  }

  #spec(key: string): PropertySpec {
    const spec = findSpec(key);
    if (!spec) throw new ConfigError(`${key} is not a valid configuration key`);
    return spec;
  }

  #bad(key: string, v: string, phrase: string): ConfigError {
    return new ConfigError(`${key}: "${v}" ${phrase}`);
  }

  /** The resolved value ('' when unset). Aliases resolve to the canonical key. */
  get(key: string): string {
    return this.#resolved.get(this.#spec(key).key) ?? '';
  }

  getInt(key: string): number {
    const v = this.get(key);
    if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw this.#bad(key, v, 'is not an integer');
    return Number(v);
  }

  /** A port number; 0 (any free port) is allowed. */
  getPort(key: string): number {
    const v = this.get(key);
    const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!(n >= 0 && n <= 65535)) throw this.#bad(key, v, 'is not a valid port (1-65535)');
    return n;
  }

  getBool(key: string): boolean {
    const v = this.get(key);
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    throw this.#bad(key, v, 'is not a boolean (true or false)');
  }

  getBytes(key: string): number {
    const v = this.get(key);
    const n = tryParseBytes(v);
    if (n === undefined) throw this.#bad(key, v, SIZE_HINT);
    return n;
  }

  /** A duration in milliseconds. */
  getMs(key: string): number {
    const v = this.get(key);
    const n = tryParseDuration(v);
    if (n === undefined) throw this.#bad(key, v, DURATION_HINT);
    return n;
  }

  getDouble(key: string): number {
    const v = this.get(key);
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n)) throw this.#bad(key, v, 'is not a number');
    return n;
  }

  /** Items split on `,` and `;`, trimmed, empty items dropped. */
  getList(key: string): string[] {
    return splitList(this.get(key));
  }

  /** An enum value, upper-cased. */
  getEnum(key: string): string {
    return this.get(key).toUpperCase();
  }

  /** True when a non-default source set the key, or its default is not empty. */
  isSet(key: string): boolean {
    const s = this.#settings.get(this.#spec(key).key)!;
    return s.origin.kind !== 'DEFAULT' || s.value !== '';
  }

  /** DEFAULT, `SITE_PROPERTY (<file>:<line>)`, `ENVIRONMENT (<VAR>)`, SYSTEM_PROPERTY or an override source name. */
  source(key: string): string {
    return this.#settings.get(this.#spec(key).key)!.origin.source;
  }

  /** The value as written, before `${...}` substitution. */
  rawValue(key: string): string {
    return this.#settings.get(this.#spec(key).key)!.value;
  }

  /** Every known key, sorted. */
  keys(): string[] {
    return [...KEYS];
  }

  /** A new Config with `overrides` above everything else, validated the same way. */
  with(overrides: Readonly<Record<string, string>>, sourceName = 'URI_AUTHORITY'): Config {
    const input = this.#input;
    return build({
      ...input,
      inputs: [...input.inputs, ...overrideInputs(overrides, sourceName, input.overrideLayers)],
      overrideLayers: input.overrideLayers + 1,
    });
  }

  /** Every value not from DEFAULT, as written: pass them to a child process as -D flags. */
  toFlags(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of KEYS) {
      const s = this.#settings.get(key)!;
      if (s.origin.kind !== 'DEFAULT') out[key] = s.value;
    }
    return out;
  }
}

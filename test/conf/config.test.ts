import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { loadConfig, KEYS, SCHEMA } from '../../src/conf/index.js';
import { load, loadProblems, makeHome, problemsOf } from './helpers.js';

const HOST = 'alluxio.master.hostname';

// ---- precedence ----------------------------------------------------------------------------

type Layers = { site?: boolean; env?: boolean; flag?: boolean; override?: boolean; with?: boolean };
const PRECEDENCE: Array<[name: string, layers: Layers, value: string, source: (file: string) => string]> = [
  ['default only', {}, '', () => 'DEFAULT'],
  ['site over default', { site: true }, 'from-site', (f) => `SITE_PROPERTY (${f}:2)`],
  ['env over site', { site: true, env: true }, 'from-env', () => 'ENVIRONMENT (ALLUXIO_MASTER_HOSTNAME)'],
  ['-D over env', { site: true, env: true, flag: true }, 'from-flag', () => 'SYSTEM_PROPERTY'],
  ['-D over site', { site: true, flag: true }, 'from-flag', () => 'SYSTEM_PROPERTY'],
  ['overrides over -D', { site: true, env: true, flag: true, override: true }, 'from-uri', () => 'URI_AUTHORITY'],
  ['with() over everything', { site: true, env: true, flag: true, override: true, with: true }, 'from-with', () => 'RUNTIME'],
];
for (const [name, l, value, source] of PRECEDENCE) {
  test(`precedence: ${name}`, () => {
    const { conf: base, file } = load(l.site ? `# comment\n${HOST}=from-site\n` : undefined, {
      env: l.env ? { ALLUXIO_MASTER_HOSTNAME: 'from-env' } : {},
      flags: l.flag ? { [HOST]: 'from-flag' } : {},
      ...(l.override ? { overrides: { [HOST]: 'from-uri' } } : {}),
    });
    const conf = l.with ? base.with({ [HOST]: 'from-with' }, 'RUNTIME') : base;
    assert.equal(conf.get(HOST), value);
    assert.equal(conf.source(HOST), source(file));
  });
}

test('precedence: overridesSource names the override layer', () => {
  const { conf } = load(undefined, { overrides: { [HOST]: 'h' }, overridesSource: 'URI_AUTHORITY (alluxio://h:19998/)' });
  assert.equal(conf.source(HOST), 'URI_AUTHORITY (alluxio://h:19998/)');
});

test('precedence: a later with() layer wins over an earlier one; the base is unchanged', () => {
  const { conf } = load(undefined);
  const a = conf.with({ [HOST]: 'a' });
  const b = a.with({ [HOST]: 'b' }, 'SECOND');
  assert.deepEqual([conf.get(HOST), a.get(HOST), b.get(HOST)], ['', 'a', 'b']);
  assert.deepEqual([a.source(HOST), b.source(HOST)], ['URI_AUTHORITY', 'SECOND']);
});

test('with() validates like loading does', () => {
  const { conf } = load(undefined);
  assert.deepEqual(problemsOf(() => conf.with({ 'alluxio.master.rpc.addreses': 'h:1', 'alluxio.master.rpc.port': 'x' })), [
    'URI_AUTHORITY: unknown property "alluxio.master.rpc.addreses" (did you mean "alluxio.master.rpc.addresses"?)',
    'URI_AUTHORITY: alluxio.master.rpc.port: "x" is not a valid port (1-65535)',
  ]);
});

test('defaults: Alluxio names and values', () => {
  const { conf, home } = load(undefined);
  const want: Record<string, string> = {
    'alluxio.home': home,
    'alluxio.work.dir': home,
    'alluxio.conf.dir': path.join(home, 'conf'),
    'alluxio.logs.dir': `${home}/logs`,
    'alluxio.run.dir': `${home}/run`,
    'alluxio.master.hostname': '',
    'alluxio.master.rpc.port': '19998',
    'alluxio.master.web.port': '19999',
    'alluxio.master.embedded.journal.port': '19200',
    'alluxio.worker.rpc.port': '29999',
    'alluxio.worker.web.port': '30000',
    'alluxio.master.journal.type': 'EMBEDDED',
    'alluxio.master.journal.folder': `${home}/journal`,
    'alluxio.master.mount.table.root.ufs': `${home}/underFSStorage`,
    'alluxio.master.embedded.journal.election.timeout.min': '300ms',
    'alluxio.master.embedded.journal.election.timeout.max': '600ms',
    'alluxio.user.file.writetype.default': 'ASYNC_THROUGH',
    'alluxio.user.file.readtype.default': 'CACHE',
    'alluxio.user.block.size.bytes.default': '64MB',
    'alluxio.worker.tieredstore.level0.dirs.path': '/mnt/ramdisk',
    'alluxio.worker.tieredstore.level0.dirs.mediumtype': 'MEM',
    'alluxio.worker.tieredstore.level0.dirs.quota': conf.get('alluxio.worker.ramdisk.size'),
    'alluxio.worker.block.heartbeat.timeout': '1hour',
    'alluxio.zookeeper.enabled': 'false',
    'alluxio.zookeeper.election.path': '/alluxio/election',
    'alluxio.standby.master.web.enabled': 'true',
  };
  for (const [k, v] of Object.entries(want)) assert.equal(conf.get(k), v, k);
  assert.equal(conf.siteFile, undefined);
  assert.equal(conf.confDir, path.join(home, 'conf'));
  const mb = Math.floor((os.totalmem() * 2) / 3 / 1048576);
  assert.equal(conf.get('alluxio.worker.ramdisk.size'), `${mb}MB`);
});

test('schema: every key is unique and every default passes its own type check', () => {
  assert.equal(new Set(SCHEMA.map((s) => s.key)).size, SCHEMA.length);
  assert.deepEqual(KEYS, [...KEYS].sort());
  const { conf } = load(undefined);
  assert.deepEqual(conf.keys(), KEYS);
});

// ---- environment -----------------------------------------------------------------------------

const LEVEL0 = 'alluxio.worker.tieredstore.level0';
const ENV: Array<[name: string, env: Record<string, string>, want: Record<string, [value: string, source: string]>, warnings?: string[]]> = [
  ['ALLUXIO_MASTER_HOSTNAME', { ALLUXIO_MASTER_HOSTNAME: 'm1' }, { [HOST]: ['m1', 'ENVIRONMENT (ALLUXIO_MASTER_HOSTNAME)'] }],
  ['ALLUXIO_LOGS_DIR', { ALLUXIO_LOGS_DIR: '/var/log/alluxio' }, {
    'alluxio.logs.dir': ['/var/log/alluxio', 'ENVIRONMENT (ALLUXIO_LOGS_DIR)'],
    'alluxio.user.logs.dir': ['/var/log/alluxio/user', 'DEFAULT'],
  }],
  ['ALLUXIO_USER_LOGS_DIR', { ALLUXIO_USER_LOGS_DIR: '/tmp/u' }, { 'alluxio.user.logs.dir': ['/tmp/u', 'ENVIRONMENT (ALLUXIO_USER_LOGS_DIR)'] }],
  ['ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS', { ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS: '/shared/ufs' }, {
    'alluxio.master.mount.table.root.ufs': ['/shared/ufs', 'ENVIRONMENT (ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS)'],
  }],
  ['ALLUXIO_UNDERFS_ADDRESS is deprecated', { ALLUXIO_UNDERFS_ADDRESS: '/old/ufs' }, {
    'alluxio.master.mount.table.root.ufs': ['/old/ufs', 'ENVIRONMENT (ALLUXIO_UNDERFS_ADDRESS)'],
  }, ['ALLUXIO_UNDERFS_ADDRESS is deprecated by ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS']],
  ['ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS wins over ALLUXIO_UNDERFS_ADDRESS', {
    ALLUXIO_UNDERFS_ADDRESS: '/old/ufs', ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS: '/new/ufs',
  }, { 'alluxio.master.mount.table.root.ufs': ['/new/ufs', 'ENVIRONMENT (ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS)'] },
  ['ALLUXIO_UNDERFS_ADDRESS is deprecated by ALLUXIO_MASTER_MOUNT_TABLE_ROOT_UFS']],
  ['ALLUXIO_RAM_FOLDER sets tier 0 alias and path', { ALLUXIO_RAM_FOLDER: '/dev/shm/alluxio' }, {
    [`${LEVEL0}.alias`]: ['MEM', 'ENVIRONMENT (ALLUXIO_RAM_FOLDER)'],
    [`${LEVEL0}.dirs.path`]: ['/dev/shm/alluxio', 'ENVIRONMENT (ALLUXIO_RAM_FOLDER)'],
    [`${LEVEL0}.dirs.mediumtype`]: ['MEM', 'DEFAULT'],
  }],
  ['ALLUXIO_WORKER_MEMORY_SIZE', { ALLUXIO_WORKER_MEMORY_SIZE: '2GB' }, {
    'alluxio.worker.ramdisk.size': ['2GB', 'ENVIRONMENT (ALLUXIO_WORKER_MEMORY_SIZE)'],
    [`${LEVEL0}.dirs.quota`]: ['2GB', 'DEFAULT'],
  }],
  ['ALLUXIO_WORKER_RAMDISK_SIZE wins over ALLUXIO_WORKER_MEMORY_SIZE', { ALLUXIO_WORKER_MEMORY_SIZE: '2GB', ALLUXIO_WORKER_RAMDISK_SIZE: '3GB' }, {
    'alluxio.worker.ramdisk.size': ['3GB', 'ENVIRONMENT (ALLUXIO_WORKER_RAMDISK_SIZE)'],
  }],
  ['-D words in ALLUXIO_JAVA_OPTS; other words ignored', {
    ALLUXIO_JAVA_OPTS: '-Xmx2g -Djava.net.preferIPv4Stack=true  -Dalluxio.master.rpc.port=29998 -Dalluxio.user.file.readtype.default=NO_CACHE',
  }, {
    'alluxio.master.rpc.port': ['29998', 'ENVIRONMENT (ALLUXIO_JAVA_OPTS)'],
    'alluxio.user.file.readtype.default': ['NO_CACHE', 'ENVIRONMENT (ALLUXIO_JAVA_OPTS)'],
  }],
  ['named variables win over ALLUXIO_JAVA_OPTS', { ALLUXIO_JAVA_OPTS: '-Dalluxio.master.hostname=a', ALLUXIO_MASTER_HOSTNAME: 'b' }, {
    [HOST]: ['b', 'ENVIRONMENT (ALLUXIO_MASTER_HOSTNAME)'],
  }],
  ['empty variables are unset', { ALLUXIO_MASTER_HOSTNAME: '', ALLUXIO_RAM_FOLDER: '  ' }, {
    [HOST]: ['', 'DEFAULT'], [`${LEVEL0}.dirs.path`]: ['/mnt/ramdisk', 'DEFAULT'],
  }],
  ['ALLUXIO_MASTER_JAVA_OPTS is not read', { ALLUXIO_MASTER_JAVA_OPTS: '-Dalluxio.master.hostname=x' }, { [HOST]: ['', 'DEFAULT'] }],
];
for (const [name, env, want, warnings = []] of ENV) {
  test(`environment: ${name}`, () => {
    const { conf } = load(undefined, { env });
    for (const [k, [v, s]] of Object.entries(want)) {
      assert.equal(conf.get(k), v, k);
      assert.equal(conf.source(k), s, k);
    }
    assert.deepEqual(conf.warnings, warnings);
  });
}

test('environment: ALLUXIO_HOME moves every ${alluxio.home}-based default and the conf dir', () => {
  const other = makeHome('alluxio.master.hostname=from-other-home\n');
  const { conf } = load('alluxio.master.hostname=from-install\n', { env: { ALLUXIO_HOME: other.home } });
  assert.equal(conf.get('alluxio.home'), other.home);
  assert.equal(conf.source('alluxio.home'), 'ENVIRONMENT (ALLUXIO_HOME)');
  assert.equal(conf.get('alluxio.master.journal.folder'), `${other.home}/journal`);
  assert.equal(conf.confDir, other.confDir);
  assert.equal(conf.get(HOST), 'from-other-home');
});

test('environment: unknown alluxio key in ALLUXIO_JAVA_OPTS is a problem', () => {
  const { problems } = loadProblems(undefined, { env: { ALLUXIO_JAVA_OPTS: '-Dalluxio.master.rpc.prot=1 -Dfoo.bar=2' } });
  assert.deepEqual(problems, [
    'ALLUXIO_JAVA_OPTS -Dalluxio.master.rpc.prot: unknown property "alluxio.master.rpc.prot" (did you mean "alluxio.master.rpc.port"?)',
  ]);
});

// ---- conf dir ------------------------------------------------------------------------------

test('conf dir: ALLUXIO_CONF_DIR is where the site file is read', () => {
  const other = makeHome('alluxio.master.hostname=elsewhere\n');
  const { conf } = load(`${HOST}=here\n`, { env: { ALLUXIO_CONF_DIR: other.confDir } });
  assert.equal(conf.get(HOST), 'elsewhere');
  assert.equal(conf.confDir, other.confDir);
  assert.equal(conf.siteFile, other.file);
  assert.equal(conf.get('alluxio.conf.dir'), other.confDir);
  assert.equal(conf.source('alluxio.conf.dir'), 'ENVIRONMENT (ALLUXIO_CONF_DIR)');
  assert.equal(conf.source(HOST), `SITE_PROPERTY (${other.file}:1)`);
});

test('conf dir: -Dalluxio.conf.dir wins over ALLUXIO_CONF_DIR; the confDir option is the fallback', () => {
  const a = makeHome('alluxio.master.hostname=a\n');
  const b = makeHome('alluxio.master.hostname=b\n');
  const c = makeHome('alluxio.master.hostname=c\n');
  assert.equal(load(undefined, { env: { ALLUXIO_CONF_DIR: a.confDir }, flags: { 'alluxio.conf.dir': b.confDir }, confDir: c.confDir }).conf.get(HOST), 'b');
  assert.equal(load(undefined, { env: { ALLUXIO_CONF_DIR: a.confDir }, confDir: c.confDir }).conf.get(HOST), 'a');
  const { conf } = load(undefined, { confDir: c.confDir });
  assert.deepEqual([conf.get(HOST), conf.confDir, conf.get('alluxio.conf.dir'), conf.source('alluxio.conf.dir')], ['c', c.confDir, c.confDir, 'DEFAULT']);
});

test('conf dir: an explicit conf dir that does not exist is a problem; a missing default one is not', () => {
  const missing = path.join(os.tmpdir(), 'alluxio-no-such-conf-dir');
  assert.deepEqual(loadProblems(undefined, { env: { ALLUXIO_CONF_DIR: missing } }).problems, [
    `configuration directory ${missing} does not exist (set by ALLUXIO_CONF_DIR)`,
  ]);
  assert.deepEqual(loadProblems(undefined, { flags: { 'alluxio.conf.dir': missing } }).problems, [
    `configuration directory ${missing} does not exist (set by -Dalluxio.conf.dir)`,
  ]);
  assert.deepEqual(loadProblems(undefined, { confDir: missing }).problems, [
    `configuration directory ${missing} does not exist (set by the confDir option)`,
  ]);
  const h = makeHome();
  fs.rmSync(h.confDir, { recursive: true });
  assert.equal(loadConfig({ home: h.home, env: {} }).get('alluxio.master.rpc.port'), '19998');
});

// A relative local path from the environment or -D is resolved against the current directory
// (issue #16: `ALLUXIO_CONF_DIR=.quickstart/conf bin/alluxio-stop.sh local` failed); in the site
// file it stays a problem (a server's current directory is not the operator's), and paths that are
// not local directories (ZooKeeper nodes, the worker's data folder under each tier dir) are not touched.
const RELATIVE: Array<[name: string, opts: (cwd: string) => { env?: Record<string, string>; flags?: Record<string, string> }, key: string, want: (cwd: string) => string]> = [
  ['ALLUXIO_CONF_DIR', () => ({ env: { ALLUXIO_CONF_DIR: 'conf' } }), 'alluxio.conf.dir', (cwd) => path.join(cwd, 'conf')],
  ['ALLUXIO_CONF_DIR ./x/../conf', () => ({ env: { ALLUXIO_CONF_DIR: './x/../conf' } }), 'alluxio.conf.dir', (cwd) => path.join(cwd, 'conf')],
  ['-Dalluxio.conf.dir', () => ({ flags: { 'alluxio.conf.dir': 'conf' } }), 'alluxio.conf.dir', (cwd) => path.join(cwd, 'conf')],
  ['ALLUXIO_LOGS_DIR', () => ({ env: { ALLUXIO_LOGS_DIR: 'logs' } }), 'alluxio.logs.dir', (cwd) => path.join(cwd, 'logs')],
  ['ALLUXIO_JAVA_OPTS -Dalluxio.work.dir', () => ({ env: { ALLUXIO_JAVA_OPTS: '-Dalluxio.work.dir=work' } }), 'alluxio.work.dir', (cwd) => path.join(cwd, 'work')],
  ['-D journal folder', () => ({ flags: { 'alluxio.master.journal.folder': 'j' } }), 'alluxio.master.journal.folder', (cwd) => path.join(cwd, 'j')],
  ['ALLUXIO_RAM_FOLDER', () => ({ env: { ALLUXIO_RAM_FOLDER: 'ram' } }), 'alluxio.worker.tieredstore.level0.dirs.path', (cwd) => path.join(cwd, 'ram')],
  ['-D tier dirs, each item', () => ({ flags: { 'alluxio.worker.tieredstore.level0.dirs.path': 'a,/abs/b' } }), 'alluxio.worker.tieredstore.level0.dirs.path', (cwd) => `${path.join(cwd, 'a')},/abs/b`],
  ['absolute stays', () => ({ env: { ALLUXIO_LOGS_DIR: '/var/log/alluxio' } }), 'alluxio.logs.dir', () => '/var/log/alluxio'],
  ['${...} stays', () => ({ flags: { 'alluxio.logs.dir': '${alluxio.work.dir}/l' } }), 'alluxio.logs.dir', (cwd) => path.join(cwd, 'l')], // home = cwd here
  ['URI stays', () => ({ flags: { 'alluxio.master.mount.table.root.ufs': 'file:///data/ufs' } }), 'alluxio.master.mount.table.root.ufs', () => 'file:///data/ufs'],
  ['ZooKeeper node path stays', () => ({ flags: { 'alluxio.zookeeper.leader.path': '/alluxio/l' } }), 'alluxio.zookeeper.leader.path', () => '/alluxio/l'],
];
for (const [name, opts, key, want] of RELATIVE) {
  test(`relative paths: ${name}`, () => {
    const h = makeHome();
    const { conf } = load(undefined, { ...opts(h.home), cwd: h.home, home: h.home });
    assert.equal(conf.get(key), want(h.home));
  });
}

test('relative paths: the conf dir found through a relative ALLUXIO_CONF_DIR is read, and named absolute', () => {
  const other = makeHome('alluxio.master.hostname=rel\n');
  const cwd = path.dirname(other.home);
  const { conf } = load(undefined, { env: { ALLUXIO_CONF_DIR: path.join(path.basename(other.home), 'conf') }, cwd });
  assert.deepEqual([conf.get(HOST), conf.confDir, conf.get('alluxio.conf.dir')], ['rel', other.confDir, other.confDir]);
});

test('relative paths: still a problem in the site file and for keys that are not local paths', () => {
  const { problems, file } = loadProblems('alluxio.logs.dir=logs\n', { flags: { 'alluxio.zookeeper.leader.path': 'leader' }, cwd: '/tmp' });
  assert.deepEqual(problems, [
    `${file}:1: alluxio.logs.dir: "logs" is not an absolute path`,
    '-Dalluxio.zookeeper.leader.path: alluxio.zookeeper.leader.path: "leader" is not an absolute path',
  ]);
});

test('conf dir: a missing site file means defaults', () => {
  const { conf } = load(undefined);
  assert.equal(conf.siteFile, undefined);
  assert.equal(conf.source('alluxio.master.rpc.port'), 'DEFAULT');
});

// ---- substitution --------------------------------------------------------------------------

test('substitution: defaults follow a changed base, sources stay DEFAULT, raw values keep ${...}', () => {
  const { conf } = load('alluxio.work.dir=/data/alluxio\n');
  assert.equal(conf.get('alluxio.master.journal.folder'), '/data/alluxio/journal');
  assert.equal(conf.get('alluxio.logs.dir'), '/data/alluxio/logs');
  assert.equal(conf.get('alluxio.user.logs.dir'), '/data/alluxio/logs/user');
  assert.equal(conf.source('alluxio.master.journal.folder'), 'DEFAULT');
  assert.equal(conf.rawValue('alluxio.master.journal.folder'), '${alluxio.work.dir}/journal');
});

test('substitution: recursive, several references in one value, aliases and ${user.home}', () => {
  const { conf } = load([
    'alluxio.work.dir=${alluxio.home}/w',
    'alluxio.master.journal.folder=${alluxio.logs.dir}/../j-${alluxio.master.rpc.port}',
    'alluxio.run.dir=${alluxio.underfs.address}/run',
    'alluxio.master.mount.table.root.ufs=/ufs',
    'alluxio.user.logs.dir=${user.home}/alluxio-logs',
  ].join('\n'));
  const home = conf.get('alluxio.home');
  assert.equal(conf.get('alluxio.master.journal.folder'), `${home}/w/logs/../j-19998`);
  assert.equal(conf.get('alluxio.run.dir'), '/ufs/run');
  assert.equal(conf.get('alluxio.user.logs.dir'), `${os.homedir()}/alluxio-logs`);
});

const SUBST_PROBLEMS: Array<[name: string, site: string, problems: string[]]> = [
  ['cycle through a default', 'alluxio.work.dir=${alluxio.logs.dir}/w', [
    '{file}:1: circular reference: alluxio.work.dir -> alluxio.logs.dir -> alluxio.work.dir',
  ]],
  ['three-key cycle, reported once', [
    'alluxio.master.journal.folder=${alluxio.run.dir}',
    'alluxio.run.dir=${alluxio.master.mount.table.root.ufs}',
    'alluxio.master.mount.table.root.ufs=${alluxio.master.journal.folder}',
  ].join('\n'), [
    '{file}:1: circular reference: alluxio.master.journal.folder -> alluxio.run.dir -> alluxio.master.mount.table.root.ufs -> alluxio.master.journal.folder',
  ]],
  ['self reference', 'alluxio.master.hostname=${alluxio.master.hostname}', [
    '{file}:1: circular reference: alluxio.master.hostname -> alluxio.master.hostname',
  ]],
  ['unknown reference, with did-you-mean; dependants not reported', 'alluxio.work.dir=${alluxio.hom}/w', [
    '{file}:1: alluxio.work.dir: "${alluxio.hom}/w" refers to unknown property "alluxio.hom" (did you mean "alluxio.home"?)',
  ]],
  ['unknown reference without suggestion', 'alluxio.run.dir=${java.io.tmpdir}/run', [
    '{file}:1: alluxio.run.dir: "${java.io.tmpdir}/run" refers to unknown property "java.io.tmpdir"',
  ]],
  ['resolved value is type-checked, showing the raw value', 'alluxio.master.hostname=m1\nalluxio.master.web.port=${alluxio.master.hostname}', [
    '{file}:2: alluxio.master.web.port: "m1" is not a valid port (1-65535) (from "${alluxio.master.hostname}")',
  ]],
  ['a bad value is reported where it is set, not again where it is used', 'alluxio.worker.ramdisk.size=lots', [
    '{file}:1: alluxio.worker.ramdisk.size: "lots" is not a size (e.g. 512MB, 1GB)',
  ]],
];
for (const [name, site, want] of SUBST_PROBLEMS) {
  test(`substitution problem: ${name}`, () => {
    const { problems, file } = loadProblems(site);
    assert.deepEqual(problems, want.map((p) => p.replaceAll('{file}', file)));
  });
}

// ---- validation ------------------------------------------------------------------------------

const VALIDATION: Array<[name: string, site: string, problems: string[]]> = [
  ['unknown key with did-you-mean', 'alluxio.master.rpc.prot=19998', [
    '{file}:1: unknown property "alluxio.master.rpc.prot" (did you mean "alluxio.master.rpc.port"?)',
  ]],
  ['unknown key without a suggestion', 'fs.s3a.access.key=x', ['{file}:1: unknown property "fs.s3a.access.key"']],
  ['line without a key', '=value', ['{file}:1: missing property name before "value"']],
  ['malformed escape', 'alluxio.master.hostname=\\u00', ['{file}:1: malformed \\uXXXX escape']],
  ['alluxio.conf.dir in the site file', 'alluxio.conf.dir=/etc/alluxio', [
    '{file}:1: alluxio.conf.dir cannot be set in alluxio-site.properties (the file is found through it); set ALLUXIO_CONF_DIR or -Dalluxio.conf.dir instead',
  ]],
  ['port not a number', 'alluxio.master.rpc.port=abc', ['{file}:1: alluxio.master.rpc.port: "abc" is not a valid port (1-65535)']],
  ['port out of range', 'alluxio.worker.rpc.port=65536', ['{file}:1: alluxio.worker.rpc.port: "65536" is not a valid port (1-65535)']],
  ['negative port', 'alluxio.worker.web.port=-1', ['{file}:1: alluxio.worker.web.port: "-1" is not a valid port (1-65535)']],
  ['integer', 'alluxio.master.journal.checkpoint.period.entries=1e6', [
    '{file}:1: alluxio.master.journal.checkpoint.period.entries: "1e6" is not an integer',
  ]],
  ['positive integer', 'alluxio.master.journal.checkpoint.period.entries=0', [
    '{file}:1: alluxio.master.journal.checkpoint.period.entries: "0" is not a positive integer',
  ]],
  ['tier levels range', 'alluxio.worker.tieredstore.levels=4', ['{file}:1: alluxio.worker.tieredstore.levels: "4" is not between 1 and 3']],
  ['boolean', 'alluxio.zookeeper.enabled=yes', ['{file}:1: alluxio.zookeeper.enabled: "yes" is not a boolean (true or false)']],
  ['size', 'alluxio.user.block.size.bytes.default=64 megs', [
    '{file}:1: alluxio.user.block.size.bytes.default: "64 megs" is not a size (e.g. 512MB, 1GB)',
  ]],
  ['positive size', 'alluxio.user.block.size.bytes.default=0MB', [
    '{file}:1: alluxio.user.block.size.bytes.default: "0MB" is not a positive size',
  ]],
  ['duration', 'alluxio.master.worker.timeout=5 minutes later', [
    '{file}:1: alluxio.master.worker.timeout: "5 minutes later" is not a duration (e.g. 500ms, 10sec, 5min)',
  ]],
  ['write type enum', 'alluxio.user.file.writetype.default=WRITE_BACK', [
    '{file}:1: alluxio.user.file.writetype.default: "WRITE_BACK" is not one of MUST_CACHE, CACHE_THROUGH, THROUGH, ASYNC_THROUGH',
  ]],
  ['journal type enum', 'alluxio.master.journal.type=raft', [
    '{file}:1: alluxio.master.journal.type: "raft" is not one of EMBEDDED, UFS, NOOP',
  ]],
  ['host:port list: missing port', 'alluxio.master.embedded.journal.addresses=m1:19200,m2,m3:19200', [
    '{file}:1: alluxio.master.embedded.journal.addresses: "m1:19200,m2,m3:19200" is not a list of host:port',
  ]],
  ['host:port list: bad port', 'alluxio.zookeeper.address=zk1:2181;zk2:99999', [
    '{file}:1: alluxio.zookeeper.address: "zk1:2181;zk2:99999" is not a list of host:port',
  ]],
  ['host:port list: only separators', 'alluxio.master.rpc.addresses=,', [
    '{file}:1: alluxio.master.rpc.addresses: "," is not a list of host:port',
  ]],
  ['host name', 'alluxio.master.hostname=bad_host', ['{file}:1: alluxio.master.hostname: "bad_host" is not a valid host name or IP address']],
  ['relative path', 'alluxio.master.journal.folder=journal', ['{file}:1: alluxio.master.journal.folder: "journal" is not an absolute path']],
  ['number', 'alluxio.worker.tieredstore.level0.watermark.high.ratio=high', [
    '{file}:1: alluxio.worker.tieredstore.level0.watermark.high.ratio: "high" is not a number',
  ]],
  ['ratio range', 'alluxio.worker.tieredstore.level0.watermark.high.ratio=1.5', [
    '{file}:1: alluxio.worker.tieredstore.level0.watermark.high.ratio: "1.5" is not a ratio greater than 0 and at most 1',
  ]],
  ['quota list', 'alluxio.worker.tieredstore.level0.dirs.quota=1GB,lots', [
    '{file}:1: alluxio.worker.tieredstore.level0.dirs.quota: "1GB,lots" is not a size or a list of sizes (e.g. 16GB or 100GB,200GB)',
  ]],
  ['empty value where a default exists', 'alluxio.master.rpc.port=', ['{file}:1: alluxio.master.rpc.port must not be empty']],
  ['empty value where the default is empty is fine', 'alluxio.master.hostname=\nalluxio.zookeeper.address=', []],
  ['values that are fine', [
    'alluxio.master.hostname=m1.example.com',
    'alluxio.master.embedded.journal.addresses=m1:19200, m2:19200; m3:19200',
    'alluxio.master.rpc.addresses=[::1]:19998,10.0.0.1:19998',
    'alluxio.user.file.writetype.default=cache_through',
    'alluxio.zookeeper.enabled=TRUE',
    'alluxio.zookeeper.address=zk1:2181',
    'alluxio.master.journal.type=ufs',
    'alluxio.master.journal.folder=hdfs://nn:8020/alluxio/journal',
    'alluxio.worker.ramdisk.size=1.5GB',
    'alluxio.master.worker.timeout=90sec',
    'alluxio.worker.tieredstore.levels=2',
    'alluxio.worker.tieredstore.level1.dirs.path=/ssd1,/ssd2',
    'alluxio.worker.tieredstore.level1.dirs.quota=100GB',
    'alluxio.master.rpc.port=0',
  ].join('\n'), []],
  // rules across keys
  ['election timeout min < max', 'alluxio.master.embedded.journal.election.timeout.min=1s', [
    'alluxio.master.embedded.journal.election.timeout.min=1s must be less than alluxio.master.embedded.journal.election.timeout.max=600ms (from {file}:1 and DEFAULT)',
  ]],
  ['election timeout min = max', 'alluxio.master.embedded.journal.election.timeout.min=600ms', [
    'alluxio.master.embedded.journal.election.timeout.min=600ms must be less than alluxio.master.embedded.journal.election.timeout.max=600ms (from {file}:1 and DEFAULT)',
  ]],
  ['heartbeat < election timeout min', 'alluxio.master.embedded.journal.heartbeat.interval=1s\nalluxio.master.embedded.journal.election.timeout.min=500ms', [
    'alluxio.master.embedded.journal.heartbeat.interval=1s must be less than alluxio.master.embedded.journal.election.timeout.min=500ms (from {file}:1 and {file}:2)',
  ]],
  ['watermark low < high', 'alluxio.worker.tieredstore.level0.watermark.low.ratio=0.96', [
    'alluxio.worker.tieredstore.level0.watermark.low.ratio=0.96 must be less than alluxio.worker.tieredstore.level0.watermark.high.ratio=0.95 (from {file}:1 and DEFAULT)',
  ]],
  ['ZooKeeper needs an address and the UFS journal', 'alluxio.zookeeper.enabled=true', [
    'alluxio.zookeeper.enabled=true requires alluxio.zookeeper.address to be set (from {file}:1); name the ensemble, e.g. alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181',
    'alluxio.zookeeper.enabled=true requires alluxio.master.journal.type=UFS, but it is EMBEDDED (from {file}:1 and DEFAULT); ZooKeeper election and the embedded journal cannot work together (the embedded journal elects its leader itself by Raft): set alluxio.master.journal.type=UFS with an alluxio.master.journal.folder every master shares, or alluxio.zookeeper.enabled=false',
  ]],
  ['ZooKeeper with a NOOP journal', 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181\nalluxio.master.journal.type=NOOP', [
    'alluxio.zookeeper.enabled=true requires alluxio.master.journal.type=UFS, but it is NOOP (from {file}:1 and {file}:3); a new leader elected by ZooKeeper must replay the journal its predecessor wrote: set alluxio.master.journal.type=UFS with an alluxio.master.journal.folder every master shares, or alluxio.zookeeper.enabled=false',
  ]],
  ['ZooKeeper address: a server without a port', 'alluxio.zookeeper.address=zk1:2181,zk2', [
    '{file}:1: alluxio.zookeeper.address: "zk1:2181,zk2" is not a list of host:port',
  ]],
  ['ZooKeeper address: an empty entry is skipped (as in every list)', 'alluxio.zookeeper.address=zk1:2181,,zk2:2181', []],
  ['ZooKeeper address: only separators', 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=,\nalluxio.master.journal.type=UFS', [
    '{file}:2: alluxio.zookeeper.address: "," is not a list of host:port',
  ]],
  ['ZooKeeper address: empty', 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=\nalluxio.master.journal.type=UFS', [
    'alluxio.zookeeper.enabled=true requires alluxio.zookeeper.address to be set (from {file}:1); name the ensemble, e.g. alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181',
  ]],
  ['ZooKeeper address: ";" separated is accepted', 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181;zk2:2181\nalluxio.master.journal.type=UFS', []],
  ['ZooKeeper mode complete', 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181,zk2:2181\nalluxio.master.journal.type=UFS', []],
  ['tier levels need paths', 'alluxio.worker.tieredstore.levels=3\nalluxio.worker.tieredstore.level1.dirs.path=/ssd', [
    'alluxio.worker.tieredstore.levels=3 requires alluxio.worker.tieredstore.level2.dirs.path to be set (from {file}:1 and DEFAULT)',
  ]],
  ['quota count must match path count', 'alluxio.worker.tieredstore.level0.dirs.path=/a,/b,/c\nalluxio.worker.tieredstore.level0.dirs.quota=1GB,2GB', [
    'alluxio.worker.tieredstore.level0.dirs.quota has 2 entries but alluxio.worker.tieredstore.level0.dirs.path has 3; give one per path, or a single value for all (from {file}:2 and {file}:1)',
  ]],
  ['a single quota for several paths is fine', 'alluxio.worker.tieredstore.level0.dirs.path=/a,/b,/c\nalluxio.worker.tieredstore.level0.dirs.quota=1GB', []],
  ['tier aliases must differ', 'alluxio.worker.tieredstore.levels=2\nalluxio.worker.tieredstore.level1.alias=mem\nalluxio.worker.tieredstore.level1.dirs.path=/x', [
    'alluxio.worker.tieredstore.level0.alias and alluxio.worker.tieredstore.level1.alias are both MEM (from DEFAULT and {file}:2)',
  ]],
  ['ports of one process must differ', 'alluxio.master.web.port=19998', [
    'alluxio.master.rpc.port and alluxio.master.web.port are both 19998 (from DEFAULT and {file}:1)',
  ]],
  ['every problem at once, in file order, cross-key last', [
    'alluxio.zookeeper.enabled=true',
    'alluxio.master.rpc.port=19998x',
    'alluxio.worker.hostnme=w1',
    'alluxio.user.file.readtype.default=NOPE',
    'alluxio.master.embedded.journal.election.timeout.max=100ms',
  ].join('\n'), [
    '{file}:2: alluxio.master.rpc.port: "19998x" is not a valid port (1-65535)',
    '{file}:3: unknown property "alluxio.worker.hostnme" (did you mean "alluxio.worker.hostname"?)',
    '{file}:4: alluxio.user.file.readtype.default: "NOPE" is not one of NO_CACHE, CACHE, CACHE_PROMOTE',
    'alluxio.master.embedded.journal.election.timeout.min=300ms must be less than alluxio.master.embedded.journal.election.timeout.max=100ms (from DEFAULT and {file}:5)',
    'alluxio.zookeeper.enabled=true requires alluxio.zookeeper.address to be set (from {file}:1); name the ensemble, e.g. alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181',
    'alluxio.zookeeper.enabled=true requires alluxio.master.journal.type=UFS, but it is EMBEDDED (from {file}:1 and DEFAULT); ZooKeeper election and the embedded journal cannot work together (the embedded journal elects its leader itself by Raft): set alluxio.master.journal.type=UFS with an alluxio.master.journal.folder every master shares, or alluxio.zookeeper.enabled=false',
  ]],
];
for (const [name, site, want] of VALIDATION) {
  test(`validation: ${name}`, () => {
    const h = makeHome(site);
    let problems: readonly string[] = [];
    try { loadConfig({ home: h.home, env: {} }); } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    assert.deepEqual(problems, want.map((p) => p.replaceAll('{file}', h.file)));
  });
}

test('validation: -D flags and environment values, located by flag and variable', () => {
  const { problems, file } = loadProblems('alluxio.master.hostname=m1\nalluxio.master.web.port=x\n', {
    env: { ALLUXIO_WORKER_RAMDISK_SIZE: 'lots', ALLUXIO_JAVA_OPTS: '-Dalluxio.worker.rpc.port=-5' },
    flags: { 'alluxio.mster.hostname': 'x', 'alluxio.master.rpc.port': '', 'alluxio.master.web.port': '19999' },
  });
  assert.deepEqual(problems, [
    'ALLUXIO_JAVA_OPTS -Dalluxio.worker.rpc.port: alluxio.worker.rpc.port: "-5" is not a valid port (1-65535)',
    'ALLUXIO_WORKER_RAMDISK_SIZE: alluxio.worker.ramdisk.size: "lots" is not a size (e.g. 512MB, 1GB)',
    '-Dalluxio.mster.hostname: unknown property "alluxio.mster.hostname" (did you mean "alluxio.master.hostname"?)',
    '-Dalluxio.master.rpc.port: alluxio.master.rpc.port must not be empty',
  ]);
  assert.ok(file.endsWith('alluxio-site.properties')); // the bad site value was overridden by -D
});

test('validation: the error is one ConfigError whose message lists every problem', () => {
  const h = makeHome('alluxio.master.rpc.port=a\nalluxio.master.web.port=b\n');
  assert.throws(() => loadConfig({ home: h.home, env: {} }), (e: unknown) => e instanceof ConfigError && e.message === [
    '2 configuration problems:',
    `  ${h.file}:1: alluxio.master.rpc.port: "a" is not a valid port (1-65535)`,
    `  ${h.file}:2: alluxio.master.web.port: "b" is not a valid port (1-65535)`,
  ].join('\n'));
});

test('warnings: deprecated alias keys and unused tier paths', () => {
  const { conf, file } = load('alluxio.worker.memory.size=2GB\nalluxio.underfs.address=/u\nalluxio.worker.tieredstore.level1.dirs.path=/ssd\n');
  assert.equal(conf.get('alluxio.worker.ramdisk.size'), '2GB');
  assert.equal(conf.get('alluxio.worker.memory.size'), '2GB');
  assert.equal(conf.get('alluxio.master.mount.table.root.ufs'), '/u');
  assert.equal(conf.source('alluxio.worker.ramdisk.size'), `SITE_PROPERTY (${file}:1)`);
  assert.deepEqual(conf.warnings, [
    `${file}:1: alluxio.worker.memory.size is deprecated; use alluxio.worker.ramdisk.size`,
    `${file}:2: alluxio.underfs.address is deprecated; use alluxio.master.mount.table.root.ufs`,
    `alluxio.worker.tieredstore.level1.dirs.path is set but alluxio.worker.tieredstore.levels=1, so tier 1 is not used (from ${file}:3 and DEFAULT)`,
  ]);
});

// ---- typed getters and the Config object ----------------------------------------------------

test('typed getters', () => {
  const { conf } = load([
    'alluxio.master.embedded.journal.addresses=m1:19200, m2:19200;m3:19200,',
    'alluxio.user.file.writetype.default=cache_through',
    'alluxio.zookeeper.enabled=TRUE',
    'alluxio.zookeeper.address=zk:2181',
    'alluxio.master.journal.type=UFS',
    'alluxio.worker.ramdisk.size=1.5GB',
  ].join('\n'));
  assert.equal(conf.getPort('alluxio.master.rpc.port'), 19998);
  assert.equal(conf.getInt('alluxio.master.journal.checkpoint.period.entries'), 2_000_000);
  assert.equal(conf.getBool('alluxio.zookeeper.enabled'), true);
  assert.equal(conf.getBool('alluxio.standby.master.web.enabled'), true);
  assert.equal(conf.getBytes('alluxio.user.block.size.bytes.default'), 64 * 1024 * 1024);
  assert.equal(conf.getBytes('alluxio.worker.tieredstore.level0.dirs.quota'), 1.5 * 1024 ** 3);
  assert.equal(conf.getMs('alluxio.master.worker.timeout'), 300_000);
  assert.equal(conf.getMs('alluxio.worker.block.heartbeat.timeout'), 3_600_000);
  assert.equal(conf.getDouble('alluxio.worker.tieredstore.level0.watermark.low.ratio'), 0.7);
  assert.deepEqual(conf.getList('alluxio.master.embedded.journal.addresses'), ['m1:19200', 'm2:19200', 'm3:19200']);
  assert.deepEqual(conf.getList('alluxio.master.rpc.addresses'), []);
  assert.equal(conf.getEnum('alluxio.user.file.writetype.default'), 'CACHE_THROUGH');
  assert.equal(conf.get('alluxio.user.file.writetype.default'), 'cache_through');
});

test('typed getters on a value of another type throw ConfigError', () => {
  const { conf } = load(undefined);
  const cases: Array<[() => unknown, string]> = [
    [() => conf.getInt('alluxio.master.hostname'), 'alluxio.master.hostname: "" is not an integer'],
    [() => conf.getBool('alluxio.master.rpc.port'), 'alluxio.master.rpc.port: "19998" is not a boolean (true or false)'],
    [() => conf.getBytes('alluxio.master.worker.timeout'), 'alluxio.master.worker.timeout: "5min" is not a size (e.g. 512MB, 1GB)'],
    [() => conf.getMs('alluxio.user.block.size.bytes.default'), 'alluxio.user.block.size.bytes.default: "64MB" is not a duration (e.g. 500ms, 10sec, 5min)'],
    [() => conf.getPort('alluxio.master.journal.checkpoint.period.entries'), 'alluxio.master.journal.checkpoint.period.entries: "2000000" is not a valid port (1-65535)'],
    [() => conf.getDouble('alluxio.master.hostname'), 'alluxio.master.hostname: "" is not a number'],
    [() => conf.get('alluxio.no.such.key'), 'alluxio.no.such.key is not a valid configuration key'],
    [() => conf.source('nope'), 'nope is not a valid configuration key'],
    [() => conf.isSet('nope'), 'nope is not a valid configuration key'],
  ];
  for (const [fn, msg] of cases) assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.message === msg, msg);
});

test('isSet: set by a source, or a non-empty default', () => {
  const { conf } = load('alluxio.zookeeper.address=zk:2181\nalluxio.worker.hostname=\n');
  const want: Array<[string, boolean]> = [
    ['alluxio.master.hostname', false],
    ['alluxio.master.embedded.journal.addresses', false],
    ['alluxio.zookeeper.address', true],
    ['alluxio.worker.hostname', true],
    ['alluxio.master.rpc.port', true],
  ];
  for (const [k, v] of want) assert.equal(conf.isSet(k), v, k);
});

test('toFlags: every non-default value as written; a child given them resolves the same', () => {
  const { conf, home } = load('alluxio.work.dir=${alluxio.home}/data\nalluxio.master.hostname=m1\n', {
    env: { ALLUXIO_RAM_FOLDER: '/dev/shm' },
    flags: { 'alluxio.master.rpc.port': '29998' },
    overrides: { 'alluxio.master.rpc.addresses': 'm1:29998' },
  });
  assert.deepEqual(conf.toFlags(), {
    'alluxio.master.hostname': 'm1',
    'alluxio.master.rpc.addresses': 'm1:29998',
    'alluxio.master.rpc.port': '29998',
    'alluxio.work.dir': '${alluxio.home}/data',
    'alluxio.worker.tieredstore.level0.alias': 'MEM',
    'alluxio.worker.tieredstore.level0.dirs.path': '/dev/shm',
  });
  const child = loadConfig({ home, env: {}, flags: conf.toFlags() });
  for (const k of KEYS) assert.equal(child.get(k), conf.get(k), k);
});

test('Config is frozen', () => {
  const { conf } = load(undefined);
  assert.ok(Object.isFrozen(conf));
  assert.ok(Object.isFrozen(conf.warnings));
  assert.throws(() => { (conf as unknown as { confDir: string }).confDir = '/x'; }, TypeError);
});

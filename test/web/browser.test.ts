/**
 * The web UIs in a real browser (headless Chromium, test/harness/browser.ts) against a real
 * cluster: 3 masters (embedded journal) and 1 worker. Every page of the leader's and the worker's
 * navigation bar, reached by clicking the bar's links: it renders without console errors or
 * failed requests, its numbers match what the CLI prints (fsadmin report, fs ls, fs stat,
 * getConf --source, run as real CLI processes), its links work (standby -> leader, into
 * directories, a file's blocks -> the worker holding them, pagination). The standby banner;
 * with alluxio.standby.master.web.enabled=false the standby's pages are gone (503) while /api/v1
 * answers. File names that are HTML (`<script>alert(1)</script>`, `<img onerror>`) show as text
 * and run nothing (no dialog). A full-page screenshot of each page goes to artifactsDir().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, getJson, waitFor } from '../harness/cluster.js';
import { TestBrowser, artifactsDir, follow, followText, keyValues, needsChromium, problems, screenshot, tables, type Visit } from '../harness/browser.js';
import { formatDate } from '../../src/commands/fs/shared.js';

/** Every page of the master's and the worker's navigation bar, in its order: each must answer 200. */
const MASTER_PAGES = ['/', '/browse', '/workers', '/config', '/metrics', '/journal', '/logs'];
const WORKER_PAGES = ['/', '/blocks', '/metrics'];

const SCRIPT_PATH = '/web/<script>alert(1)</script>'; // a directory `<script>alert(1)<` holding `script>`
const IMG_NAME = '<img src=x onerror=alert(1)>';
const DATA_BYTES = 2.5 * 1024 * 1024; // 3 blocks of 1MB
const MANY = 45;

const skip = needsChromium();
const shots: string[] = [];
after(() => { if (shots.length) console.log(`web UI browser test: ${shots.length} screenshots in ${artifactsDir()}`); });

/** `    Label: value` lines of fsadmin report (the summary), and its Masters/Workers rows. */
function parseReport(out: string) {
  const lines = out.split('\n');
  const kv = new Map<string, string>();
  for (const l of lines) { const m = /^ {4}([A-Za-z ]+): (.*)$/.exec(l); if (m && !kv.has(m[1]!)) kv.set(m[1]!, m[2]!.trim()); }
  const section = (from: string, to: string) => {
    const a = lines.findIndex((l) => l.startsWith(`    ${from}:`));
    const b = lines.findIndex((l, i) => i > a && l.startsWith(`    ${to}:`));
    return lines.slice(a + 1, b).map((l) => /Tier: (\S+)\s+Size: (\S+)/.exec(l)!).map((m) => [m[1]!, m[2]!] as const);
  };
  const rows = (header: string, stop: (l: string) => boolean) => {
    const a = lines.findIndex((l) => l.startsWith(header));
    const out: string[][] = [];
    for (let i = a + 2; i < lines.length && !stop(lines[i]!); i++) out.push(lines[i]!.trim().split(/ {2,}/));
    return out;
  };
  return {
    kv, capacityTiers: section('Total Capacity', 'Used Capacity'), usedTiers: section('Used Capacity', 'Free Capacity'),
    masters: rows('Masters', (l) => !l.startsWith('    ') || l.startsWith('    (')), workers: rows('Workers', (l) => !l.startsWith('    ') || l.includes('(none)')),
  };
}

/** fs ls lines as [mode, owner, group, size, persistence, date, inAlluxio, path]. */
function parseLs(out: string): string[][] {
  return out.split('\n').filter(Boolean).map((l) => {
    const m = /^(\S{10})\s+(\S*)\s+(\S*)\s+(\d+)\s+(\S+)\s+(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d:\d{3})\s+(DIR|\d+%)\s+(.*)$/.exec(l);
    assert.ok(m, `an fs ls line: ${l}`);
    return m.slice(1);
  });
}

/** The browse page's listing compared with `alluxio fs ls <dir>` (every column fs ls prints). */
async function assertListingMatchesLs(c: TestCluster, v: Visit, dir: string): Promise<void> {
  const ls = await c.cli(['fs', 'ls', dir]);
  assert.equal(ls.code, 0, ls.stderr);
  const want = parseLs(ls.stdout).map(([mode, owner, group, size, persistence, date, inAlluxio, p]) => [path.posix.basename(p!), mode, owner, group, inAlluxio === 'DIR' ? '' : size, persistence, date, inAlluxio]);
  const [listing] = await tables(v);
  const got = listing!.slice(1).map(([name, size, , inAlluxio, persistence, owner, group, mode, mtime]) => [name, mode, owner, group, size, persistence, formatDate(Date.parse(mtime!)), inAlluxio]);
  assert.deepEqual(got, want, `the listing of ${dir} on the page is what fs ls prints`);
}

function clear(v: Visit): void {
  v.consoleErrors.length = 0; v.pageErrors.length = 0; v.failedRequests.length = 0; v.dialogs.length = 0;
}

async function shot(v: Visit, name: string): Promise<void> {
  shots.push(await screenshot(v, name));
}

/**
 * From `base`'s Overview, click each link of the navigation bar in turn: the bar links exactly
 * `present`, each page answers 200 with no console error, page error, failed request or dialog;
 * its screenshot is saved and `checks[href]` run.
 */
async function followEveryNavLink(v: Visit, base: string, nav: (string | null)[], present: string[], name: string, checks: Record<string, () => Promise<void>>): Promise<void> {
  assert.deepEqual(nav, present);
  for (let i = 0; i < nav.length; i++) {
    const href: string = nav[i] ?? '';
    await v.page.goto(`${base}/`, { waitUntil: 'load' });
    clear(v);
    await follow(v, `nav a:nth-of-type(${i + 1})`);
    assert.equal(new URL(v.page.url()).pathname, href);
    const st: number = v.status;
    assert.equal(st, 200, href);
    assert.deepEqual(problems(v), [], href);
    await shot(v, `${name}${href === '/' ? '-overview' : href.replace(/\//g, '-')}`);
    await checks[href]?.();
  }
}

describe('web UI in a browser: 3 masters (embedded journal) + 1 worker', { skip }, () => {
  const c = new TestCluster({ masters: 3, workers: 1, logFiles: true, blockSize: '1MB' });
  let browser: TestBrowser;
  let leader = -1;
  let leaderUrl = '';
  let workerUrl = '';
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-web-'));
  const t0 = Date.now();

  before(async () => {
    await c.setup();
    await c.start();
    leader = await c.waitLeader();
    leaderUrl = `http://localhost:${c.masterPorts[leader]!.web}`;
    workerUrl = `http://localhost:${c.workerPorts[0]!.web}`;
    // The namespace the pages show: names with spaces and unicode, a 3-block file, a directory
    // of MANY entries (pagination), and names that are HTML.
    const web = path.join(local, 'web');
    fs.mkdirSync(path.join(web, 'dir with space', 'ünï 日本'), { recursive: true });
    fs.mkdirSync(path.join(web, 'many'));
    fs.writeFileSync(path.join(web, 'dir with space', 'ünï 日本', 'note.txt'), 'hello\n');
    fs.writeFileSync(path.join(web, 'dir with space', 'data file.bin'), Buffer.alloc(DATA_BYTES, 7));
    fs.writeFileSync(path.join(web, IMG_NAME), 'img\n');
    for (let i = 0; i < MANY; i++) fs.writeFileSync(path.join(web, 'many', `f${String(i).padStart(2, '0')}`), `${i}\n`);
    // CACHE_THROUGH: persisted and cached when the command returns, so the CLI and the pages see one state.
    const cp = await c.cli(['fs', 'copyFromLocal', '--writeType', 'CACHE_THROUGH', web, '/web']);
    assert.equal(cp.code, 0, cp.stderr + c.logs());
    const touch = await c.cli(['fs', 'touch', SCRIPT_PATH]);
    assert.equal(touch.code, 0, touch.stderr);
    // The worker's usage reaches the leader with its next heartbeat: wait until the leader counts every block.
    const blocks = Math.ceil(DATA_BYTES / (1024 * 1024)) + 1 + 1 + MANY;
    await waitFor('the leader to count every block', async () => (await getJson(`${leaderUrl}/api/v1/master/webui_workers`)).liveWorkers[0]?.blockCount === blocks);
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    await c.stop();
    fs.rmSync(local, { recursive: true, force: true });
    console.log(`3 masters + 1 worker: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  test('the leader: every page of the navigation bar, clicked from the bar, matches the CLI', async () => {
    const v = await browser.visit(`${leaderUrl}/`);
    assert.equal(v.status, 200);
    const nav = await v.page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(nav, ['/', '/browse', '/workers', '/config', '/metrics', '/journal', '/logs']);
    const report = parseReport((await c.cli(['fsadmin', 'report'])).stdout);
    const checks: Record<string, () => Promise<void>> = {
      '/': async () => {
        const [summary, masters, tiers] = await tables(v);
        const kv = keyValues(summary!);
        for (const k of ['Live Workers', 'Lost Workers', 'Total Capacity', 'Used Capacity', 'Free Capacity', 'Version']) assert.equal(kv.get(k), report.kv.get(k), k);
        assert.equal(kv.get('Master Address'), report.kv.get('Master Address'));
        assert.equal(kv.get('Role'), 'LEADER');
        assert.equal(kv.get('Journal Type'), 'EMBEDDED');
        assert.equal(kv.get('Cluster Id'), (await getJson(`${leaderUrl}/api/v1/master/info`)).clusterId);
        // Every master and its role, as fsadmin report's Masters section.
        const pageRoles = masters!.slice(1).map((r) => [r[0]!.replace(' (this master)', ''), r[3]!]).sort();
        assert.deepEqual(pageRoles, report.masters.map((r) => [r[0]!, r[1]!]).sort());
        assert.deepEqual(masters!.slice(1).map((r) => r[4]), ['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
        assert.deepEqual(tiers!.slice(1).map((r) => [r[0], r[1], r[2]]), report.capacityTiers.map(([alias, cap], i) => [alias, cap, report.usedTiers[i]![1]]));
      },
      '/workers': async () => {
        const [live, lost] = await tables(v);
        assert.deepEqual(live!.slice(1).map((r) => [r[1], r[0], r[3]]), report.workers.map((w) => [w[0], w[1], w[2]]), 'address, id, state as fsadmin report');
        assert.deepEqual(live!.slice(1).map((r) => [r[6], r[7]]), [[report.kv.get('Total Capacity'), report.kv.get('Used Capacity')]]);
        assert.equal(lost!.length, 1, 'no lost worker');
      },
      '/config': async () => {
        const cli = await c.cli(['getConf', '--source']);
        assert.equal(cli.code, 0, cli.stderr);
        const [rows] = await tables(v);
        const page = rows!.slice(1);
        // The keys a master was started with -D (its ports, journal folder) are its own; every
        // other line is what getConf --source prints with the same conf directory.
        const own = page.filter((r) => r[2] === 'SYSTEM_PROPERTY');
        assert.ok(own.every((r) => /^alluxio\.(master\.(rpc|web|embedded\.journal)\.port|master\.journal\.folder|run\.dir)$/.test(r[0]!)), JSON.stringify(own));
        const ownKeys = new Set(own.map((r) => r[0]));
        const want = cli.stdout.split('\n').filter((l) => l && !ownKeys.has(l.slice(0, l.indexOf('='))));
        assert.deepEqual(page.filter((r) => !ownKeys.has(r[0])).map(([k, val, src]) => `${k}=${val} (${src})`), want);
        assert.equal(page.length, cli.stdout.split('\n').filter(Boolean).length, 'every key');
      },
      '/metrics': async () => {
        // The page's values are the leader's, as fsadmin report metrics prints them.
        const r = await c.cli(['fsadmin', 'report', 'metrics', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const counters = JSON.parse(r.stdout).counters as Record<string, { count: number }>;
        for (const name of ['Master.FilesCreated', 'Master.DirectoriesCreated']) {
          const shown = await v.page.$eval(`td[data-metric="${name}"]`, (e) => e.textContent ?? '');
          assert.equal(shown, String(counters[name]!.count), name);
        }
      },
      '/journal': async () => {
        // Every quorum member with its role, as fsadmin journal quorum info prints them.
        const r = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
        assert.equal(r.code, 0, r.stderr);
        const cliRows = r.stdout.split('\n').filter((l) => /^(AVAILABLE|UNAVAILABLE|RECOVERING) /.test(l))
          .map((l) => l.split('|').map((x) => x.trim())).map((f) => [f[2]!, f[3]!.toUpperCase(), f[0]!]).sort();
        const [, members] = await tables(v);
        const pageRows = members!.slice(1).map((row) => [row[0]!, row[2]!, row[3] === 'yes' ? 'AVAILABLE' : 'UNAVAILABLE']).sort();
        assert.deepEqual(pageRows, cliRows);
        assert.equal(cliRows.length, 3);
      },
      '/logs': async () => {
        const pre = await v.page.$eval('main pre', (e) => e.textContent ?? '');
        const shown = pre.split('\n');
        const file = fs.readFileSync(c.logFileOf('master', leader), 'utf8').split('\n').filter(Boolean);
        assert.ok(shown.length >= 5 && shown.length <= 200, `${shown.length} lines`);
        const at = file.indexOf(shown[0]!);
        assert.ok(at >= 0, 'the first line shown is in the log file');
        assert.deepEqual(file.slice(at, at + shown.length), shown, 'the last lines of the leader\'s log file, in order');
        assert.ok(shown.some((l) => /Serving as the leader/.test(l)) || file.length > 200);
      },
    };
    await followEveryNavLink(v, leaderUrl, nav, MASTER_PAGES, 'master-leader', checks);
    await v.page.close();
  });

  test('browse: into directories (spaces, unicode), a file\'s blocks and the worker holding them, pagination, a missing path', async () => {
    const v = await browser.visit(`${leaderUrl}/`);
    await follow(v, 'nav a[href="/browse"]');
    await assertListingMatchesLs(c, v, '/');
    await followText(v, 'web');
    await assertListingMatchesLs(c, v, '/web');
    await followText(v, 'dir with space');
    assert.equal(new URL(v.page.url()).searchParams.get('path'), '/web/dir with space');
    await assertListingMatchesLs(c, v, '/web/dir with space');
    await shot(v, 'master-browse-dir-with-space');
    await followText(v, 'ünï 日本');
    await assertListingMatchesLs(c, v, '/web/dir with space/ünï 日本');
    // Back up through the breadcrumbs, then the file.
    await followText(v, 'dir with space', 'main .crumbs');
    await followText(v, 'data file.bin');
    const stat = await c.cli(['fs', 'stat', '/web/dir with space/data file.bin']);
    assert.equal(stat.code, 0, stat.stderr);
    const statBlocks = [...stat.stdout.matchAll(/BlockInfo\{id=(\d+), length=(\d+), offset=(\d+), locations=\[([^\]]*)\]\}/g)].map((m) => [m[1], m[3], m[2], m[4]]);
    assert.equal(statBlocks.length, 3);
    const [status, blocks] = await tables(v);
    const kv = keyValues(status!);
    assert.equal(kv.get('Size (bytes)'), String(DATA_BYTES));
    assert.equal(kv.get('In Alluxio'), '100%');
    assert.equal(kv.get('Persistence State'), 'PERSISTED');
    assert.deepEqual(blocks!.slice(1).map((r) => [r[0], r[1], r[2], r[3]]), statBlocks, 'block ids, offsets, lengths and locations (worker, tier) as fs stat');
    assert.deepEqual(problems(v), []);
    await shot(v, 'master-browse-file-blocks');
    // A block's location links to the worker's web UI.
    await follow(v, 'main table:nth-of-type(2) td a');
    assert.equal(v.status, 200);
    assert.equal(new URL(v.page.url()).port, String(c.workerPorts[0]!.web));
    assert.match(await v.page.$eval('h1', (e) => e.textContent ?? ''), /^Alluxio Worker /);

    // Pagination: MANY entries, 20 a page, through Next and Last; together what fs ls lists.
    await v.page.goto(`${leaderUrl}/browse?path=${encodeURIComponent('/web/many')}`, { waitUntil: 'load' });
    const names: string[] = [];
    const pageNames = async () => (await tables(v))[0]!.slice(1).map((r) => r[0]!);
    const pagerText = () => v.page.evaluate(() => [...document.querySelectorAll('main .pager span')].map((s) => s.textContent).join('|'));
    names.push(...await pageNames());
    assert.match(await pagerText(), /1-20 of 45/);
    await followText(v, 'Next', 'main .pager');
    names.push(...await pageNames());
    assert.match(await pagerText(), /21-40 of 45/);
    await shot(v, 'master-browse-paginated');
    await followText(v, 'Last', 'main .pager');
    names.push(...await pageNames());
    assert.match(await pagerText(), /41-45 of 45/);
    const ls = parseLs((await c.cli(['fs', 'ls', '/web/many'])).stdout).map((r) => path.posix.basename(r[7]!));
    assert.deepEqual(names, ls);
    assert.equal(names.length, MANY);

    // A missing path: a 404 page that says so, with a way back.
    clear(v);
    const res = await v.page.goto(`${leaderUrl}/browse?path=${encodeURIComponent('/no such/dir')}`, { waitUntil: 'load' });
    assert.equal(res?.status(), 404);
    assert.equal(await v.page.$eval('main .error', (e) => e.textContent), '/no such/dir does not exist');
    await shot(v, 'master-browse-missing');
    await followText(v, 'Back to /');
    assert.equal(v.status, 200);
    await v.page.close();
  });

  test('odd query strings: every page and its JSON answers 200, 400 or 404, never 500', async () => {
    const queries = ['path=%zz', 'path=/%zz', 'path=/web&offset=99999999999999999999999999', `path=/web&limit=${'9'.repeat(400)}`, 'path=/web&limit=0',
      'offset=-1', 'offset=1e99', 'offset=0x10&limit=abc', 'path=/../x', 'path=', 'path=%00', 'path=//web///many/', 'lines=-5', `lines=${'9'.repeat(50)}`, '%=%&&==', 'path=/web&path=/x'];
    const pages: [string, string[]][] = [
      [leaderUrl, ['/', '/browse', '/workers', '/config', '/logs', '/api/v1/master/webui_overview', '/api/v1/master/webui_browse', '/api/v1/master/webui_workers', '/api/v1/master/webui_config', '/api/v1/master/webui_logs']],
      [workerUrl, ['/', '/blocks', '/api/v1/worker/webui_overview', '/api/v1/worker/webui_blocks']],
    ];
    const seen = new Map<number, number>();
    for (const [base, paths] of pages) {
      for (const p of paths) {
        for (const q of queries) {
          const r = await fetch(`${base}${p}?${q}`);
          await r.arrayBuffer();
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          assert.ok([200, 400, 404].includes(r.status), `${p}?${q}: ${r.status}`);
        }
      }
    }
    // Not vacuous: bad numbers are refused, a missing path is a 404.
    assert.ok(seen.get(400)! > 0 && seen.get(404)! > 0, JSON.stringify([...seen]));
    assert.equal((await fetch(`${leaderUrl}/browse?path=/web&limit=0`)).status, 200, 'limit 0 shows one entry a page');
    assert.deepEqual((await getJson(`${leaderUrl}/api/v1/master/webui_browse?path=${encodeURIComponent('//web///many/')}&offset=${'9'.repeat(30)}`)).fileInfos, []);
    assert.equal((await getJson(`${leaderUrl}/api/v1/master/webui_browse?path=/web/many&limit=${'9'.repeat(400)}`)).fileInfos.length, MANY);
  });

  test('names that are HTML show as text and run nothing', async () => {
    const v = await browser.visit(`${leaderUrl}/browse?path=%2Fweb`);
    assert.equal(v.status, 200);
    const names = (await tables(v))[0]!.slice(1).map((r) => r[0]);
    assert.ok(names.includes(IMG_NAME) && names.includes('<script>alert(1)<'), JSON.stringify(names));
    await shot(v, 'master-browse-html-names');
    await followText(v, '<script>alert(1)<');
    assert.deepEqual((await tables(v))[0]!.slice(1).map((r) => r[0]), ['script>']);
    await followText(v, 'script>');
    assert.equal(keyValues((await tables(v))[0]!).get('Path'), SCRIPT_PATH);
    await v.page.goto(`${leaderUrl}/browse?path=${encodeURIComponent(`/web/${IMG_NAME}`)}`, { waitUntil: 'load' });
    assert.equal(keyValues((await tables(v))[0]!).get('Path'), `/web/${IMG_NAME}`);
    assert.equal(await v.page.$$eval('script, img', (e) => e.length), 0, 'no element made from a name');
    assert.deepEqual(v.dialogs, [], 'no script from a name ran');
    assert.deepEqual(problems(v), []);
    await v.page.close();
  });

  test('the worker: every page of its navigation bar matches the CLI and the master', async () => {
    const v = await browser.visit(`${workerUrl}/`);
    assert.equal(v.status, 200);
    const nav = await v.page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(nav, ['/', '/blocks', '/metrics']);
    const report = parseReport((await c.cli(['fsadmin', 'report'])).stdout);
    const onMaster = (await getJson(`${leaderUrl}/api/v1/master/webui_workers`)).liveWorkers[0];
    const checks: Record<string, () => Promise<void>> = {
      '/': async () => {
        const [summary, tiers] = await tables(v);
        const kv = keyValues(summary!);
        assert.equal(kv.get('Capacity'), report.kv.get('Total Capacity'));
        assert.equal(kv.get('Used'), report.kv.get('Used Capacity'));
        assert.equal(kv.get('Version'), report.kv.get('Version'));
        assert.equal(kv.get('Worker Id'), report.workers[0]![1]);
        assert.equal(kv.get('Blocks'), String(onMaster.blockCount));
        assert.deepEqual(tiers!.slice(1).map((r) => [r[0], r[1], r[2]]), report.capacityTiers.map(([alias, cap], i) => [alias, cap, report.usedTiers[i]![1]]));
      },
      '/blocks': async () => {
        const [perTier, blocks] = await tables(v);
        assert.deepEqual(perTier!.slice(1).map((r) => [r[0], r[1]]), [['MEM', String(onMaster.blockCount)]]);
        assert.equal(blocks!.length - 1, Math.min(100, onMaster.blockCount));
        const stat = await c.cli(['fs', 'stat', '/web/dir with space/data file.bin']);
        const ids = new Set(blocks!.slice(1).map((r) => r[0]));
        for (const m of stat.stdout.matchAll(/BlockInfo\{id=(\d+)/g)) assert.ok(ids.has(m[1]), `block ${m[1]} of the file is listed`);
      },
    };
    await followEveryNavLink(v, workerUrl, nav, WORKER_PAGES, 'worker', checks);
    await v.page.close();
  });

  test('a standby: the banner on every page, its link to the leader', async () => {
    const standby = (leader + 1) % 3;
    const base = `http://localhost:${c.masterPorts[standby]!.web}`;
    await waitFor('the standby to know the leader', async () => (await getJson(`${base}/api/v1/master/info`)).leaderWebAddress === `localhost:${c.masterPorts[leader]!.web}`);
    for (const p of MASTER_PAGES) {
      const v = await browser.visit(`${base}${p}`);
      assert.equal(v.status, 200, p);
      assert.deepEqual(problems(v), [], p);
      assert.equal(await v.page.$eval('.banner', (e) => e.textContent), `This master is a standby; the leader is localhost:${c.masterPorts[leader]!.web}.`, p);
      if (p === '/') {
        await shot(v, 'master-standby-overview');
        assert.equal(keyValues((await tables(v))[0]!).get('Role'), 'STANDBY');
        await follow(v, '.banner a');
        assert.equal(v.status, 200);
        assert.equal(v.page.url(), `${leaderUrl}/`);
        assert.equal(keyValues((await tables(v))[0]!).get('Role'), 'LEADER');
        assert.equal(await v.page.$('.banner'), null, 'no banner on the leader');
      }
      await v.page.close();
    }
  });

  // Last: it stops the worker.
  test('a lost worker: in the Lost Workers table, counted as fsadmin report counts it', async () => {
    await c.kill('worker', 0, 'SIGKILL');
    await waitFor('the worker to be lost', async () => (await getJson(`${leaderUrl}/api/v1/master/webui_workers`)).lostWorkers.length === 1);
    const report = parseReport((await c.cli(['fsadmin', 'report'])).stdout);
    assert.equal(report.kv.get('Lost Workers'), '1');
    const v = await browser.visit(`${leaderUrl}/`);
    assert.equal(keyValues((await tables(v))[0]!).get('Lost Workers'), report.kv.get('Lost Workers'));
    assert.equal(keyValues((await tables(v))[0]!).get('Live Workers'), report.kv.get('Live Workers'));
    await follow(v, 'nav a[href="/workers"]');
    const [live, lost] = await tables(v);
    assert.equal(live!.length, 1, 'no live worker');
    assert.deepEqual(lost!.slice(1).map((r) => [r[1], r[0], r[3]]), report.workers.map((w) => [w[0], w[1], w[2]]));
    assert.equal(lost![1]![3], 'LOST');
    assert.deepEqual(problems(v), []);
    await shot(v, 'master-leader-workers-lost');
    await v.page.close();
  });
});

describe('web UI in a browser: alluxio.standby.master.web.enabled=false', { skip }, () => {
  const c = new TestCluster({ masters: 3, workers: 0, props: { 'alluxio.standby.master.web.enabled': 'false' } });
  let browser: TestBrowser;

  before(async () => {
    await c.setup();
    await c.start();
    browser = await TestBrowser.launch();
  });
  after(async () => {
    await browser?.close();
    await c.stop();
  });

  test('a standby serves no page (503 with the leader\'s link); its /api/v1 answers', async () => {
    const leader = await c.waitLeader();
    const standby = (leader + 1) % 3;
    const base = `http://localhost:${c.masterPorts[standby]!.web}`;
    const leaderWeb = `localhost:${c.masterPorts[leader]!.web}`;
    await waitFor('the standby to know the leader', async () => (await getJson(`${base}/api/v1/master/info`)).leaderWebAddress === leaderWeb);
    for (const p of MASTER_PAGES) {
      const v = await browser.visit(`${base}${p}`);
      assert.equal(v.status, 503, p);
      assert.match(await v.page.$eval('main', (e) => e.textContent ?? ''), /serves no web UI/);
      assert.equal(await v.page.$$eval('main table', (t) => t.length), 0, `${p}: no page content`);
      if (p === '/') {
        await shot(v, 'master-standby-disabled');
        await follow(v, `main a[href="http://${leaderWeb}/"]`);
        assert.equal(v.status, 200);
        assert.equal(keyValues((await tables(v))[0]!).get('Role'), 'LEADER');
      }
      await v.page.close();
    }
    for (const p of ['/api/v1/master/info', '/api/v1/master/config', '/api/v1/master/webui_overview', '/api/v1/master/webui_config']) {
      const r = await fetch(`${base}${p}`);
      assert.equal(r.status, 200, p);
      assert.equal(typeof (await r.json()), 'object');
    }
  });
});

/**
 * The pure parts of the web UI (src/server/web.ts, src/server/master/webPages*.ts): escaping in
 * text, attributes and links; query parameters (bad input, huge numbers); pagination bounds;
 * breadcrumbs; the layout's navigation bar and banner. Exact, table-driven.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadParamError, MASTER_NAV, WORKER_NAV, esc, hrefWith, htmlOrJson, intParam, kvTable, layoutHtml, link, page, pageWindow, pager, queryOf, startWeb, table,
} from '../../src/server/web.js';
import { browseHref, crumbs, renderBrowse, renderLogs, webLink } from '../../src/server/master/webPages.js';
import { pathInfos, sortTiers, type BrowseData, type BrowseEntry } from '../../src/server/master/webPagesData.js';

const SCRIPT = '<script>alert(1)</script>';

test('esc: the five characters that matter in text and attributes', () => {
  const cases: [unknown, string][] = [
    ['plain', 'plain'], [SCRIPT, '&lt;script&gt;alert(1)&lt;/script&gt;'], ['a"b\'c', 'a&quot;b&#39;c'],
    ['&amp;', '&amp;amp;'], ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'], [42, '42'], ['ü 日本', 'ü 日本'],
  ];
  for (const [input, want] of cases) assert.equal(esc(input), want, String(input));
});

test('links: query values percent-encoded, then the whole href escaped for the attribute', () => {
  const cases: [string, string][] = [
    ['/', '/browse?path=%2F'],
    ['/a b', '/browse?path=%2Fa%20b'],
    ['/ü/日本', '/browse?path=%2F%C3%BC%2F%E6%97%A5%E6%9C%AC'],
    ['/a+b&c=d#e%f', '/browse?path=%2Fa%2Bb%26c%3Dd%23e%25f'],
    ['/x/' + SCRIPT, '/browse?path=%2Fx%2F%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
    ['/"q\'', '/browse?path=%2F%22q\''],
  ];
  for (const [path, want] of cases) {
    assert.equal(browseHref(path), want, path);
    // What the browser sends back decodes to the same path.
    assert.equal(new URL(want, 'http://x').searchParams.get('path'), path, path);
  }
  assert.equal(link(browseHref('/"q\''), '"q\'').html, '<a href="/browse?path=%2F%22q&#39;">&quot;q&#39;</a>');
  assert.equal(hrefWith('/p', { a: 1, b: undefined, c: 'x y' }), '/p?a=1&c=x%20y');
  assert.equal(hrefWith('/p', {}), '/p');
  assert.equal(link('/x', SCRIPT).html, '<a href="/x">&lt;script&gt;alert(1)&lt;/script&gt;</a>');
  assert.equal(htmlOf(webLink('h"x:1')), '<a href="http://h&quot;x:1/">h&quot;x:1</a>');
  assert.equal(htmlOf(webLink('')), 'unknown');
});

const htmlOf = (x: { html: string } | string) => (typeof x === 'string' ? x : x.html);

test('intParam: absent or empty is the default, huge is the maximum, anything else a BadParamError', () => {
  const cases: [string, number | 'bad'][] = [
    ['', 7], ['offset=', 7], ['offset=0', 0], ['offset=5', 5], ['offset=%2030%20', 30], ['offset=100', 100], ['offset=101', 100],
    ['offset=99999999999999999999999999999', 100], [`offset=${'9'.repeat(5000)}`, 100],
    ['offset=-1', 'bad'], ['offset=1.5', 'bad'], ['offset=1e3', 'bad'], ['offset=abc', 'bad'], ['offset=0x10', 'bad'], ['offset=%zz', 'bad'], ['offset=Infinity', 'bad'],
  ];
  for (const [qs, want] of cases) {
    const q = new URLSearchParams(qs);
    if (want === 'bad') assert.throws(() => intParam(q, 'offset', 7, 100), BadParamError, qs);
    else assert.equal(intParam(q, 'offset', 7, 100), want, qs);
  }
});

test('queryOf never throws on odd targets', () => {
  const cases: [string | undefined, string | null][] = [
    ['/browse?path=%zz', '%zz'], ['/browse?path=%E0%A4', '\ufffd'], ['/browse?path=a+b', 'a b'], ['/browse', null], [undefined, null], ['/browse?path=%00', '\u0000'],
  ];
  for (const [url, want] of cases) assert.equal(queryOf({ url }).get('path'), want, String(url));
});

test('pageWindow and pager: every offset in bounds, links only where they lead', () => {
  const windows: [number, number, number, { start: number; end: number }][] = [
    [0, 0, 20, { start: 0, end: 0 }], [5, 0, 20, { start: 0, end: 5 }], [45, 20, 20, { start: 20, end: 40 }],
    [45, 40, 20, { start: 40, end: 45 }], [45, 45, 20, { start: 45, end: 45 }], [45, 1e15, 20, { start: 45, end: 45 }],
    [45, 3, 20, { start: 3, end: 23 }], [45, 0, 10_000, { start: 0, end: 45 }],
  ];
  for (const [total, offset, limit, want] of windows) assert.deepEqual(pageWindow(total, offset, limit), want, `${total} ${offset} ${limit}`);

  assert.equal(pager('/browse', { path: '/d' }, 5, 0, 20), '', 'one page: no pager');
  assert.equal(pager('/browse', { path: '/a b' }, 45, 20, 20),
    '<p class="pager"><a href="/browse?path=%2Fa%20b&amp;offset=0&amp;limit=20">First</a><a href="/browse?path=%2Fa%20b&amp;offset=0&amp;limit=20">Previous</a>'
    + '<span>21-40 of 45</span><a href="/browse?path=%2Fa%20b&amp;offset=40&amp;limit=20">Next</a><a href="/browse?path=%2Fa%20b&amp;offset=40&amp;limit=20">Last</a></p>');
  assert.equal(pager('/blocks', {}, 45, 0, 20),
    '<p class="pager"><span>First</span><span>Previous</span><span>1-20 of 45</span><a href="/blocks?offset=20&amp;limit=20">Next</a><a href="/blocks?offset=40&amp;limit=20">Last</a></p>');
  assert.equal(pager('/blocks', {}, 40, 40, 20),
    '<p class="pager"><a href="/blocks?offset=0&amp;limit=20">First</a><a href="/blocks?offset=20&amp;limit=20">Previous</a><span>none of 40</span><span>Next</span><span>Last</span></p>');
  assert.equal(pager('/blocks', {}, 40, 1e15, 20),
    '<p class="pager"><a href="/blocks?offset=0&amp;limit=20">First</a><a href="/blocks?offset=20&amp;limit=20">Previous</a><span>none of 40</span><span>Next</span><span>Last</span></p>',
    'an offset far past the end: a way back, no way further');
});

test('breadcrumbs of a path: each directory above a link, the path itself text', () => {
  assert.deepEqual(pathInfos('/'), [{ name: '/', absolutePath: '/' }]);
  assert.deepEqual(pathInfos('/a b/ü'), [{ name: '/', absolutePath: '/' }, { name: 'a b', absolutePath: '/a b' }, { name: 'ü', absolutePath: '/a b/ü' }]);
  const d = { pathInfos: pathInfos('/x/<b>') } as BrowseData;
  assert.equal(crumbs(d), '<p class="crumbs"><a href="/browse?path=%2F">/</a> / <a href="/browse?path=%2Fx">x</a> / <b>&lt;b&gt;</b></p>');
});

function entry(name: string, dir: boolean, over: Partial<BrowseEntry> = {}): BrowseEntry {
  return {
    name, absolutePath: `/d/${name}`, isDirectory: dir, size: dir ? 0 : 10, blockSizeBytes: 1024, inAlluxioPercentage: dir ? 0 : 100,
    persistenceState: 'NOT_PERSISTED', completed: true, owner: 'o<', group: 'g"', mode: dir ? 'drwxr-xr-x' : '-rw-r--r--',
    creationTimeMs: 0, lastModificationTimeMs: Date.UTC(2026, 0, 2, 3, 4, 5), ...over,
  };
}

test('renderBrowse: hostile names are text and encoded links; a file shows its blocks and locations', () => {
  const base: BrowseData = {
    currentPath: '/d', status: 'ok', error: '', pathInfos: pathInfos('/d'), currentDirectory: entry('d', true, { absolutePath: '/d' }),
    fileInfos: [entry(SCRIPT, false), entry('<img src=x onerror=alert(1)>', true)], ntotalFile: 2, offset: 0, limit: 20, fileBlocks: [], ufsPath: '', persistError: '',
  };
  const dir = renderBrowse(base);
  assert.ok(!dir.includes('<script>') && !dir.includes('<img'), dir);
  assert.ok(dir.includes(`<td><a href="/browse?path=%2Fd%2F%3Cscript%3Ealert(1)%3C%2Fscript%3E">&lt;script&gt;alert(1)&lt;/script&gt;</a></td><td>10</td><td>1024B</td><td>100%</td><td>NOT_PERSISTED</td><td>o&lt;</td><td>g&quot;</td><td>-rw-r--r--</td><td>2026-01-02T03:04:05.000Z</td>`), dir);
  assert.ok(dir.includes('<td><a href="/browse?path=%2Fd%2F%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E">&lt;img src=x onerror=alert(1)&gt;</a></td><td></td><td></td><td>DIR</td>'), dir);

  const file = renderBrowse({
    ...base, currentPath: '/d/f', pathInfos: pathInfos('/d/f'), currentDirectory: entry('f', false, { absolutePath: '/d/f' }), fileInfos: [], ntotalFile: 0,
    fileBlocks: [{ blockId: 16777216, offset: 0, length: 10, locations: [{ workerId: 1, workerAddress: 'w<1>:29999', workerWebAddress: 'w<1>:30000', tierAlias: 'MEM' }], lostLocations: [] }],
  });
  assert.ok(file.includes('<h2>Blocks (1)</h2>'), file);
  assert.ok(file.includes('<td>16777216</td><td>0</td><td>10</td><td><a href="http://w&lt;1&gt;:30000/">w&lt;1&gt;:29999</a> (MEM)</td><td></td>'), file);

  const missing = renderBrowse({ ...base, status: 'notFound', error: `/${SCRIPT} does not exist`, pathInfos: pathInfos(`/${SCRIPT}`) });
  assert.ok(missing.includes('<p class="error">/&lt;script&gt;alert(1)&lt;/script&gt; does not exist</p>'), missing);
  assert.ok(!missing.includes('<script>'));
});

test('renderLogs: log lines are text', () => {
  const out = renderLogs({ logFile: '/l/<m>.log', lines: 200, tail: ['a <b>', `x ${SCRIPT}`], note: '' });
  assert.ok(out.includes('<pre>a &lt;b&gt;\nx &lt;script&gt;alert(1)&lt;/script&gt;</pre>'), out);
  assert.ok(out.includes('Log file: /l/&lt;m&gt;.log'), out);
  assert.ok(out.includes('<a href="/logs?lines=1000">more</a>'), out);
});

test('layout: the navigation bars link exactly the pages; the active one marked; the banner as given', () => {
  assert.deepEqual(MASTER_NAV.map((l) => l.href), ['/', '/browse', '/workers', '/config', '/metrics', '/journal', '/logs']);
  assert.deepEqual(WORKER_NAV.map((l) => l.href), ['/', '/blocks', '/metrics']);
  const cases: [string, string][] = [['/', 'Overview'], ['/browse', 'Browse'], ['/config', 'Configuration'], ['/nope', '']];
  for (const [path, active] of cases) {
    const h = layoutHtml({ brand: 'B', nav: MASTER_NAV }, path);
    assert.deepEqual([...h.matchAll(/<a href="[^"]*" class="active">([^<]*)<\/a>/g)].map((m) => m[1]), active ? [active] : [], path);
    assert.ok(!h.includes('class="banner"'));
  }
  assert.ok(layoutHtml({ brand: 'B', nav: WORKER_NAV, banner: () => 'standby <a href="http://l:1/">l</a>' }, '/')
    .endsWith('</nav><div class="banner">standby <a href="http://l:1/">l</a></div>'));
  assert.equal(table(['h'], [[link('/a', 'b<')], ['c<']]), '<table><tr><th>h</th></tr><tr><td><a href="/a">b&lt;</a></td></tr><tr><td>c&lt;</td></tr></table>');
  assert.equal(kvTable([['k<', 'v"'], ['l', link('/x?a=1&b=2', 'x')]]), '<table class="kv"><tr><th>k&lt;</th><td>v&quot;</td></tr><tr><th>l</th><td><a href="/x?a=1&amp;b=2">x</a></td></tr></table>');
  assert.deepEqual(sortTiers([{ alias: 'HDD' }, { alias: 'ZZ' }, { alias: 'MEM' }, { alias: 'AA' }, { alias: 'SSD' }]).map((t) => t.alias), ['MEM', 'SSD', 'HDD', 'AA', 'ZZ']);
});

test('page: the title is text; refresh only when asked; the layout goes in once, where page() left room', async () => {
  const p = page(SCRIPT, '<p>body</p>', 0);
  assert.ok(p.includes('<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>') && !p.includes('http-equiv="refresh"'));
  assert.ok(page('t', '', 15).includes('<meta http-equiv="refresh" content="15">'));
  // A banner with `$&` and `$'` (replacement patterns of String.replace) goes in as it is; a
  // body that shows the marker as text (escaped) gets no second layout.
  const { server, port } = await startWeb('127.0.0.1', 0, {
    '/': () => ({ type: 'html', body: page('t', esc('<!--alluxio-layout-->')) }),
    '/bad': (req) => htmlOrJson(false, 't', () => intParam(queryOf(req), 'n', 0, 10), String),
    '/bad.json': (req) => htmlOrJson(true, 't', () => intParam(queryOf(req), 'n', 0, 10), String),
  }, {}, { brand: 'B', nav: WORKER_NAV, banner: () => 'costs $& and $\' and $1' });
  try {
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal(body.split('<nav>').length, 2, body);
    assert.ok(body.includes('<div class="banner">costs $& and $\' and $1</div>'), body);
    assert.ok(body.includes('&lt;!--alluxio-layout--&gt;'), body);
    const bad = await fetch(`http://127.0.0.1:${port}/bad?n=-5`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /<p class="error">n=&quot;-5&quot; is not a whole number from 0 to 10<\/p>/);
    const badJson = await fetch(`http://127.0.0.1:${port}/bad.json?n=x`);
    assert.equal(badJson.status, 400);
    assert.deepEqual(await badJson.json(), { error: 'n="x" is not a whole number from 0 to 10' });
    const huge = await fetch(`http://127.0.0.1:${port}/bad.json?n=${'9'.repeat(400)}`);
    assert.equal(huge.status, 200);
    assert.equal(await huge.json(), 10);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

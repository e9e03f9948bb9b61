/** Small HTTP helpers shared by the master and worker web UIs. */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { effectiveLevel, isLoggerName, parseLevel, setLevel } from '../log.js';
import { secretMatches } from '../clusterSecret.js';
import { configHash, effectiveProperties, formatBytes, sharedConfigHash, type Config } from '../conf/index.js';

/**
 * Who this process is, for readiness checks (the launcher sets ALLUXIO_INSTANCE_ID; a process
 * started another way gets a random id, made once).
 */
const INSTANCE_ID = process.env.ALLUXIO_INSTANCE_ID || randomUUID();

/**
 * The process identity and configuration hashes that the info JSON of a master and a worker carry
 * (configHash: every key; sharedConfigHash: the keys every server should agree on).
 */
export function processIdentity(conf: Config): { pid: number; instanceId: string; configHash: string; sharedConfigHash: string } {
  const s = confSummary(conf);
  return { pid: process.pid, instanceId: INSTANCE_ID, configHash: s.configHash, sharedConfigHash: s.sharedConfigHash };
}

interface ConfSummary { configHash: string; sharedConfigHash: string; properties: Record<string, string> }
const summaries = new WeakMap<Config, ConfSummary>();

/**
 * The effective configuration of this process as `/api/v1/<kind>/config` answers it: its hash and
 * every key's resolved value (computed once: a process's configuration never changes). No key of
 * the schema holds a credential, so nothing is masked (getConf prints every value too).
 */
export function confSummary(conf: Config): ConfSummary {
  let s = summaries.get(conf);
  if (!s) {
    const properties = effectiveProperties(conf);
    s = { configHash: configHash(properties), sharedConfigHash: sharedConfigHash(properties), properties };
    summaries.set(conf, s);
  }
  return s;
}

/** A route's answer; `contentType` overrides the type's (the body is then sent as a string: Prometheus text, scripts). */
export type Route = (req: http.IncomingMessage) => { status?: number; type: 'html' | 'json'; body: unknown; contentType?: string } | undefined;

/**
 * The path of a request target, or undefined when it is not an origin-form path that parses
 * ("//", "*", "http://[", control characters...). Never throws.
 */
export function requestPath(target: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!target || target[0] !== '/' || target.startsWith('//') || /[\u0000-\u001f\u007f]/.test(target)) return undefined;
  try { return new URL(target, 'http://x').pathname; } catch { return undefined; }
}

/**
 * Serve `routes` (exact paths, GET and HEAD) and `posts` (exact paths, POST: actions, which check
 * their caller themselves); HTML pages get `layout` (navigation bar, banner). Every byte is
 * hostile: an unparsable target is a 400, another method a 405, an unknown path a 404, a route
 * that throws a 500 with its message (never a stack); nothing a client sends can throw out of
 * the handler.
 */
export function startWeb(host: string, port: number, routes: Record<string, Route>, posts: Record<string, Route> = {}, layout?: WebLayout): Promise<{ server: http.Server; port: number }> {
  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    try {
      const p = requestPath(req.url);
      if (p === undefined) { send(res, 400, 'text/plain', 'bad request target\n'); return; }
      const isPost = Object.hasOwn(posts, p);
      const allowed = isPost ? req.method === 'POST' : req.method === 'GET' || req.method === 'HEAD';
      if (!allowed) { res.setHeader('allow', isPost ? 'POST' : 'GET, HEAD'); send(res, 405, 'text/plain', 'method not allowed\n'); return; }
      req.resume(); // a body is never read: drain it
      const route = isPost ? posts[p] : Object.hasOwn(routes, p) ? routes[p] : undefined;
      let out;
      try { out = route?.(req); } catch (e) { out = { status: 500, type: 'json' as const, body: { error: String((e as Error)?.message ?? e) } }; }
      if (!out) { send(res, 404, 'text/plain', 'not found\n'); return; }
      let body = out.type === 'json' ? JSON.stringify(out.body, null, 2) + '\n' : String(out.body);
      // The server's navigation bar and banner, once, where page() left room (a function, so
      // that no `$` in a banner is read as a replacement pattern).
      if (out.type === 'html' && layout) body = body.replace(LAYOUT_MARK, () => layoutHtml(layout, p));
      send(res, out.status ?? 200, out.contentType ?? (out.type === 'json' ? 'application/json' : 'text/html; charset=utf-8'), body);
    } catch {
      // Rendering failed (or the socket is gone): close this one request, keep serving.
      try { send(res, 500, 'text/plain', 'internal error\n'); } catch { res.destroy(); }
    }
  });
  // Malformed HTTP (bad request line, huge headers) never reaches the handler: node's own
  // clientError default answers 400 or 431 and closes the connection.
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as any).port });
    });
  });
}

/** The header through which the CLI presents the cluster secret to a web action (alluxio logLevel). */
export const SECRET_HEADER = 'x-alluxio-cluster-secret';

/**
 * POST `?logName=<name>[&level=<LEVEL>]`: set the level of logger `name` (and of the loggers below
 * it) in this process, or with no level only say what it is, as Alluxio's logLevel REST call does.
 * With a cluster secret, the caller must present it (SECRET_HEADER): changing what a server logs
 * is an action, not a page.
 */
export function logLevelRoute(secret: string | undefined): Route {
  return (req) => {
    if (secret !== undefined) {
      if (!secretMatches(req.headers[SECRET_HEADER], secret)) {
        return { status: 403, type: 'json', body: { error: `the cluster secret is missing or wrong (header ${SECRET_HEADER}); alluxio logLevel sends the one of conf/alluxio-cluster.secret` } };
      }
    }
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const logName = q.get('logName') ?? '';
    if (!isLoggerName(logName)) return { status: 400, type: 'json', body: { error: `logName ${JSON.stringify(logName.slice(0, 300))} is not a logger name (letters, digits, . _ $ -; at most 256)` } };
    const levelText = q.get('level');
    if (levelText !== null) {
      const level = parseLevel(levelText);
      if (!level) return { status: 400, type: 'json', body: { error: `level ${JSON.stringify(levelText.slice(0, 50))} is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF` } };
      setLevel(logName, level);
    }
    return { type: 'json', body: { logName, level: effectiveLevel(logName) } };
  };
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return `${d} day(s), ${h} hour(s), ${m} minute(s), and ${s % 60} second(s)`;
}

/** A link of a navigation bar. */
export interface NavLink { href: string; label: string }

/**
 * How often the live pages (overviews, workers) reload: alluxio.web.refresh.interval in whole
 * seconds (at least 1). Pages a user reads or pages through (browse, configuration, logs, blocks)
 * do not reload.
 */
export function refreshSec(conf: Config): number {
  return Math.max(1, Math.ceil(conf.getMs('alluxio.web.refresh.interval') / 1000));
}

/** The master's navigation bar: every page of its web UI. */
export const MASTER_NAV: readonly NavLink[] = [
  { href: '/', label: 'Overview' }, { href: '/browse', label: 'Browse' }, { href: '/workers', label: 'Workers' },
  { href: '/config', label: 'Configuration' }, { href: '/metrics', label: 'Metrics' }, { href: '/journal', label: 'Journal' },
  { href: '/logs', label: 'Logs' },
];

/** The worker's navigation bar. */
export const WORKER_NAV: readonly NavLink[] = [
  { href: '/', label: 'Overview' }, { href: '/blocks', label: 'Blocks' }, { href: '/metrics', label: 'Metrics' },
];

/**
 * What startWeb puts at the top of every HTML page of one server: its name, its navigation bar
 * and, computed per request, a banner (HTML; e.g. a standby master's link to the leader).
 */
export interface WebLayout { brand: string; nav: readonly NavLink[]; banner?: () => string }

/**
 * Where page() leaves room for the server's layout. Escaped text can never contain it (esc turns
 * `<` into `&lt;`), so only page() itself writes it, once, before the title.
 */
const LAYOUT_MARK = '<!--alluxio-layout-->';

const STYLE = `body{font-family:sans-serif;margin:0;color:#222}main{margin:1em 2em}
nav{background:#1f3a5f;padding:0 2em;display:flex;flex-wrap:wrap;align-items:center}
nav .brand{color:#fff;font-weight:bold;margin-right:1.5em}
nav a{color:#dde6f0;text-decoration:none;padding:.8em .9em;display:inline-block}
nav a:hover{background:#2d5286}nav a.active{background:#fff;color:#1f3a5f}
.banner{background:#fff3cd;border-bottom:1px solid #e0c36c;padding:.7em 2em}
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right}.error{color:#a00}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.pager a,.pager span{margin-right:.8em}.crumbs a{margin:0 .2em}`;

/**
 * A whole HTML page: `title` (text, escaped here) and `body` (HTML, escaped by its maker).
 * `refreshSec` > 0 reloads the page that often (0: never). The server's navigation bar and
 * banner (WebLayout) are filled in by startWeb.
 */
export function page(title: string, body: string, refreshSec = 15): string {
  const refresh = refreshSec > 0 ? `<meta http-equiv="refresh" content="${Math.floor(refreshSec)}">` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${refresh}<title>${esc(title)}</title>
<style>${STYLE}</style>
</head><body>${LAYOUT_MARK}<main><h1>${esc(title)}</h1>${body}</main></body></html>\n`;
}

/** The navigation bar (the link of `path` marked active) and the banner of `layout`. */
export function layoutHtml(layout: WebLayout, path: string): string {
  const links = layout.nav.map((l) => `<a href="${esc(l.href)}"${l.href === path || (l.href !== '/' && path.startsWith(l.href + '/')) ? ' class="active"' : ''}>${esc(l.label)}</a>`).join('');
  const banner = layout.banner?.() ?? '';
  return `<nav><span class="brand">${esc(layout.brand)}</span>${links}</nav>${banner ? `<div class="banner">${banner}</div>` : ''}`;
}

/** HTML made by its maker (with esc, link): table and kvTable put it in as it is. */
export class Html { constructor(readonly html: string) {} }
export const html = (s: string): Html => new Html(s);

const cell = (c: unknown): string => (c instanceof Html ? c.html : esc(c));

/** A table: the headers and every cell escaped, but a cell that is Html (a link). */
export function table(headers: string[], rows: unknown[][]): string {
  return `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** A table of label/value rows (no header row); a value may be Html. */
export function kvTable(rows: [string, unknown][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${cell(v)}</td></tr>`).join('')}</table>`;
}

/** A link: `href` is put in an attribute (escaped), `text` shown as text (escaped). */
export function link(href: string, text: unknown): Html {
  return html(`<a href="${esc(href)}">${esc(text)}</a>`);
}

/** `path?k=v&...` with every value percent-encoded (undefined values left out). */
export function hrefWith(path: string, params: Record<string, string | number | undefined>): string {
  const q = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return q.length ? `${path}?${q.join('&')}` : path;
}

/** A bad query parameter: the page answers 400 with this message. */
export class BadParamError extends Error {}

/** The query parameters of a request (never throws: a bad percent-escape stays as it is). */
export function queryOf(req: { url?: string }): URLSearchParams {
  try { return new URL(req.url ?? '/', 'http://x').searchParams; } catch { return new URLSearchParams(); }
}

/**
 * Whole-number parameter `name` of `q`: `def` when absent or empty, at most `max` (larger numbers,
 * however long, are `max`); anything else (negative, fractions, words) is a BadParamError.
 */
export function intParam(q: URLSearchParams, name: string, def: number, max: number): number {
  const v = (q.get(name) ?? '').trim();
  if (v === '') return def;
  if (!/^\d+$/.test(v)) throw new BadParamError(`${name}=${JSON.stringify(v.slice(0, 40))} is not a whole number from 0 to ${max}`);
  const n = v.length > 15 ? Infinity : Number(v);
  return Math.min(n, max);
}

/** The slice [offset, offset+limit) of `total` items that a page shows (offset past the end: an empty page at the end). */
export function pageWindow(total: number, offset: number, limit: number): { start: number; end: number } {
  const start = Math.min(offset, total);
  return { start, end: Math.min(total, start + limit) };
}

/**
 * The pagination links of a list of `total` items shown `limit` at a time from `offset`: first,
 * previous, "items a-b of total", next, last (a link only where it leads elsewhere).
 */
export function pager(path: string, params: Record<string, string | undefined>, total: number, offset: number, limit: number): string {
  if (total <= limit && offset === 0) return '';
  const { start, end } = pageWindow(total, offset, limit);
  const at = (o: number, text: string, enabled: boolean) => (enabled && limit > 0
    ? link(hrefWith(path, { ...params, offset: o, limit }), text).html : `<span>${esc(text)}</span>`);
  const lastOffset = limit > 0 ? Math.max(0, Math.floor((total - 1) / limit) * limit) : 0;
  return `<p class="pager">${at(0, 'First', start > 0)}${at(Math.max(0, start - limit), 'Previous', start > 0)}`
    + `<span>${total === 0 || start === end ? `none of ${total}` : `${start + 1}-${end} of ${total}`}</span>`
    + `${at(end, 'Next', end < total)}${at(lastOffset, 'Last', end < total)}</p>`;
}

/**
 * A page's answer: its data as JSON, or the HTML `render` makes of it, with the status
 * `statusOf` gives the data (200 by default); a BadParamError is a 400 of the same kind.
 */
export function htmlOrJson<T>(json: boolean, title: string, data: () => T, render: (d: T) => string, refreshSec = 15, statusOf: (d: T) => number = () => 200): ReturnType<Route> {
  let d: T;
  try { d = data(); } catch (e) {
    if (!(e instanceof BadParamError)) throw e;
    return json ? { status: 400, type: 'json', body: { error: e.message } } : { status: 400, type: 'html', body: page(title, `<p class="error">${esc(e.message)}</p>`, 0) };
  }
  const status = statusOf(d);
  return json ? { status, type: 'json', body: d } : { status, type: 'html', body: page(title, render(d), refreshSec) };
}

export { formatBytes };

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
 * their caller themselves). Every byte is hostile: an unparsable target is a 400, another method
 * a 405, an unknown path a 404, a route that throws a 500 with its message (never a stack);
 * nothing a client sends can throw out of the handler.
 */
export function startWeb(host: string, port: number, routes: Record<string, Route>, posts: Record<string, Route> = {}): Promise<{ server: http.Server; port: number }> {
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
      const body = out.type === 'json' ? JSON.stringify(out.body, null, 2) + '\n' : String(out.body);
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

export function page(title: string, body: string, refreshSec = 15): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSec}"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#eee}</style>
</head><body><h1>${esc(title)}</h1>${body}</body></html>\n`;
}

export function table(headers: string[], rows: unknown[][]): string {
  return `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export { formatBytes };

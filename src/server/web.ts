/** Small HTTP helpers shared by the master and worker web UIs. */
import http from 'node:http';
import { formatBytes } from '../conf/index.js';

export type Route = (req: http.IncomingMessage) => { status?: number; type: 'html' | 'json'; body: unknown } | undefined;

export function startWeb(host: string, port: number, routes: Record<string, Route>): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = routes[url.pathname];
    let out;
    try { out = route?.(req); } catch (e) { out = { status: 500, type: 'json' as const, body: { error: String((e as Error).message) } }; }
    if (!out) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found\n'); return; }
    const body = out.type === 'json' ? JSON.stringify(out.body, null, 2) + '\n' : String(out.body);
    res.writeHead(out.status ?? 200, { 'content-type': out.type === 'json' ? 'application/json' : 'text/html; charset=utf-8' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as any).port });
    });
  });
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

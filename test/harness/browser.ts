/**
 * A headless Chromium for browser tests of the web UIs: the Debian package's /usr/bin/chromium
 * driven by puppeteer-core (no browser download, no network: pages come from loopback only).
 * Every page opened records what a user would notice: console errors, uncaught page errors,
 * failed requests (and responses >= 400 of what the page loads), and dialogs (alert, confirm:
 * a dialog means a script from the data ran). Screenshots go to artifactsDir().
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { ROOT } from './cluster.js';

/** The browser binary (ALLUXIO_TEST_CHROMIUM overrides; CI installs the Debian package chromium). */
export const CHROMIUM = process.env.ALLUXIO_TEST_CHROMIUM || '/usr/bin/chromium';

/**
 * A node:test `skip` value: skipped only when CI is unset and Chromium is missing, with the reason;
 * with CI set the test runs (and fails at launch when Chromium is missing).
 */
export function needsChromium(): string | false {
  return !process.env.CI && !fs.existsSync(CHROMIUM) ? `needs Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)` : false;
}

/** Where screenshots go: $ALLUXIO_TEST_ARTIFACTS, else test/artifacts/screenshots under the repository (gitignored). Created. */
export function artifactsDir(): string {
  const dir = process.env.ALLUXIO_TEST_ARTIFACTS || path.join(ROOT, 'test', 'artifacts', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** What happened while a page was open. */
export interface Visit {
  page: Page;
  /** The main document's HTTP status of the last navigation (0 when none). */
  status: number;
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests that failed, and responses >= 400 to anything but the main document. */
  failedRequests: string[];
  dialogs: string[];
}

/** Everything wrong that a visit recorded (empty: a clean page). */
export function problems(v: Visit): string[] {
  return [...v.consoleErrors.map((e) => `console: ${e}`), ...v.pageErrors.map((e) => `page error: ${e}`), ...v.failedRequests.map((e) => `request: ${e}`), ...v.dialogs.map((e) => `dialog: ${e}`)];
}

export class TestBrowser {
  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. The rest keeps
      // Chromium off the network (no updates, no sync) and within a small container.
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--proxy-server=direct://', '--proxy-bypass-list=*'],
      timeout: 60_000,
    });
    return new TestBrowser(browser);
  }

  /** A new tab that records problems; `goto` it to a URL (or use it with `follow`). */
  async newVisit(): Promise<Visit> {
    const page = await this.browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.setDefaultTimeout(30_000);
    page.setDefaultNavigationTimeout(30_000);
    const v: Visit = { page, status: 0, consoleErrors: [], pageErrors: [], failedRequests: [], dialogs: [] };
    page.on('console', (m) => { if (m.type() === 'error') v.consoleErrors.push(`${m.text()} (${m.location()?.url ?? ''})`); });
    page.on('pageerror', (e) => v.pageErrors.push(String((e as Error)?.message ?? e)));
    page.on('requestfailed', (r) => v.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.request().isNavigationRequest()) v.failedRequests.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    });
    page.on('dialog', (d) => { v.dialogs.push(`${d.type()}: ${d.message()}`); void d.dismiss().catch(() => {}); });
    return v;
  }

  /** Open `url` in a new tab; `status` is the document's. */
  async visit(url: string): Promise<Visit> {
    const v = await this.newVisit();
    const res = await v.page.goto(url, { waitUntil: 'load' });
    v.status = res?.status() ?? 0;
    return v;
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** Click the element `selector` (a link) and wait for the navigation it starts; sets v.status. */
export async function follow(v: Visit, selector: string): Promise<HTTPResponse | null> {
  const [res] = await Promise.all([v.page.waitForNavigation({ waitUntil: 'load' }), v.page.click(selector)]);
  v.status = res?.status() ?? 0;
  return res;
}

/** Click the link whose visible text is exactly `text` (inside `within`, default the page). */
export async function followText(v: Visit, text: string, within = 'main'): Promise<HTTPResponse | null> {
  const handle = await v.page.evaluateHandle((sel, t) => [...document.querySelectorAll(`${sel} a`)].find((a) => a.textContent === t) ?? null, within, text);
  const el = handle.asElement();
  if (!el) throw new Error(`no link "${text}" on ${v.page.url()}`);
  const [res] = await Promise.all([v.page.waitForNavigation({ waitUntil: 'load' }), (el as any).click()]);
  v.status = res?.status() ?? 0;
  return res;
}

/** Save a full-page PNG of the visit as `<artifactsDir>/<name>.png` (name made file-safe). */
export async function screenshot(v: Visit, name: string): Promise<string> {
  const file = path.join(artifactsDir(), `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.png`);
  await v.page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}

/** Tables of the page's main part: each a list of rows, each row the cells' text. */
export function tables(v: Visit): Promise<string[][][]> {
  return v.page.evaluate(() => [...document.querySelectorAll('main table')].map((t) => [...t.querySelectorAll('tr')].map((r) => [...r.querySelectorAll('td,th')].map((c) => (c.textContent ?? '').trim()))));
}

/** A two-column table as label -> value. */
export function keyValues(rows: string[][]): Map<string, string> {
  return new Map(rows.filter((r) => r.length === 2).map((r) => [r[0]!, r[1]!]));
}

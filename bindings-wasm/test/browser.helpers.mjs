// A static server on 127.0.0.1 and headless Debian Chromium for the browser tests.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Serve `routes` ([prefix, directory URL]) from 127.0.0.1; returns { base, close }. */
export async function serve(routes) {
  const server = createServer(async (req, res) => {
    let path = new URL(req.url, 'http://x').pathname;
    if (path.endsWith('/')) path += 'index.html';
    const [prefix, dir] = routes.find(([p]) => path.startsWith(p)) ?? [];
    try {
      if (!dir) throw new Error('no route');
      const file = new URL(`.${path.slice(prefix.length - 1)}`, dir);
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[file.pathname.slice(file.pathname.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Open `url`, wait for document.title 'done', return `window.result` (page errors fail it). */
export async function runPage(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'done', null, { timeout: 20_000 }).catch((e) => {
    throw new Error(`${e.message}; page errors: ${errors.join(' | ')}`);
  });
  const result = await page.evaluate(() => window.result);
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join(' | ')}`);
  return result;
}

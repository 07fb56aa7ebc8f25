// The package in headless Debian Chromium (playwright-core), served from
// 127.0.0.1: mint and decode every kind in the page, read the results back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url);
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const CHROMIUM = '/usr/bin/chromium';
let server, base, browser;

before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path.startsWith('/pkg/') ? new URL(`.${path}`, root) : new URL(`test/browser${path === '/' ? '/index.html' : path}`, root);
    try {
      const body = await readFile(file);
      const name = file.pathname;
      res.writeHead(200, { 'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('Chromium: every kind minted and decoded in the page', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.title === 'done', null, { timeout: 20_000 }).catch((e) => {
    throw new Error(`${e.message}; page errors: ${errors.join(' | ')}`);
  });
  const r = await page.evaluate(() => window.result);
  assert.deepEqual(errors, []);
  const ids = r.snowflake.map(BigInt);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]));
  assert.equal(r.decoded.node, 42);
  assert.ok(Math.abs(new Date(r.decoded.timestamp).getTime() - Date.now()) < 60_000);
  assert.match(r.friendly, /^\d{17}-42-\d+$/);
  assert.deepEqual(r.segment, ['100', '101']);
  assert.match(r.v4, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(r.v7ok);
  assert.match(r.nanoid, /^[A-Za-z0-9_-]{21}$/);
  assert.match(r.pin, /^\d{6}$/);
  assert.equal(r.base62.length, 11);
  assert.ok(r.roundTrip);
  assert.deepEqual(r.error, { name: 'RangeError', code: 'node_out_of_range', message: 'node must be in 0..=65535, got 70000' });
  await page.close();
});

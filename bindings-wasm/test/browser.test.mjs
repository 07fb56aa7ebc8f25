// The package in headless Debian Chromium (playwright-core), served from
// 127.0.0.1: a page minting and decoding every kind, the README's script-tag
// quickstart, and the README's bundler quickstart built by vite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { launch, runPage, serve } from './browser.helpers.mjs';

const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const block = (lang, i) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))][i][1];
const skip = false; // scripts/test installs Debian chromium; without it these tests fail rather than hide
let browser, server;

before(async () => {
  if (skip) return;
  // The script-tag quickstart, as a page next to the package folder.
  const page = new URL('build/readme-script/', root);
  mkdirSync(page, { recursive: true });
  const done = `<script type="module">while (!document.querySelector('#out').textContent) await new Promise((r) => setTimeout(r, 10)); window.result = document.querySelector('#out').textContent; document.title = 'done';</script>`;
  writeFileSync(new URL('index.html', page), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">\n${block('html', 0)}\n${done}\n`);
  // The bundler quickstart: a vite app that imports 'idloom-wasm' from node_modules (the built package).
  const app = new URL('build/readme-vite/', root);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(new URL('node_modules/', app), { recursive: true });
  symlinkSync(new URL('pkg', root).pathname, new URL('node_modules/idloom-wasm', app).pathname);
  writeFileSync(new URL('index.html', app), readFileSync(new URL('test/bundler/index.html', root)));
  writeFileSync(new URL('vite.config.mjs', app), readFileSync(new URL('test/bundler/vite.config.mjs', root)));
  writeFileSync(new URL('main.js', app), `${block('js', 0)}\nwindow.result = document.querySelector('#out').textContent;\ndocument.title = 'done';\n`);
  const vite = spawnSync(process.execPath, [new URL('node_modules/vite/bin/vite.js', root).pathname, 'build'], { cwd: app.pathname, encoding: 'utf8' });
  if (vite.status !== 0) throw new Error(`vite build failed: ${vite.stdout}${vite.stderr}`);
  server = await serve([
    ['/pkg/', new URL('pkg/', root)],
    ['/readme/idloom-wasm/', new URL('pkg/', root)],
    ['/readme/', page],
    ['/vite/', new URL('dist/', app)],
    ['/', new URL('test/browser/', root)],
  ]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('Chromium: every kind minted and decoded in the page', { skip }, async () => {
  const r = await runPage(browser, `${server.base}/`);
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
});

test('Chromium: the README script-tag quickstart', { skip }, async () => {
  const text = await runPage(browser, `${server.base}/readme/`);
  assert.match(text, /^snowflake \d+ node=5\nuuid v4 [0-9a-f-]{36}$/);
});

test('Chromium: the README bundler quickstart, built by vite', { skip }, async () => {
  const text = await runPage(browser, `${server.base}/vite/`);
  const m = /^snowflake (\d+) node=3 at (\S+)\nuuid v7 ([0-9a-f-]{36})\nnanoid ([\w-]{21})\nobjectid ([0-9a-f]{24}) at (\S+)$/.exec(text);
  assert.ok(m, text);
  assert.ok(Math.abs(Date.parse(m[2]) - Date.now()) < 60_000);
  assert.ok(Math.abs(Date.parse(m[6]) - Date.now()) < 60_000);
  assert.equal(parseInt(m[5].slice(0, 8), 16) * 1000, Date.parse(m[6]));
});

// Every ```js block of the package README runs as written, importing the
// package by its name (the exports map resolves it from inside the package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { implName } from './impl.mjs';

const root = new URL('..', import.meta.url);
const blocks = [...readFileSync(new URL('README.md', root), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has its quickstarts', () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length} js blocks`);
});

blocks.forEach((code, i) => {
  test(`README block ${i + 1} runs`, { skip: implName !== 'native' }, () => {
    mkdirSync(new URL('build/', root), { recursive: true });
    const file = new URL(`build/readme-${i + 1}.${/\brequire\(/.test(code) ? 'cjs' : 'mjs'}`, root);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file.pathname], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});

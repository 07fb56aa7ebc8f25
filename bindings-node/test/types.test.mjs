// The generated declarations type-check a usage file (ESM and CommonJS),
// including lines that must NOT compile (@ts-expect-error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { implName } from './impl.mjs';

const root = new URL('..', import.meta.url);

test('tsc --noEmit over test/types/usage.mts and usage.cts', { skip: implName !== 'native' }, () => {
  const tsc = new URL('node_modules/typescript/bin/tsc', root).pathname;
  const out = (() => {
    try {
      return execFileSync(process.execPath, [tsc, '-p', new URL('test/types/tsconfig.json', root).pathname], { encoding: 'utf8' });
    } catch (e) {
      return e.stdout + e.stderr;
    }
  })();
  assert.equal(out.trim(), '', out);
});

test('every public name has JSDoc in the generated declarations', { skip: implName !== 'native' }, () => {
  // index.d.mts re-exports lib/api.d.mts, where the declarations live once.
  assert.match(readFileSync(new URL('lib/index.d.mts', root), 'utf8'), /export \* from '\.\/api\.mjs'/);
  const dts = readFileSync(new URL('lib/api.d.mts', root), 'utf8');
  const undocumented = [];
  for (const text of [dts, readFileSync(new URL('lib/stores.d.mts', root), 'utf8')]) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const m = /^export (?:declare )?(?:function|class|const) (\w+)/.exec(line);
      if (m && !lines[i - 1].trim().endsWith('*/')) undocumented.push(m[1]);
    });
  }
  assert.deepEqual(undocumented, []);
  const exported = [...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]);
  assert.ok(exported.length >= 25, `only ${exported.length} exports declared`);
});

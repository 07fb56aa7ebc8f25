// Every string a store takes is checked by the core before anything is
// sent: tests/vectors/store_inputs.json (each input at its limit, one past
// it, characters in and out of its set), replayed through the check every
// store calls and through the stores' public calls — the same codes and
// messages as the Rust and Python replays. No server: a refused input must
// never reach one (the driver objects here fail the test if touched).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { idloom, implName } from './impl.mjs';

const { MySQLStore, PostgresStore } = idloom;
const argsUrl = implName === 'wasm' ? '../../bindings-wasm/pkg/lib/args.mjs' : '../lib/args.mjs';
const { input } = await import(new URL(argsUrl, import.meta.url).href);
const vectors = JSON.parse(readFileSync(new URL('../../tests/vectors/store_inputs.json', import.meta.url), 'utf8'));

/** `{ ok: true }`, or the idloom error's code and message. */
async function checked(f) {
  try {
    await f();
  } catch (e) {
    if (!e.code) throw e;
    return { error: e.code, message: e.message };
  }
  return { ok: true };
}

const untouched = () => assert.fail('a refused input reached the store');
const mysql = new MySQLStore({ getConnection: untouched });
const pg = new PostgresStore({ query: untouched });
const camel = { biz_tag: 'bizTag', holder: 'holder', description: 'description', namespace: 'namespace', table: 'table' };

test('store inputs: the shared vectors, through the check every store calls', async () => {
  assert.deepEqual(new Set(vectors.cases.map((c) => c.kind)), new Set(['namespace', 'biz_tag', 'holder', 'description', 'table']));
  for (const c of vectors.cases) {
    assert.deepEqual(await checked(() => input(c.kind, c.value, camel[c.kind])), c.expect, `${c.kind} ${JSON.stringify(c.value)}`);
  }
});

test('store inputs: refused by the public calls of every SQL store before anything is sent', async () => {
  for (const store of [mysql, pg]) {
    const calls = {
      namespace: (v) => store.namespace(v),
      biz_tag: (v) => store.segmentSource(v),
      description: (v) => store.initSegment('t', { floor: 0, description: v }),
      table: (v) => store.segmentSource('t', { table: v }),
    };
    for (const c of vectors.cases.filter((c) => 'error' in c.expect && c.kind in calls)) {
      assert.deepEqual(await checked(() => calls[c.kind](c.value)), c.expect, `${c.kind} ${JSON.stringify(c.value)}`);
    }
  }
});

test('store inputs: a lone surrogate is refused, never sent as U+FFFD; characters are counted, not UTF-16 units', async () => {
  for (const bad of ['\uD800', 'a\uDC00b']) {
    const got = await checked(() => mysql.initSegment('t', { floor: 0, description: bad }));
    assert.deepEqual(got, { error: 'invalid_argument', message: 'description must be valid Unicode text (it holds a lone surrogate)' });
  }
  assert.equal('😀'.repeat(256).length, 512);
  assert.deepEqual(await checked(() => input('description', '😀'.repeat(256), 'description')), { ok: true });
});

// Caller text never becomes SQL text: on MariaDB with NO_BACKSLASH_ESCAPES
// in the session's sql_mode (where client-side escaping with backslashes
// breaks: `\'` no longer escapes the quote), a description built to close
// the string and add a second counter row is stored as data, verbatim, and
// no other row appears. Real server (never a mock); it must answer.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { idloom } from './impl.mjs';

const { MySQLStore } = idloom;
const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const unique = (tag) => `js${tag}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
const mysql = createRequire(import.meta.url)('mysql2/promise');
const hex = (s) => `0x${Buffer.from(s).toString('hex')}`;

test.after(() => setTimeout(() => process.exit(0), 50).unref()); // pools hold sockets

/** A mysql2 pool whose every connection runs with NO_BACKSLASH_ESCAPES (a session setting: the shared server's global sql_mode is left alone). */
function noBackslashPool() {
  const pool = mysql.createPool({ uri: MYSQL, connectionLimit: 2, flags: ['FOUND_ROWS'] });
  pool.on('connection', (conn) => conn.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')", () => {}));
  return pool;
}

// The report's injection (a second counter row of the caller's choosing), then variants.
const evilTag = 'injected';
const payloads = [
  `x'), (${hex(evilTag)}, 999999, 1, ${hex('pwned')}) -- `,
  `x\\'), (${hex(evilTag)}, 999999, 1, ${hex('pwned')}) -- `,
  `x''), (${hex(evilTag)}, 999999, 1, ${hex('pwned')}) -- `,
  `x\\\\'), (${hex(evilTag)}, 999999, 1, ${hex('pwned')}) /* `,
  `x'), (${hex(evilTag)}, 999999, 1, ${hex('pwned')}) #`,
  "back\\slash \\0 \\n \\' \\\" \\Z % _ ; -- /* */ '' \"\"",
  'quotes \' " ` and unicode: 號段 ✓',
];

test('mysql: with NO_BACKSLASH_ESCAPES, text built to inject SQL is stored verbatim as data and adds no row', async () => {
  const pool = noBackslashPool();
  try {
    const [[mode]] = await pool.query('SELECT @@SESSION.sql_mode AS m');
    assert.match(mode.m, /NO_BACKSLASH_ESCAPES/, 'the session runs with NO_BACKSLASH_ESCAPES');
    const store = new MySQLStore(pool);
    for (const [i, description] of payloads.entries()) {
      const table = unique(`inj${i}`);
      const tag = `tag_${i}`;
      await store.initSegment(tag, { floor: 1000, step: 10, description, table });
      const [rows] = await pool.query(`SELECT biz_tag, max_id, description FROM ${table} ORDER BY biz_tag`);
      assert.deepEqual(
        rows.map((r) => ({ tag: r.biz_tag, max: Number(r.max_id), description: r.description })),
        [{ tag, max: 1000, description }],
        `payload ${i}: ${JSON.stringify(description)}`,
      );
      // The text reaches the lookups as data too: the counter answers, the caller's row does not exist.
      assert.equal(await store.segmentPeek(tag, { table }), 1000);
      await pool.query(`DROP TABLE ${table}`);
    }
  } finally {
    await pool.end();
  }
});

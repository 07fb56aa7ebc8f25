// A store URL's password never shows: not in an error (its message or
// util.inspect of it), not in util.inspect/String of a store, not in the
// CLI's output; the CLI takes the URL from IDLOOM_STORE_URL (a flag wins).
// Real servers (never mocks): the machine's PostgreSQL (trust: any password
// is accepted), MariaDB (root has none: a password is refused) and Redis.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { idloom, implName } from './impl.mjs';

const { MySQLStore, PostgresStore, RedisStore } = idloom;
const SECRET = 'Sup3r-s3cret-pw';
const unique = (tag) => `jssec${tag}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
const GOOD_PG = `postgres://postgres:${SECRET}@127.0.0.1:5432/test`;

test.after(() => setTimeout(() => process.exit(0), 50).unref()); // pools and clients hold sockets

/** Neither the text nor util.inspect of `e` holds the password. */
function clean(e, what) {
  for (const shown of [String(e?.message ?? e), inspect(e, { depth: 5, showHidden: true })]) {
    assert.ok(!shown.includes(SECRET), `${what}: ${shown}`);
  }
}

test('a store made from a URL shows it only redacted (inspect, toString)', async () => {
  const stores = [
    await PostgresStore.fromUrl(GOOD_PG),
    await MySQLStore.fromUrl(`mysql://root:${SECRET}@127.0.0.1:3306/test`),
    await RedisStore.fromUrl(`redis://default:${SECRET}@127.0.0.1:1/`),
  ];
  for (const s of stores) {
    for (const shown of [inspect(s, { showHidden: true, depth: 5 }), String(s), `${s}`]) {
      assert.ok(!shown.includes(SECRET), shown);
      assert.match(shown, /:\*\*\*@127\.0\.0\.1/);
    }
  }
  assert.equal(String(stores[0]), 'PostgresStore("postgres://postgres:***@127.0.0.1:5432/test")');
  // The password still reaches the server: PostgreSQL (trust) answers.
  await stores[0].initNamespace(unique('pg'), { nodes: 1, fresh: true });
});

test('errors from every store never carry the password', async () => {
  // MariaDB refuses a password root does not have.
  const my = await MySQLStore.fromUrl(`mysql://root:${SECRET}@127.0.0.1:3306/test`);
  const e1 = await my.initNamespace(unique('my'), { fresh: true }).catch((e) => e);
  assert.ok(['store_unavailable', 'store_schema'].includes(e1.code), String(e1));
  clean(e1, 'mysql refused');
  // Nothing listens: each driver's connection failure.
  for (const s of [
    await PostgresStore.fromUrl(`postgres://postgres:${SECRET}@127.0.0.1:1/test`),
    await MySQLStore.fromUrl(`mysql://root:${SECRET}@127.0.0.1:1/test`),
    await RedisStore.fromUrl(`redis://default:${SECRET}@127.0.0.1:1/`),
  ]) {
    const e = await s.initNamespace(unique('down'), { fresh: true }).catch((x) => x);
    assert.equal(e.code, 'store_unavailable', String(e));
    clean(e, `${s}`);
  }
  // Malformed URLs: Node's URL errors carry their whole input.
  for (const make of [
    () => MySQLStore.fromUrl(`mysql://root:${SECRET}@[::1/test`),
    async () => (await PostgresStore.fromUrl(`postgres://postgres:${SECRET}@127.0.0.1:notaport/test`)).initNamespace('x', { fresh: true }),
    () => RedisStore.fromUrl(`redis://default:${SECRET}@[::1/`),
  ]) {
    const e = await Promise.resolve().then(make).catch((x) => x);
    assert.ok(typeof e?.code === 'string', inspect(e));
    clean(e, 'malformed');
  }
});

const cli = (args, env = {}) =>
  spawnSync(process.execPath, [new URL('../bin/idloom.mjs', import.meta.url).pathname, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, IDLOOM_STORE_URL: '', ...env },
  });

test('the CLI takes the URL from IDLOOM_STORE_URL, a flag wins, and no output shows the password', { skip: implName !== 'native' }, () => {
  const ns = unique('cli');
  let r = cli(['store', 'init', '--namespace', ns, '--nodes', '2', '--fresh'], { IDLOOM_STORE_URL: GOOD_PG });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2 nodes/);
  r = cli(['store', 'status', '--url', GOOD_PG, '--namespace', ns], { IDLOOM_STORE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/test` });
  assert.equal(r.status, 0, `the flag wins: ${r.stderr}`);
  for (const [args, env] of [
    [['store', 'status', '--namespace', ns], { IDLOOM_STORE_URL: `postgres://postgres:${SECRET}@127.0.0.1:1/test` }],
    [['store', 'status', '--url', `mysql://root:${SECRET}@127.0.0.1:3306/test`, '--namespace', ns], {}],
    [['store', 'status', '--url', `redis://default:${SECRET}@127.0.0.1:1/`, '--namespace', ns], {}],
    [['store', 'init', '--url', `ftp://u:${SECRET}@h/`, '--namespace', ns], {}],
    [['store', 'init', '--namespace', ns], { IDLOOM_STORE_URL: `mysql://root:${SECRET}@[::1/test` }],
  ]) {
    r = cli(args, env);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout} ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET), r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  r = cli(['store', 'status', '--namespace', ns]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /IDLOOM_STORE_URL/);
});

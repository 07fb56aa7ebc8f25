// fromUrl honours TLS on all three engines, against private servers that
// accept TLS only (tests/tls/servers.sh: a throwaway CA; plain connections
// refused): PostgreSQL sslmode/sslrootcert, Redis rediss:// with
// ssl_ca_certs (ioredis and node-redis), MySQL ssl-mode/ssl-ca — the same
// URLs as the Python tests. A store that reaches its server has used TLS; a
// certificate from another CA is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { idloom } from './impl.mjs';

const { MySQLStore, PostgresStore, RedisStore, Snowflake, Segment } = idloom;
const servers = new URL('../../tests/tls/servers.sh', import.meta.url).pathname;
const unique = (tag) => `jstls${tag}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
// Under /tmp itself: the servers run as other users (PostgreSQL refuses root), who must reach the directory.
const dir = mkdtempSync('/tmp/idloom-tls-');
let env;

test.before(() => {
  execFileSync('bash', [servers, 'start', dir], { stdio: 'pipe', timeout: 180_000 });
  env = Object.fromEntries(readFileSync(`${dir}/urls.env`, 'utf8').trim().split('\n').map((l) => l.split('=')));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other',
    '-keyout', `${dir}/other-ca.key`, '-out', `${dir}/other-ca.pem`], { stdio: 'pipe' });
  env.OTHER = `${dir}/other-ca.pem`;
});
test.after(() => {
  execFileSync('bash', [servers, 'stop', dir], { stdio: 'pipe', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  setTimeout(() => process.exit(0), 50).unref(); // pools and clients hold sockets
});

const urls = (ca) => ({
  postgres: `postgresql://postgres@127.0.0.1:${env.PG_PORT}/test?sslmode=verify-full&sslrootcert=${ca}`,
  ioredis: `rediss://127.0.0.1:${env.REDIS_PORT}/0?ssl_ca_certs=${ca}`,
  'node-redis': `rediss://127.0.0.1:${env.REDIS_PORT}/0?ssl_ca_certs=${ca}`,
  mysql: `mysql://root@127.0.0.1:${env.MYSQL_PORT}/test?ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca}`,
});
const open = (which, url) =>
  which === 'postgres' ? PostgresStore.fromUrl(url) : which === 'mysql' ? MySQLStore.fromUrl(url) : RedisStore.fromUrl(url, { driver: which === 'ioredis' ? 'ioredis' : 'redis' });
/** A call that reaches the server on every engine (Redis's init sends nothing). */
async function touch(store) {
  await store.init();
  await store.initNamespace(unique('t'), { nodes: 1, ttlMs: 5000, maxSkewMs: 500, fresh: true });
}

for (const which of ['postgres', 'ioredis', 'node-redis', 'mysql']) {
  test(`${which} over verified TLS: lease, mint, draw`, async () => {
    const store = await open(which, urls(env.CA)[which]);
    await store.init();
    const ns = unique('tls');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 5000, maxSkewMs: 500, fresh: true });
    const lease = await store.leaseNode(ns);
    assert.ok(new Snowflake({ lease }).next() > 0n);
    await lease.release();
    const tag = unique('tls');
    await store.initSegment(tag, { floor: 1 });
    const seg = new Segment(store.segmentSource(tag), { step: 10 });
    await seg.ready();
    assert.equal(seg.next(), 1n);
  });

  test(`${which}: a certificate from another CA is refused`, async () => {
    await assert.rejects(async () => touch(await open(which, urls(env.OTHER)[which])), (e) => e.code === 'store_unavailable');
  });
}

test('these servers refuse plain text, so the tests above used TLS', async () => {
  for (const [which, url] of [
    ['postgres', `postgresql://postgres@127.0.0.1:${env.PG_PORT}/test?sslmode=disable`],
    ['ioredis', `redis://127.0.0.1:${env.REDIS_PORT}/0`],
    ['mysql', `mysql://root@127.0.0.1:${env.MYSQL_PORT}/test`],
  ]) {
    await assert.rejects(async () => touch(await open(which, url)), (e) => typeof e.code === 'string', which);
  }
});

test('MySQL TLS modes are the MySQL client\'s, decided by the core', async () => {
  const base = `mysql://root@127.0.0.1:${env.MYSQL_PORT}/test`;
  await touch(await MySQLStore.fromUrl(`${base}?ssl-mode=REQUIRED`)); // encrypted, not verified
  await touch(await MySQLStore.fromUrl(`${base}?ssl-ca=${env.CA}`)); // ssl-ca alone: VERIFY_CA
  await assert.rejects(async () => touch(await MySQLStore.fromUrl(`${base}?ssl-mode=VERIFY_CA&ssl-ca=${env.OTHER}`)), (e) => e.code === 'store_unavailable');
  for (const [q, word] of [['?ssl-mode=PREFERRED', /PREFERRED/], ['?ssl-mode=VERIFY_CA', /ssl-ca/], ['?ssl-mode=maybe', /ssl-mode/]]) {
    await assert.rejects(() => MySQLStore.fromUrl(base + q), (e) => e.code === 'invalid_argument' && word.test(e.message), q);
  }
});

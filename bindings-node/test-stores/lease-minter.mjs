// A leased minter process for the pause test: leases the namespace's node,
// writes every ID it mints to stdout, and ends with "end CODE" when its lease
// stops it (on a fence reached it waits, bounded, for a renewal in flight).
import { Snowflake } from '../lib/index.mjs';
import { MySQLStore, PostgresStore, RedisStore } from '../lib/stores.mjs';

const [engine, ns, holder, url] = process.argv.slice(2);
const Store = { postgres: PostgresStore, mysql: MySQLStore, redis: RedisStore }[engine];
const store = await Store.fromUrl(url);
const lease = await store.leaseNode(ns, { holder });
const gen = new Snowflake({ lease });
const out = [];
const flush = () => {
  if (out.length) process.stdout.write(out.splice(0).join('\n') + '\n');
};
process.stdout.write(`lease ${lease.node} ${lease.epoch} ${lease.startMs} ${lease.fenceMs}\n`);
let expiredSince = 0;
for (;;) {
  try {
    out.push(String(gen.next()));
    expiredSince = 0;
    if (out.length >= 50) {
      flush();
      await new Promise((r) => setTimeout(r, 1)); // let the renewal timer run
    }
  } catch (e) {
    flush();
    if (e.code === 'lease_expired') {
      expiredSince ||= Date.now();
      if (Date.now() - expiredSince < 3000) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
    }
    process.stdout.write(`end ${e.code}\n`);
    process.exit(0);
  }
}

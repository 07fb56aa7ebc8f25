// A worker thread for workers.test.mjs: mints on a lease its parent thread
// shared (`share`), or on a lease of its own (`own`), and posts back every ID.
import { parentPort, workerData } from 'node:worker_threads';
import { Snowflake } from '../lib/index.mjs';
import { PostgresStore, RedisStore } from '../lib/stores.mjs';

const { mode, token, count, url, namespace } = workerData;
if (mode === 'share') {
  const gen = new Snowflake({ sharedLease: token });
  const ids = new BigInt64Array(count);
  for (let i = 0; i < count; i++) ids[i] = BigInt.asIntN(64, gen.next());
  parentPort.postMessage({ ids });
  // Then mint until the lease ends (the parent releases it): the code it ends
  // with. A fence reached (lease_expired: a renewal is late, e.g. the parent
  // thread starved of CPU) is waited out, as a caller would.
  let n = 0;
  for (;;) {
    try {
      await gen.nextAsync();
      n += 1;
      if (n % 1000 === 0) await new Promise((r) => setTimeout(r, 1)); // leave the cores some room
    } catch (e) {
      if (e.code === 'lease_expired') {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      parentPort.postMessage({ end: e.code, after: n });
      break;
    }
  }
} else {
  const store = url.startsWith('redis') ? await RedisStore.fromUrl(url) : await PostgresStore.fromUrl(url);
  const lease = await store.leaseNode(namespace);
  const gen = new Snowflake({ lease });
  const ids = new BigInt64Array(count);
  for (let i = 0; i < count; i++) ids[i] = BigInt.asIntN(64, gen.next());
  parentPort.postMessage({ ids, node: lease.node });
  await new Promise((r) => parentPort.once('message', r)); // hold the node until every worker has one
  await lease.release();
  process.exit(0); // the pool holds sockets
}

// A process for multiproc.test.mjs: two worker_threads, each drawing `count`
// IDs from its own Segment (or SegmentGroup) over one scheme, pausing now and
// then so faults land mid-run; prints every ID, one per line, then "done".
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Segment } from '../lib/index.mjs';
import { MySQLStore, PostgresStore, RedisStore, SegmentGroup } from '../lib/stores.mjs';

if (isMainThread) {
  const [scheme, tag, count, ...urls] = process.argv.slice(2);
  const ends = [];
  for (let w = 0; w < 2; w++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { scheme, tag, count: Number(count), urls } });
    worker.on('message', (ids) => process.stdout.write(ids.join('\n') + '\n'));
    ends.push(new Promise((resolve, reject) => worker.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`worker exit ${c}`))))));
  }
  await Promise.all(ends);
  process.stdout.write('done\n');
  process.exit(0);
} else {
  const { scheme, tag, count, urls } = workerData;
  let source;
  if (scheme === 'postgres') source = new Segment((await PostgresStore.fromUrl(urls[0])).segmentSource(tag), { step: 100 });
  // CAS: 8 contenders on one row. A step of 100 asks ~300 rounds a second of
  // it, more than MariaDB commits (each round is two transactions), and ends
  // in store_unavailable after 16 lost rounds; size the step as Leaf says.
  else if (scheme === 'mysql-cas') source = new Segment((await MySQLStore.fromUrl(urls[0])).segmentSource(tag, { mode: 'cas' }), { step: 500 });
  else {
    const segs = [];
    for (const [k, url] of urls.entries()) {
      const store = await RedisStore.fromUrl(url);
      segs.push(new Segment(store.segmentSource(tag), { step: 100, stride: urls.length, offset: k, timeoutMs: 2000 }));
    }
    source = new SegmentGroup(segs);
  }
  let batch = [];
  for (let i = 0; i < count; i++) {
    batch.push(String(await source.nextAsync()));
    if (batch.length === 250) {
      parentPort.postMessage(batch);
      batch = [];
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  if (batch.length) parentPort.postMessage(batch);
  process.exit(0); // pools and clients hold sockets
}

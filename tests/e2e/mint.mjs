// The Node minter of the cross-runtime test (see core/examples/mint.rs).
// IDLOOM_IMPL=native (the addon; THREADS worker_threads share one node) or
// wasm (one instance per worker, so wasm mints on the main thread only).
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';

const impl = process.env.IDLOOM_IMPL ?? 'native';
// The segment command runs on a store: on wasm that is idloom-wasm/stores (the
// whole API over the coordination module; one implementation per process).
const wasmEntry = process.argv[2] === 'segment' ? '../../bindings-wasm/pkg/stores.mjs' : '../../bindings-wasm/pkg/node.mjs';
const entry = new URL(impl === 'wasm' ? wasmEntry : '../../bindings-node/lib/index.mjs', import.meta.url);
const { Snowflake, SnowflakeMachine, Segment, Layout } = await import(entry.href);

// The fault scripts' policies, the same in every minter.
const policies = {
  fail: { backwards: 'fail' },
  wait: { backwards: 'wait', maxBackwardsMs: 10_000 },
  logical: { backwards: 'logical', maxBackwardsMs: 10_000, exhausted: 'borrow', maxBorrowMs: 10_000 },
};
const bytes = (ids) => new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);

function mint(node, count) {
  // wasm mints in one worker (checked below), so that worker's node is its own.
  const gen = new Snowflake({ node, layout: Layout.TWITTER, ...(impl === 'wasm' ? { exclusiveNode: true } : {}) });
  const ids = new BigUint64Array(count);
  for (let at = 0; at < count; at += 4096) ids.set(gen.nextBatch(Math.min(4096, count - at)), at);
  return ids;
}

if (!isMainThread) {
  parentPort.postMessage(mint(workerData.node, workerData.count));
} else {
  const [cmd, a, b, c, d] = process.argv.slice(2);
  if (cmd === 'mint') {
    const [out, node, count, threads] = [a, Number(b), Number(c), Number(d)];
    if (impl === 'wasm' && threads !== 1) throw new Error('wasm mints on one thread: each worker would be its own instance and need its own node');
    const results = await Promise.all(
      Array.from({ length: threads }, () => new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { node, count } });
        w.once('message', resolve);
        w.once('error', reject);
      })),
    );
    results.forEach((ids, t) => writeFileSync(`${out}.t${t}`, bytes(ids)));
  } else if (cmd === 'decode') {
    const buf = readFileSync(a);
    const ids = new BigUint64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const lines = [];
    for (const id of ids) {
      const p = Layout.TWITTER.decode(id);
      lines.push(`${p.timestampMs} ${p.node} ${p.sequence}\n`);
    }
    writeFileSync(b, lines.join(''));
  } else if (cmd === 'run') {
    const [out, node, count] = [a, Number(b), Number(c)];
    const gen = new Snowflake({ node, layout: Layout.TWITTER });
    const fd = openSync(out, 'w');
    for (let done = 0; done < count; done += 4096) writeSync(fd, bytes(gen.nextBatch(Math.min(4096, count - done))));
    closeSync(fd);
  } else if (cmd === 'fault') {
    // The injected clock: the script's own time passed to the pure state
    // machine, which answers an ID or when to retry (waiting is the host's job).
    const [out, node, count, policy, after] = [a, Number(b), Number(c), d, Number(process.argv[7])];
    const gen = new SnowflakeMachine({ node, layout: Layout.TWITTER, ...policies[policy] });
    const ids = [];
    let offset = 0, pause = 0, result = 'ok';
    for (let i = 0; i < count; i++) {
      if (i === after) offset = -5000;
      const t = performance.now();
      try {
        for (;;) {
          const r = gen.nextAt(Date.now() + offset);
          if (typeof r === 'bigint') { ids.push(r); break; }
          await sleep(Math.max(0, r.retryAtMs - (Date.now() + offset)));
        }
      } catch (e) {
        result = `error ${e.code}`;
        break;
      }
      pause = Math.max(pause, Math.floor(performance.now() - t));
    }
    writeFileSync(out, bytes(BigUint64Array.from(ids)));
    writeFileSync(`${out}.result`, `${result} ${pause}\n`);
  } else if (cmd === 'segment') {
    // segment ENGINE URL TAG OUT COUNT THREADS: one Segment over the store's counter.
    const [engine, url, tag, out, count, threads] = [a, b, c, d, Number(process.argv[7]), Number(process.argv[8])];
    if (threads !== 1) throw new Error('segment: one thread per process in JS (a Segment and its source live on one thread)');
    const stores = await import(new URL(impl === 'wasm' ? '../../bindings-wasm/pkg/stores.mjs' : '../../bindings-node/lib/stores.mjs', import.meta.url).href);
    const store = await { postgres: stores.PostgresStore, mysql: stores.MySQLStore, redis: stores.RedisStore }[engine].fromUrl(url);
    const fetch = store.segmentSource(tag);
    const ranges = [];
    const source = async (step) => {
      const r = await fetch(step);
      ranges.push(r);
      return r;
    };
    const seg = new Segment(source, { step: 1000 });
    const ids = new BigUint64Array(count);
    for (let i = 0; i < count; i++) ids[i] = await seg.nextAsync();
    writeFileSync(`${out}.t0`, bytes(ids));
    writeFileSync(`${out}.ranges`, ranges.map((r) => `${r.start} ${r.end}\n`).join(''));
    process.exit(0); // the driver's pool would keep the process alive
  } else {
    console.error('usage: mint OUT NODE COUNT THREADS | decode IN OUT | run OUT NODE COUNT | fault OUT NODE COUNT POLICY AFTER | segment ENGINE URL TAG OUT COUNT THREADS');
    process.exit(2);
  }
}

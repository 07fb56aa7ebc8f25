// The soak: minters in every runtime (Rust, Python, the Node addon, wasm in
// Node) as separate processes, more of them than nodes, leasing their nodes
// from one private store and drawing segment IDs from one Leaf row (a Redis
// counter on Redis), while a seeded schedule injects the faults that break
// production: processes paused past their lease, killed, restarted; a clock
// stepped back; the store restarted empty, restored from an older snapshot
// or base backup, failed over to a replica; the segment store killed.
//
// Then the checks: no ID twice; every snowflake ID decodes to the node of
// the grant it was minted under, and its tick lies inside that grant's
// interval (from its start to the next grant of that node: the store's
// history); every minter ends within its bound; each fault produced the
// codes docs/COORDINATION.md says ("Faults and the codes they may raise"), and nothing else.
//
//   node tests/e2e/soak/soak.mjs [--engine postgres|mysql|redis|zookeeper|etcd|all] [--minutes N] [--seed S] [--keep]
//
// (scripts/soak builds what it needs first.) As a module, `soak(options)`
// runs one engine and returns its report; tests/e2e/soak.test.mjs runs the
// bounded form (each fault once) on the five engines.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, PrivateEtcd, PrivateMariaDB, PrivatePostgres, PrivateRedis, PrivateZooKeeper, Proxy } from './servers.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const python = process.env.IDLOOM_PYTHON ?? join(root, '.venv/bin/python');
const cli = [process.execPath, join(root, 'bindings-node/bin/idloom.mjs')];
export const MINTERS = {
  rust: [join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug/examples/soak_minter')],
  python: [python, join(root, 'tests/e2e/soak/minter.py')],
  node: [process.execPath, join(root, 'tests/e2e/soak/minter.mjs')],
  wasm: [process.execPath, join(root, 'tests/e2e/soak/minter.mjs')],
};

const NODES = 3;
const TTL = 1500;
const SKEW = 300;
// Five minters on three nodes: two always wait, so nodes are re-leased.
const PROCS = ['rust', 'python', 'node', 'wasm', 'rust'];
// The last one runs in a network namespace of its own (the partition fault),
// reaching both stores through proxies on its veth's host address.
const PARTITIONED = 'rust-4';
const TWITTER_EPOCH = 1288834974657n;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a failing schedule replays. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What each fault may make the minters report (docs/COORDINATION.md, "Faults
// and the codes they may raise"), during the
// fault and for two TTLs after it. `no_free_node` is always allowed: there are
// more minters than nodes. `needs`: codes that must appear (of the target
// process, when there is one).
const ANY_HOLDER = ['lease_expired', 'lease_lost'];
// After a store lost its state, the floor puts new leases up to ttl + max_skew
// ahead of the clocks: a generator whose backwards policy cannot lead that far
// reports clock_moved_backwards until its clock reaches the lease's start
// (docs/COORDINATION.md, "When the store forgets": a clock below start meets the backwards policy). The check
// below holds each such report to that: its lease started ahead of the clock.
const FLOOR_RAISED = [...ANY_HOLDER, 'clock_moved_backwards'];
export const FAULTS = {
  // A paused minter's own connections may time out while it sleeps: one store_unavailable on waking.
  sigstop: { allowed: [...ANY_HOLDER, 'store_unavailable'], needs: ANY_HOLDER, what: 'SIGSTOP longer than the TTL, then SIGCONT' },
  sigkill: { allowed: [], what: 'SIGKILL, then a restart (same holder: its node if still free)' },
  clean_restart: { allowed: [], what: 'clean shutdown (release with the high-water), then a restart' },
  clock_step: { allowed: ['clock_skew', 'lease_expired'], needs: ['clock_skew'], what: "a Rust minter's clock 3 s back for 3 s" },
  store_restart: { allowed: ['store_unavailable', ...ANY_HOLDER], needs: ['store_unavailable'], what: 'the lease store killed and restarted (durable)' },
  // ZooKeeper's only trace of a restore is time: a restart that leaves the namespace unwritten for
  // longer than a TTL reads as one (docs/COORDINATION.md, "ZooKeeper and etcd"): leases from before
  // are refused and the floor rises, as after a restore. A session that expired meanwhile is made again.
  // Nothing is required: a call in flight waits for the server within its deadline and may just succeed.
  zk_restart: { allowed: ['store_unavailable', 'store_state_lost', ...FLOOR_RAISED], what: 'ZooKeeper killed and restarted (durable): silent past the TTL, read as a possible restore' },
  store_empty: { allowed: ['store_unavailable', 'store_state_lost', ...FLOOR_RAISED], needs: ['store_state_lost'], floor: true, what: 'the lease store restarted empty' },
  store_restore: { allowed: ['store_unavailable', 'store_state_lost', ...FLOOR_RAISED], floor: true, what: 'the lease store restored from an older RDB / base backup' },
  replica_promoted: { allowed: ['store_unavailable', ...FLOOR_RAISED], floor: true, what: 'a Redis replica promoted, the master killed' },
  segment_store_killed: { allowed: ['store_unavailable'], what: 'the segment store killed and restarted (durable)' },
  // The cut-off minter stops at its fence (the Rust minter's renewal call blocks until the heal,
  // and it mints nothing meanwhile); after the heal its renewal is refused, as a paused one's.
  partition: { allowed: [...ANY_HOLDER, 'store_unavailable'], needs: ANY_HOLDER, what: 'the minter in its own network namespace cut off from both stores past its TTL (the veth down), then healed' },
  // The extra sources are SegmentGroups (Python, Node, wasm minters): a member that is down is skipped, silently.
  group_server_killed: { allowed: [], what: 'one of three Redis INCRBY servers (offset k, stride 3) killed, restarted 3 s later' },
  odd_ticket_stopped: { allowed: [], what: 'the odd Flickr ticket server stopped, started again 3 s later' },
};
// `partition` is not on MariaDB: mysql_async has no connect timeout, so the
// (synchronous) minter's connect made during the cut waits out the kernel's SYN
// retries after the heal (31 s here) and its lease_lost lands long after the
// fault's window. Safe (it mints nothing meanwhile), but not this check's shape.
const STORE_FAULTS = {
  redis: ['store_empty', 'store_restore', 'replica_promoted', 'segment_store_killed', 'group_server_killed', 'partition'],
  postgres: ['store_restart', 'store_empty', 'store_restore', 'segment_store_killed', 'partition'],
  mysql: ['store_restart', 'store_empty', 'segment_store_killed', 'odd_ticket_stopped'],
  // The minters' sessions (3 s) expire in every sigstop (3.5 s) and partition. A leader lost in a
  // three-member ensemble or cluster is stores/tests/{zookeeper,etcd}.rs's (the soak runs one server).
  zookeeper: ['zk_restart', 'store_empty', 'store_restore', 'segment_store_killed', 'partition'],
  etcd: ['store_restart', 'store_empty', 'store_restore', 'segment_store_killed', 'partition'],
};
const PROCESS_FAULTS = ['sigstop', 'sigkill', 'clean_restart', 'clock_step'];
export const ENGINES = ['postgres', 'redis', 'mysql', 'zookeeper', 'etcd'];
export const faultsOf = (engine) => [...PROCESS_FAULTS, ...STORE_FAULTS[engine]];

/** Start the engine's private server: a restartable object with .url(). */
async function server(engine, dir, role) {
  if (engine === 'zookeeper') return new PrivateZooKeeper(join(dir, `zk-${role}`)).start();
  if (engine === 'etcd') return new PrivateEtcd(join(dir, `etcd-${role}`)).start();
  if (engine === 'redis') return new PrivateRedis(join(dir, `redis-${role}`), { durable: role === 'segments' }).start();
  if (engine === 'postgres') {
    const pg = await (await new PrivatePostgres(join(dir, `pg-${role}`)).init()).start();
    pg.createDb();
    return pg;
  }
  return (await new PrivateMariaDB(join(dir, `maria-${role}`)).init()).start();
}

const urlVia = (engine, port, host = '127.0.0.1') =>
  ({
    redis: `redis://${host}:${port}/`,
    postgres: `postgres://postgres@${host}:${port}/test`,
    mysql: `mysql://root@${host}:${port}/test`,
    // Short timeouts, so that a fault is seen within its window: a ZooKeeper session of 3 s expires in every sigstop.
    zookeeper: `zookeeper://${host}:${port}?call_timeout_ms=2000&session_timeout_ms=3000`,
    etcd: `etcd://${host}:${port}?call_timeout_ms=2000`,
  })[engine];
// The Rust minter refills its segment inline, between its renewals (due every third of the TTL):
// a fetch from a ZooKeeper or etcd that is down waits out its call timeout (their clients wait for
// the server to come back), so the segment store's deadline is two thirds of the TTL — renewals
// stay less than a TTL apart — and still leaves a cold connect through the proxies time (a third
// was too short for one under a loaded CI run).
const segUrlVia = (engine, port, host = '127.0.0.1') =>
  ({
    zookeeper: `zookeeper://${host}:${port}?call_timeout_ms=${(2 * TTL) / 3}&session_timeout_ms=3000`,
    etcd: `etcd://${host}:${port}?call_timeout_ms=${(2 * TTL) / 3}`,
  })[engine];
// mysql_async (the Rust minters' driver) moves a TCP connection to the
// server's Unix socket when it can open it: past the proxy, whose cuts it
// would never see, and out of any network namespace. The Rust minters'
// MariaDB URLs turn that off (the other drivers have no such option).
const forRust = (url) => (url.startsWith('mysql://') ? `${url}${url.includes('?') ? '&' : '?'}prefer_socket=false` : url);

/** The operator's tool: the idloom CLI (Node). */
function store(...args) {
  return execFileSync(cli[0], [cli[1], 'store', ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The idloom tables on an empty SQL server (what the operator's deploy runs), and no namespace. */
function createTables(engine, url) {
  const script = `const m = await import(${JSON.stringify(join(root, 'bindings-node/lib/stores.mjs'))});
    const s = await m[${JSON.stringify(engine === 'postgres' ? 'PostgresStore' : 'MySQLStore')}].fromUrl(${JSON.stringify(url)});
    await s.init(); process.exit(0);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
}

/** The Flickr ticket table `soak_tickets` on a MariaDB. */
function initTickets(url) {
  const script = `const m = await import(${JSON.stringify(join(root, 'bindings-node/lib/stores.mjs'))});
    const s = await m.MySQLStore.fromUrl(${JSON.stringify(url)}); await s.initTickets('soak_tickets'); process.exit(0);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
}

/**
 * One soak on one engine. `seconds`: at least one pass over the fault list,
 * then more passes until that much time has gone.
 * @returns {Promise<Report>}
 */
export async function soak({ engine, seed = 1, seconds = 0, keep = false, say = () => {} }) {
  const dir = mkdtempSync(join(tmpdir(), `idloom-soak-${engine}-`));
  chmodSync(dir, 0o755); // the private PostgreSQL runs as nobody when we are root
  const random = rng(seed);
  const ns = `soak${seed}`;
  const tag = `soak${seed}`;
  const started = Date.now();
  const proxy = new Proxy();
  await proxy.listen();
  const leaseUrl = urlVia(engine, proxy.port);
  // The partitioned minter's way to the stores: its namespace's veth, a proxy
  // on the host's end to the lease proxy (which follows every failover), one
  // to the segment server.
  const netns = new Netns(engine[0]).create();
  const nsLease = new Proxy();
  const nsSegments = new Proxy();
  const all = []; // every minter incarnation
  const servers = []; // every private server started, stopped at the end
  const track = (s) => (servers.push(s), s);
  let lease, segments, group, oddTickets;
  try {
    await nsLease.listen(netns.hostIp);
    await nsSegments.listen(netns.hostIp);
    nsLease.point(proxy.port);
    lease = await track(await server(engine, dir, 'leases'));
    segments = await track(await server(engine, dir, 'segments'));
    // The extra sources: three Redis INCRBY servers as one group (Redis), two
    // Flickr ticket servers, odd and even (MariaDB: the segment server is the even one).
    group = engine === 'redis' ? await Promise.all([0, 1, 2].map(async (k) => track(await new PrivateRedis(join(dir, `redis-group-${k}`), { durable: true }).start()))) : [];
    oddTickets = engine === 'mysql' ? await track(await server(engine, dir, 'tickets-odd')) : null;
    proxy.point(lease.port);
    nsSegments.point(segments.port);
    return await run();
  } finally {
    for (const p of all) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
    proxy.close();
    nsLease.close();
    nsSegments.close();
    netns.destroy();
    for (const s of servers) await (s.destroy ?? s.stop).call(s);
  }

  async function run() {
    store('init', '--url', lease.url(), '--namespace', ns, '--nodes', String(NODES), '--ttl-ms', String(TTL), '--max-skew-ms', String(SKEW), '--fresh');
    store('init', '--url', segments.url(), '--segment', tag, '--floor', '1', '--step', '200');
    for (const g of group) store('init', '--url', g.url(), '--segment', tag, '--floor', '1', '--step', '100');
    if (oddTickets) for (const url of [oddTickets.url(), segments.url()]) initTickets(url);
    const extraSpec = group.length ? `group:${group.map((g) => g.url()).join(',')}` : oddTickets ? `tickets:${oddTickets.url()},${segments.url()}` : null;
    const floor = () => {
      try {
        return Number(/floor (\d+)/.exec(store('status', '--url', lease.url(), '--namespace', ns))?.[1] ?? NaN);
      } catch {
        return null; // missing (a store restarted empty, before a minter creates it again)
      }
    };

    /** @type {{ name: string, runtime: string, inc: number, child: any, exited: Promise<number|string>, out: string, stopped: boolean }[]} */
    const procs = [];
    const spawnMinter = (name, runtime, inc) => {
      const out = join(dir, `${name}.${inc}`);
      const [exe, ...pre] = MINTERS[runtime];
      const env = { ...process.env, IDLOOM_IMPL: runtime === 'wasm' ? 'wasm' : 'native' };
      const extra = extraSpec && runtime !== 'rust' ? [extraSpec] : []; // the groups are Python's and Node's (SegmentGroup)
      const cut = name === PARTITIONED; // a Rust minter: no group URLs to carry
      const urls = (cut ? [urlVia(engine, nsLease.port, netns.hostIp), segUrlVia(engine, nsSegments.port, netns.hostIp) ?? urlVia(engine, nsSegments.port, netns.hostIp)] : [leaseUrl, segUrlVia(engine, segments.port) ?? segments.url()])
        .map((u) => (runtime === 'rust' ? forRust(u) : u));
      const argv = [...pre, engine, ...urls, ns, tag, `${NODES},${TTL},${SKEW}`, out, name, ...extra];
      const [cmd, args] = cut ? netns.wrap(exe, argv) : [exe, argv];
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err = err.length < 2000 ? err + d : err)); // the head: the error itself
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
      const p = { name, runtime, inc, child, exited, out, stopped: false, err: () => err, startedAt: Date.now() };
      all.push(p);
      return p;
    };
    // ZooKeeper's backup is its data directory, copied while no client writes: before the minters
    // start, of the namespace as created (the restore brings back an older state than any lease).
    if (engine === 'zookeeper') lease.snapshot(join(dir, 'zk-backup'));
    PROCS.forEach((runtime, i) => procs.push(spawnMinter(`${runtime}-${i}`, runtime, 1)));

    // Snapshots for the restore faults, taken once the minters hold nodes.
    await sleep(3000);
    if (engine === 'redis') lease.snapshot(join(dir, 'old.rdb'));
    if (engine === 'postgres') lease.basebackup(join(lease.dir, 'base'));
    if (engine === 'etcd') await lease.snapshot(join(dir, 'etcd.snapshot'));
    await sleep(1000);

    /** A clean stop of one incarnation: the stop file, then its exit within the bound. */
    const stopProc = async (p, boundMs = 15_000) => {
      writeFileSync(`${p.out}.stop`, '');
      const r = await Promise.race([p.exited, sleep(boundMs).then(() => 'hung')]);
      if (r === 'hung') p.child.kill('SIGKILL');
      p.stopped = true;
      return r;
    };
    const pick = (pred = () => true) => {
      const c = procs.filter(pred);
      return c[Math.floor(random() * c.length)];
    };
    /** Whether a minter holds a lease now: its last grant has not ended. */
    const holding = (p) => {
      let open = false;
      for (const l of existsSync(`${p.out}.log`) ? readFileSync(`${p.out}.log`, 'utf8').split('\n') : []) {
        const w = l.split(' ');
        if (w[1] === 'grant') open = true;
        else if (w[1] === 'end' || w[1] === 'released') open = false;
      }
      return open;
    };
    /** Wait (up to 10 s) for `cond`, e.g. a minter holding a node to pause. */
    const until = async (cond) => {
      for (let i = 0; i < 100 && !cond(); i++) await sleep(100);
    };
    const replace = (p) => {
      const q = spawnMinter(p.name, p.runtime, p.inc + 1);
      procs[procs.indexOf(p)] = q;
      return q;
    };

    const injected = [];
    const hungs = [];
    const inject = async (kind) => {
      const f = { kind, start: Date.now(), target: null, floorBefore: null, floorAfter: null };
      injected.push(f);
      if (FAULTS[kind].floor) f.floorBefore = floor();
      switch (kind) {
        case 'sigstop': {
          await until(() => procs.some(holding));
          const p = pick(holding) ?? pick();
          f.target = p.out;
          f.held = holding(p); // a minter waiting for a node has no lease to lose: nothing is required of it
          p.child.kill('SIGSTOP');
          await sleep(TTL * 2 + 500);
          p.child.kill('SIGCONT');
          break;
        }
        case 'sigkill': {
          const p = pick();
          f.target = p.out;
          p.child.kill('SIGKILL');
          await p.exited;
          p.stopped = true;
          f.target = replace(p).out;
          break;
        }
        case 'clean_restart': {
          const p = pick();
          f.target = p.out;
          // A non-zero exit is reported with every incarnation's at the end.
          if ((await stopProc(p)) === 'hung') hungs.push(p.out);
          replace(p);
          break;
        }
        case 'clock_step': {
          // On a Rust minter (its clock is injected) that holds a node: a step
          // while waiting for one shows nothing (no_free_node is not judged).
          await until(() => procs.some((q) => q.runtime === 'rust' && holding(q)));
          const p = pick((q) => q.runtime === 'rust' && holding(q)) ?? pick((q) => q.runtime === 'rust');
          f.target = p.out;
          // Waiting for a node, a stepped clock shows nothing (no_free_node comes first): the step
          // must then pass without a report, and clock_skew is required only of a holder.
          f.held = holding(p);
          writeFileSync(`${p.out}.clock`, '-3000');
          await sleep(3000);
          writeFileSync(`${p.out}.clock`, '0');
          break;
        }
        case 'partition': {
          // Cut off while it holds a node (one waiting for a node has no lease to lose).
          const p = procs.find((q) => q.name === PARTITIONED);
          await until(() => holding(p));
          f.target = p.out;
          f.held = holding(p);
          netns.cut();
          await sleep(TTL * 2 + 500);
          netns.heal();
          break;
        }
        case 'zk_restart':
        case 'store_restart':
          proxy.point(null);
          if (engine === 'postgres') lease.stop();
          else await lease.kill();
          await sleep(1000);
          await lease.start();
          proxy.point(lease.port);
          break;
        case 'store_empty':
          proxy.point(null);
          if (engine === 'redis') await lease.restart();
          else if (engine === 'zookeeper' || engine === 'etcd') await lease.restartEmpty(); // the namespace is the minters' to create again
          else {
            await lease.restartEmpty();
            // The operator's deploy creates the tables again; the namespace is
            // the minters' to create again (above every old fence: not fresh).
            createTables(engine, lease.url());
          }
          proxy.point(lease.port);
          break;
        case 'store_restore':
          proxy.point(null);
          if (engine === 'redis') await lease.restart(join(dir, 'old.rdb'));
          else if (engine === 'zookeeper') await lease.restore(join(dir, 'zk-backup'));
          else if (engine === 'etcd') await lease.restore(join(dir, 'etcd.snapshot'));
          else await lease.restore(join(lease.dir, 'base'));
          proxy.point(lease.port);
          break;
        case 'replica_promoted': {
          const replica = await lease.replica(join(dir, `redis-replica-${injected.length}`));
          proxy.point(null);
          await lease.kill();
          replica.cli('REPLICAOF', 'NO', 'ONE');
          servers.push(replica);
          lease = replica;
          proxy.point(lease.port);
          break;
        }
        case 'group_server_killed': {
          const g = group[Math.floor(random() * group.length)];
          f.target = `redis group server on ${g.port}`;
          await g.kill();
          await sleep(3000);
          await g.start();
          break;
        }
        case 'odd_ticket_stopped':
          await oddTickets.kill();
          await sleep(3000);
          await oddTickets.start();
          break;
        case 'segment_store_killed':
          if (engine === 'postgres') segments.stop();
          else await segments.kill();
          await sleep(1500);
          await segments.start();
          break;
      }
      f.end = Date.now();
      if (FAULTS[kind].floor) {
        // The floor rises on the first lease call that sees the store's new identity (or on re-creation).
        for (let i = 0; i < 100; i++) {
          f.floorAfter = floor();
          if (f.floorAfter !== null && f.floorAfter > (f.floorBefore ?? 0)) break;
          await sleep(100);
        }
      }
      await sleep(TTL * 2);
      f.windowEnd = Date.now();
      say(`  ${((f.start - started) / 1000).toFixed(1).padStart(6)} s  ${kind}${f.target ? ` (${f.target.split('/').at(-1)})` : ''}`);
    };

    const kinds = faultsOf(engine);
    let pass = 0;
    do {
      const order = [...kinds];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const kind of order) {
        await inject(kind);
        await sleep(500 + Math.floor(random() * 1000)); // steady minting between faults
      }
      pass++;
    } while (Date.now() - started < seconds * 1000);

    // The end: every minter stops cleanly within its bound.
    const stopAt = Date.now();
    say('  stopping the minters');
    const results = await Promise.all(procs.map(async (p) => [p, await stopProc(p)]));
    for (const [p, r] of results) if (r === 'hung') hungs.push(p.out);
    const exitFailures = [];
    for (const p of all) {
      const r = await Promise.race([p.exited, sleep(1)]);
      // A killed incarnation ends with SIGKILL; every other one with 0.
      if (r !== 0 && r !== 'SIGKILL' && r !== undefined) exitFailures.push(`${p.out}: ${r} ${p.err().slice(0, 600)}`);
    }
    say('  checking');
    const report = check({ engine, seed, dir, all, injected, hungs, exitFailures, passes: pass, seconds: (stopAt - started) / 1000 });
    if (!keep && report.problems.length === 0) rmSync(dir, { recursive: true, force: true });
    return report;
  }
}

/** The u64 little-endian IDs of a file, ignoring a torn last record (a killed writer). */
function ids(file) {
  if (!existsSync(file)) return new BigUint64Array(0);
  const b = readFileSync(file);
  const whole = b.byteLength - (b.byteLength % 8);
  return new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + whole));
}

function duplicates(arrays) {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const all = new BigUint64Array(total);
  let at = 0;
  for (const a of arrays) all.set(a, at), (at += a.length);
  all.sort();
  let dup = 0;
  for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) dup++;
  return { total, dup };
}

/** Every check of the soak over what the minters wrote; `problems` is empty when it passed. */
export function check({ engine, seed, dir, all, injected, hungs, exitFailures, passes, seconds }) {
  const problems = [...exitFailures.map((e) => `exit: ${e}`), ...hungs.map((h) => `hung: ${h} did not stop within 15 s`)];
  const grants = []; // { p, k, node, epoch, start, fence, at }
  const errors = []; // { p, at, where, code }
  const ends = [];
  const released = [];
  for (const p of all) {
    const log = existsSync(`${p.out}.log`) ? readFileSync(`${p.out}.log`, 'utf8').split('\n').filter(Boolean) : [];
    for (const l of log) {
      const w = l.split(' ');
      const at = Number(w[0]);
      if (w[1] === 'grant') grants.push({ p, k: Number(w[2]), node: Number(w[3]), epoch: Number(w[4]), start: BigInt(w[5]), fence: BigInt(w[6]), at });
      else if (w[1] === 'error') errors.push({ p, at, where: w[2], code: w[3] });
      else if (w[1] === 'end') ends.push({ p, at, k: Number(w[2]), code: w[3] });
      else if (w[1] === 'released') released.push({ p, at, k: Number(w[2]) });
    }
  }

  // 1. No ID twice: snowflake IDs across every grant of every minter; segment IDs across all.
  const minted = grants.map((g) => ({ g, ids: ids(`${g.p.out}.g${g.k}`) }));
  const snow = duplicates(minted.map((m) => m.ids));
  const seg = duplicates(all.map((p) => ids(`${p.out}.seg`)));
  const extra = duplicates(all.map((p) => ids(`${p.out}.extra`)));
  if (extra.dup) problems.push(`${extra.dup} duplicate IDs from the server group`);
  if (snow.dup) problems.push(`${snow.dup} duplicate snowflake IDs`);
  if (seg.dup) problems.push(`${seg.dup} duplicate segment IDs`);

  // 2. Each ID is of its grant's node and lies wholly inside the grant's interval:
  //    from its start to the start of the node's next grant (the store's history).
  const byNode = new Map();
  for (const g of grants) (byNode.get(g.node) ?? byNode.set(g.node, []).get(g.node)).push(g);
  for (const list of byNode.values()) {
    list.sort((a, b) => a.at - b.at);
    list.forEach((g, i) => (g.until = list[i + 1]?.start ?? null));
  }
  let outside = 0;
  for (const { g, ids: a } of minted) {
    for (const id of a) {
      const tickMs = (id >> 22n) + TWITTER_EPOCH;
      const node = Number((id >> 12n) & 1023n);
      if (node !== g.node || tickMs < g.start || (g.until !== null && tickMs + 1n > g.until)) {
        if (outside++ < 5) problems.push(`${g.p.out} grant ${g.k} (node ${g.node} epoch ${g.epoch} [${g.start}, ${g.until ?? '…'})): ID ${id} has node ${node}, tick ${tickMs}`);
      }
    }
  }
  if (outside > 5) problems.push(`… ${outside} IDs outside their grant in all`);

  // 3. Each fault's codes: inside its window only those it may produce; outside every window none.
  // A store_unavailable may surface after its fault's window, up to the drivers' own connect
  // timeout (5 s, node-postgres's connectionTimeoutMillis): a call in flight when the fault cut
  // its connection fails only when the driver notices. It is retried and bounded by the fence.
  const LATE_MS = 5_000;
  const windowOf = (at, code) =>
    injected.find((f) => at >= f.start && (at <= f.windowEnd || (code === 'store_unavailable' && FAULTS[f.kind].allowed.includes(code) && at <= f.windowEnd + LATE_MS)));
  const lastBefore = (at) => injected.filter((f) => f.windowEnd < at).at(-1);
  for (const e of errors) {
    if (e.code === 'no_free_node') continue;
    const f = windowOf(e.at, e.code);
    if (e.code === 'clock_moved_backwards') {
      const g = grants.filter((x) => x.p === e.p && x.at <= e.at).at(-1);
      if (!g || g.start <= BigInt(e.at)) problems.push(`${e.p.out}: clock_moved_backwards at ${e.at}, not below its lease's start (${g?.start})`);
    }
    if (!f || !FAULTS[f.kind].allowed.includes(e.code)) {
      const last = lastBefore(e.at);
      const where = f ? `in ${f.kind}` : `outside any fault (${last ? `${e.at - last.windowEnd} ms after the window of ${last.kind}` : 'before the first fault'})`;
      problems.push(`${e.p.out}: ${e.where} ${e.code} at +${e.at - (f?.start ?? e.at)} ms ${where}`);
    }
  }
  for (const f of injected) {
    const spec = FAULTS[f.kind];
    const seen = errors.filter((e) => e.at >= f.start && e.at <= f.windowEnd && (!f.target || f.kind.startsWith('store') || e.p.out === f.target));
    if (spec.needs && f.held !== false && !seen.some((e) => spec.needs.includes(e.code))) problems.push(`${f.kind}${f.target ? ` on ${f.target}` : ''}: none of ${spec.needs.join(', ')} reported`);
    if (spec.floor && !(f.floorAfter > f.floorBefore)) problems.push(`${f.kind}: the floor did not rise (${f.floorBefore} → ${f.floorAfter})`);
    if (f.kind === 'clean_restart') {
      // Every lease the stopped minter held ended or was released; a released
      // node goes to the next holder at once (a waiting minter polls every
      // 50 ms), not a TTL later.
      for (const g of grants.filter((x) => x.p.out === f.target)) {
        const r = released.find((x) => x.p === g.p && x.k === g.k);
        if (!r && !ends.some((x) => x.p === g.p && x.k === g.k)) problems.push(`clean_restart: ${f.target} left grant ${g.k} neither ended nor released`);
        const next = r && grants.filter((x) => x.node === g.node && x.at >= r.at).sort((a, b) => a.at - b.at)[0];
        if (r && next && next.at - r.at > TTL / 2) problems.push(`clean_restart: node ${g.node} released by ${f.target} was taken again only ${next.at - r.at} ms later`);
      }
    }
  }

  const perRuntime = {};
  for (const { g, ids: a } of minted) perRuntime[g.p.runtime] = (perRuntime[g.p.runtime] ?? 0) + a.length;
  const faults = {};
  for (const f of injected) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
  const codes = {};
  for (const e of errors) codes[e.code] = (codes[e.code] ?? 0) + 1;
  return { engine, seed, seconds, passes, dir, perRuntime, segmentIds: seg.total, groupIds: extra.total, snowflakeIds: snow.total, grants: grants.length, faults, codes, duplicates: snow.dup + seg.dup + extra.dup, outside, problems };
}

/** The report as the table scripts/soak prints. */
export function table(reports) {
  const rows = [];
  const runtimes = Object.keys(MINTERS);
  const kinds = Object.keys(FAULTS);
  const head = ['', ...reports.map((r) => r.engine)];
  rows.push(head, head.map(() => '---'));
  rows.push(['seconds', ...reports.map((r) => r.seconds.toFixed(0))]);
  for (const rt of runtimes) rows.push([`snowflake IDs, ${rt}`, ...reports.map((r) => (r.perRuntime[rt] ?? 0).toLocaleString('en'))]);
  rows.push(['segment IDs (one Leaf row / counter)', ...reports.map((r) => r.segmentIds.toLocaleString('en'))]);
  rows.push(['group IDs (3 Redis INCRBY / 2 ticket servers)', ...reports.map((r) => (r.groupIds ? r.groupIds.toLocaleString('en') : '–'))]);
  rows.push(['leases taken', ...reports.map((r) => String(r.grants))]);
  for (const k of kinds) if (reports.some((r) => r.faults[k])) rows.push([`fault: ${k}`, ...reports.map((r) => String(r.faults[k] ?? '–'))]);
  const codes = [...new Set(reports.flatMap((r) => Object.keys(r.codes)))].sort();
  for (const c of codes) rows.push([`reported: ${c}`, ...reports.map((r) => String(r.codes[c] ?? 0))]);
  rows.push(['IDs outside their lease', ...reports.map((r) => String(r.outside))]);
  rows.push(['duplicates', ...reports.map((r) => String(r.duplicates))]);
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i < 0 ? dflt : args[i + 1];
  };
  const seed = Number(opt('seed', String(Math.floor(Math.random() * 1e6))));
  const minutes = Number(opt('minutes', '0'));
  const engine = opt('engine', 'all');
  const engines = engine === 'all' ? ENGINES : [engine];
  console.log(`soak: seed ${seed} (replay: --seed ${seed}), ${minutes} min per engine, engines ${engines.join(', ')}`);
  const reports = [];
  for (const e of engines) {
    console.log(`${e}:`);
    const r = await soak({ engine: e, seed, seconds: minutes * 60, keep: args.includes('--keep'), say: console.log });
    for (const p of r.problems) console.log(`  PROBLEM ${p}`);
    if (r.problems.length) console.log(`  files kept in ${r.dir}`);
    reports.push(r);
  }
  console.log(table(reports));
  const bad = reports.filter((r) => r.problems.length);
  console.log(bad.length ? `soak FAILED (seed ${seed}): ${bad.map((r) => r.engine).join(', ')}` : `soak ok (seed ${seed})`);
  process.exit(bad.length ? 1 : 0);
}

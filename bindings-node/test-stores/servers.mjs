// Private Redis, ZooKeeper and etcd servers for the tests (own port and temp dir,
// never the shared server). redis-server comes from the machine (scripts/test
// installs it when missing). PrivateZooKeeper and PrivateEtcd, restartable with
// the faults the soak injects (tests/e2e/soak), are the one launcher of each.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (the soak's servers use it too). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts on `port`, within `ms`. */
async function listening(port, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A private redis-server (no persistence). `.url`, `.kill()` (SIGKILL), `.stop()`.
 * @returns {Promise<{ url: string, port: number, kill: () => void, stop: () => void }>}
 */
export async function privateRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const done = () => rmSync(dir, { recursive: true, force: true });
  child.once('exit', done);
  await listening(port);
  return {
    url: `redis://127.0.0.1:${port}/`,
    port,
    kill: () => child.kill('SIGKILL'),
    stop: () => child.kill('SIGTERM'),
  };
}

/**
 * Kill `pid` once this process is gone, however it ends: `sh` waits on a
 * pipe from this process (closed only when it exits) and kills then.
 * @param {number} pid
 */
function watchdog(pid) {
  const dog = spawn('sh', ['-c', `cat >/dev/null; kill -CONT ${pid} 2>/dev/null; kill -9 ${pid} 2>/dev/null`], { stdio: ['pipe', 'ignore', 'ignore'] });
  dog.unref();
  /** @type {any} */ (dog.stdin)?.unref?.();
}

/**
 * A private ZooKeeper (Debian's `zookeeper` on Java; scripts/test installs
 * it), as stores/tests/support/zk.rs starts one: its own free port and temp
 * data dir, tickTime 500 ms, no admin server. `.url` has short timeouts
 * (call 2 s, session 4 s); `.stop()` kills it, `.pause()`/`.resume()` send
 * SIGSTOP/SIGCONT (a server that hangs).
 */
export async function privateZooKeeper() {
  const zk = await new PrivateZooKeeper(mkdtempSync(join(tmpdir(), 'idloom-zk-'))).start();
  watchdog(/** @type {number} */ (zk.child?.pid));
  zk.child?.once('exit', () => rmSync(zk.dir, { recursive: true, force: true }));
  return server(/** @type {any} */ (zk.child), zk.port, `zookeeper://127.0.0.1:${zk.port}?call_timeout_ms=2000&session_timeout_ms=4000`);
}

/**
 * A private etcd (Debian's `etcd-server`), as stores/tests/support/etcd.rs
 * starts one: one member on free client and peer ports, a temp data dir,
 * short raft timings. `.url` has a 2 s call timeout.
 */
export async function privateEtcd() {
  const etcd = await new PrivateEtcd(mkdtempSync(join(tmpdir(), 'idloom-etcd-'))).start();
  watchdog(/** @type {number} */ (etcd.child?.pid));
  etcd.child?.once('exit', () => rmSync(etcd.dir, { recursive: true, force: true }));
  return server(/** @type {any} */ (etcd.child), etcd.port, etcd.url());
}

/**
 * @param {import('node:child_process').ChildProcess} child @param {number} port @param {string} url
 * @returns {{ url: string, port: number, stop: () => void, pause: () => void, resume: () => void }}
 */
function server(child, port, url) {
  return {
    url,
    port,
    stop: () => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** Resolves once `check()` is true, within `ms`. */
async function until(what, check, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`${what}: not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL `child` (if it still runs, paused or not) and wait for its exit. @param {any} child */
async function killed(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await gone;
}

/** One four-letter word to a ZooKeeper server: its answer ('' when it does not answer). */
function fourLetters(port, word) {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.end(word));
    s.setTimeout(2000, () => s.destroy());
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(''));
  });
}

/**
 * A ZooKeeper server of its own (Debian's, on Java): its folder, the data
 * directory in it, and the port it listens on (picked at its first start).
 * Durable: every write is fsynced to its transaction log before it answers.
 */
export class PrivateZooKeeper {
  /** @param {string} dir */
  constructor(dir) {
    this.dir = dir;
    this.data = join(dir, 'data');
    this.port = 0;
    this.child = null;
  }

  async start() {
    mkdirSync(this.data, { recursive: true });
    this.port ||= await freePort();
    const cfg = join(this.dir, 'zoo.cfg');
    writeFileSync(cfg, [`tickTime=500`, `dataDir=${this.data}`, `clientPort=${this.port}`, 'clientPortAddress=127.0.0.1',
      'admin.enableServer=false', 'minSessionTimeout=1000', 'maxSessionTimeout=10000', '4lw.commands.whitelist=srvr', ''].join('\n'));
    this.child = spawn('java', ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', '/usr/share/java/zookeeper.jar:/etc/zookeeper/conf',
      'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], { stdio: ['ignore', 'ignore', 'ignore'] });
    const child = this.child;
    await until(`zookeeper on ${this.port}`, async () => child.exitCode === null && /Mode: standalone/.test(await fourLetters(this.port, 'srvr')), 60_000);
    return this;
  }

  /** The URL every runtime's engine takes (short timeouts: a fault is seen within the soak's window). */
  url(port = this.port, host = '127.0.0.1') {
    return `zookeeper://${host}:${port}?call_timeout_ms=2000&session_timeout_ms=3000`;
  }

  async kill() {
    await killed(this.child);
  }

  /**
   * A backup of its data directory, copied while no client writes (ZooKeeper
   * fsyncs a transaction before it answers, so an idle server's files are
   * whole): the soak takes it before any minter starts. Not a restart: a
   * namespace left unwritten for longer than a TTL would read as restored.
   */
  snapshot(to) {
    cpSync(this.data, to, { recursive: true });
  }

  /** Killed, then started on the same port from `backup` (a restore), or with nothing. */
  async restore(backup = null) {
    await this.kill();
    rmSync(this.data, { recursive: true, force: true });
    if (backup) cpSync(backup, this.data, { recursive: true });
    return this.start();
  }

  async restartEmpty() {
    return this.restore(null);
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * An etcd member of its own (a one-member cluster: its folder, data
 * directory, client and peer ports). `restore` is etcd's documented
 * procedure: `etcdctl snapshot restore` into a new data directory with a new
 * `--initial-cluster-token` (so a new cluster ID).
 */
export class PrivateEtcd {
  /** @param {string} dir */
  constructor(dir) {
    this.dir = dir;
    this.data = join(dir, 'data');
    this.port = 0;
    this.peer = 0;
    this.generation = 0;
    this.child = null;
  }

  get peerUrl() {
    return `http://127.0.0.1:${this.peer}`;
  }

  get token() {
    return `idloom-soak-${process.pid}-${this.generation}`;
  }

  async start() {
    mkdirSync(this.dir, { recursive: true });
    this.port ||= await freePort();
    this.peer ||= await freePort();
    const client = `http://127.0.0.1:${this.port}`;
    this.child = spawn('etcd', ['--name', 'm1', '--data-dir', this.data, '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl, '--initial-cluster', `m1=${this.peerUrl}`,
      '--initial-cluster-token', this.token, '--initial-cluster-state', 'new', '--heartbeat-interval', '50', '--election-timeout', '500',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn'], { stdio: 'ignore' });
    const child = this.child;
    // etcd's /health answers {"health":"true"} once a proposal commits. Asked without blocking:
    // the soak's proxies run on this event loop (an etcdctl run would stall every store call).
    const health = async () => (await (await fetch(`${client}/health`, { signal: AbortSignal.timeout(2000) })).json()).health === 'true';
    await until(`etcd on ${this.port}`, async () => child.exitCode === null && (await health()), 30_000);
    return this;
  }

  etcdctl(...args) {
    return execFileSync('etcdctl', ['--endpoints', `127.0.0.1:${this.port}`, '--command-timeout=3s', ...args],
      { encoding: 'utf8', timeout: 10_000, env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  url(port = this.port, host = '127.0.0.1') {
    return `etcd://${host}:${port}?call_timeout_ms=2000`;
  }

  async kill() {
    await killed(this.child);
  }

  /** A backup as an operator takes one: `etcdctl snapshot save`, online (not blocking this event loop). */
  async snapshot(to) {
    await new Promise((resolve, reject) =>
      execFile('etcdctl', ['--endpoints', `127.0.0.1:${this.port}`, '--command-timeout=10s', 'snapshot', 'save', to],
        { timeout: 20_000, env: { ...process.env, ETCDCTL_API: '3' } }, (e) => (e ? reject(e) : resolve(undefined))));
  }

  /** Killed, then started on the same ports from `snapshot` with a new token (a new cluster ID), or with nothing. */
  async restore(snapshot = null) {
    await this.kill();
    rmSync(this.data, { recursive: true, force: true });
    this.generation++;
    if (snapshot) {
      execFileSync('etcdctl', ['snapshot', 'restore', snapshot, '--name', 'm1', '--data-dir', this.data, '--initial-cluster', `m1=${this.peerUrl}`,
        '--initial-cluster-token', this.token, '--initial-advertise-peer-urls', this.peerUrl],
      { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'ignore', timeout: 30_000 });
    }
    return this.start();
  }

  async restartEmpty() {
    return this.restore(null);
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

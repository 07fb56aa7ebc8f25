// Private Redis, ZooKeeper and etcd servers for the tests (own port and temp dir,
// never the shared server). redis-server comes from the machine (scripts/test
// installs it when missing).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const dir = mkdtempSync(join(tmpdir(), 'idloom-zk-'));
  const port = await freePort();
  mkdirSync(join(dir, 'data'));
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(cfg, `tickTime=500\ndataDir=${join(dir, 'data')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nmaxSessionTimeout=10000\n`);
  const java = spawn('java', ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', '/usr/share/java/zookeeper.jar:/etc/zookeeper/conf', 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], { stdio: 'ignore' });
  watchdog(/** @type {number} */ (java.pid));
  java.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await listening(port, 60_000);
  return server(java, port, `zookeeper://127.0.0.1:${port}?call_timeout_ms=2000&session_timeout_ms=4000`);
}

/**
 * A private etcd (Debian's `etcd-server`), as stores/tests/support/etcd.rs
 * starts one: one member on free client and peer ports, a temp data dir,
 * short raft timings. `.url` has a 2 s call timeout.
 */
export async function privateEtcd() {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-etcd-'));
  const [port, peer] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const etcd = spawn(
    'etcd',
    [
      ...['--name', 'm1', '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client],
      ...['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `m1=${peerUrl}`],
      ...['--initial-cluster-token', `idloom-${process.pid}-${port}`, '--initial-cluster-state', 'new'],
      // Short raft timings: etcd's minimum lease TTL is 1.5 election timeouts (rounded up to 1 s).
      ...['--heartbeat-interval', '50', '--election-timeout', '500', '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn'],
    ],
    { stdio: 'ignore' },
  );
  watchdog(/** @type {number} */ (etcd.pid));
  etcd.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await listening(port, 30_000);
  return server(etcd, port, `etcd://127.0.0.1:${port}?call_timeout_ms=2000`);
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

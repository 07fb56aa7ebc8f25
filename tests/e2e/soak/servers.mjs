// Private store servers for the soak (own port, own temp dir; never the
// machine's shared ones), each with the faults the soak injects: kill and
// restart, restart empty, restore from an older snapshot or base backup, a
// Redis replica promoted. And a TCP proxy in front of the lease store, so
// the minters keep one address while the server behind it is replaced (as a
// virtual IP or Sentinel-aware client would after a failover).
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { freePort } from '../../../bindings-node/test-stores/servers.mjs';
// ZooKeeper and etcd servers of their own, with the faults the soak injects (restart, restore, empty).
export { PrivateEtcd, PrivateZooKeeper } from '../../../bindings-node/test-stores/servers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const root = process.getuid?.() === 0;

/** Resolves once `check()` is true, within `ms`. */
async function until(what, check, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`${what}: not ready after ${ms} ms`);
    await sleep(50);
  }
}

/** SIGKILL `child` (if it still runs) and wait for its exit. */
async function killed(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

const accepts = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** The binaries' directory of the newest PostgreSQL on the machine. */
function pgBin() {
  const base = '/usr/lib/postgresql';
  const v = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)).at(-1) : undefined;
  if (!v) throw new Error('PostgreSQL is not installed (scripts/test installs it)');
  return join(base, v, 'bin');
}

/** Run as the unprivileged owner of the data when we are root (PostgreSQL refuses root). */
function asUser(user, cmd, args, options = {}) {
  options = { stdio: ['ignore', 'pipe', 'pipe'], ...options, ...(options.stdio === 'ignore' ? { stdio: ['ignore', 'pipe', 'pipe'] } : {}) };
  return root ? execFileSync('runuser', ['-u', user, '--', cmd, ...args], options) : execFileSync(cmd, args, options);
}

export class Proxy {
  /** @type {net.Server} */ #server;
  /** @type {Set<net.Socket>} */ #sockets = new Set();
  /** The backend's port, or null: connections are refused (the store is down). */
  target = null;
  port = 0;

  /** Listen on `host` (a free port): 127.0.0.1, or a veth address a network namespace reaches. */
  async listen(host = '127.0.0.1') {
    this.#server = net.createServer((client) => {
      if (this.target === null) return client.destroy();
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise((resolve) => this.#server.listen(0, host, resolve));
    this.port = /** @type {net.AddressInfo} */ (this.#server.address()).port;
  }

  /** Drop every connection and send new ones to `port` (null: refuse them). */
  point(port) {
    this.target = port;
    for (const s of this.#sockets) s.destroy();
  }

  close() {
    this.point(null);
    this.#server?.close();
  }
}

/**
 * A network namespace joined to the host by a veth pair (names from the
 * process id and a tag), for the partition fault: a process run in it with
 * `ip netns exec` reaches the host only at `hostIp`, and `cut()` takes the
 * host's end of the link down (nothing crosses either way, nothing is
 * refused) until `heal()`. Needs root and iproute2; `destroy()` removes it.
 */
export class Netns {
  constructor(tag) {
    const k = `${process.pid.toString(16)}${tag}`;
    this.name = `idloom-soak-${k}`;
    this.hostIf = `ish${k}`.slice(0, 15);
    this.nsIf = `isn${k}`.slice(0, 15);
    const third = process.pid % 251;
    const fourth = ({ p: 4, r: 8, m: 12, z: 16, e: 20 })[tag[0]] ?? 24;
    this.hostIp = `10.214.${third}.${fourth + 1}`;
    this.nsIp = `10.214.${third}.${fourth + 2}`;
  }

  static ip(...args) {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  }

  create() {
    const ip = Netns.ip;
    ip('netns', 'add', this.name);
    ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf);
    ip('link', 'set', this.nsIf, 'netns', this.name);
    ip('addr', 'add', `${this.hostIp}/30`, 'dev', this.hostIf);
    ip('link', 'set', this.hostIf, 'up');
    ip('-n', this.name, 'addr', 'add', `${this.nsIp}/30`, 'dev', this.nsIf);
    ip('-n', this.name, 'link', 'set', this.nsIf, 'up');
    ip('-n', this.name, 'link', 'set', 'lo', 'up');
    return this;
  }

  /** The command line that runs `cmd args` inside the namespace. */
  wrap(cmd, args) {
    return ['ip', ['netns', 'exec', this.name, cmd, ...args]];
  }

  cut() {
    Netns.ip('link', 'set', this.hostIf, 'down');
  }

  heal() {
    Netns.ip('link', 'set', this.hostIf, 'up');
  }

  destroy() {
    for (const args of [['link', 'del', this.hostIf], ['netns', 'del', this.name]]) {
      try {
        Netns.ip(...args);
      } catch {
        // already gone
      }
    }
  }
}

export class PrivateRedis {
  /** @param {string} dir @param {{ durable?: boolean }} [options] durable: AOF with fsync always */
  constructor(dir, options = {}) {
    this.dir = dir;
    this.durable = options.durable ?? false;
    this.child = null;
    this.port = 0;
  }

  async start(extra = []) {
    mkdirSync(this.dir, { recursive: true });
    this.port ||= await freePort();
    const persist = this.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persist, '--dir', this.dir, '--dbfilename', 'dump.rdb', ...extra], { stdio: 'ignore' });
    const child = this.child;
    await until(`redis on ${this.port}`, async () => child.exitCode === null && (await this.cli('PING')) === 'PONG', 15_000);
    return this;
  }

  /** One command through redis-cli (the machine's, beside redis-server). */
  cli(...args) {
    return execFileSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  }

  url() {
    return `redis://127.0.0.1:${this.port}/`;
  }

  async kill() {
    await killed(this.child);
  }

  /** A snapshot as a backup would take it: SAVE, then a copy of the RDB file. */
  snapshot(to) {
    this.cli('SAVE');
    cpSync(join(this.dir, 'dump.rdb'), to);
  }

  /** Killed, then started on the same port with nothing (no persistence) or from `rdb`. */
  async restart(rdb = null) {
    await this.kill();
    for (const f of ['dump.rdb', 'appendonlydir']) rmSync(join(this.dir, f), { recursive: true, force: true });
    if (rdb) cpSync(rdb, join(this.dir, 'dump.rdb'));
    return this.start();
  }

  /** A replica of this server, in sync. */
  async replica(dir) {
    const r = await new PrivateRedis(dir).start(['--replicaof', '127.0.0.1', String(this.port)]);
    await until('replica in sync', () => /master_link_status:up/.test(r.cli('INFO', 'replication')), 15_000);
    return r;
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A database server of its own: its folder, the data directory in it, and
 * the port it listens on (picked at its first start). */
class PrivateDatabase {
  constructor(dir) {
    this.dir = dir;
    this.data = join(dir, 'data');
    this.port = 0;
  }
}

export class PrivatePostgres extends PrivateDatabase {
  constructor(dir) {
    super(dir);
    this.bin = pgBin();
  }

  #own() {
    if (root) execFileSync('chown', ['-R', 'nobody', this.dir]);
  }

  async init() {
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o755);
    this.#own();
    rmSync(this.data, { recursive: true, force: true });
    asUser('nobody', join(this.bin, 'initdb'), ['-D', this.data, '-U', 'postgres', '-A', 'trust', '--no-sync'], { stdio: 'ignore' });
    return this;
  }

  async start() {
    this.port ||= await freePort();
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
    asUser('nobody', join(this.bin, 'pg_ctl'), ['-D', this.data, '-o', opts, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start'], { stdio: 'ignore' });
    await until(`postgres on ${this.port}`, () => {
      execFileSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-q']);
      return true;
    });
    execFileSync(join(this.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-qAt', '-c', 'SELECT 1'], { stdio: 'ignore' });
    return this;
  }

  /** The database `test` (created if missing). */
  createDb() {
    const has = this.sql('SELECT 1 FROM pg_database WHERE datname = $$test$$', 'postgres');
    if (has !== '1') this.sql('CREATE DATABASE test', 'postgres');
  }

  sql(text, db = 'test') {
    return execFileSync(join(this.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', db, '-qAt', '-c', text], { encoding: 'utf8' }).trim();
  }

  url() {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }

  /** Stopped as a crash would (immediate: no shutdown checkpoint). */
  stop() {
    try {
      asUser('nobody', join(this.bin, 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    } catch {
      // already down
    }
  }

  /** A base backup, as an operator takes one (pg_basebackup, WAL streamed into it). */
  basebackup(to) {
    asUser('nobody', join(this.bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-D', to, '-X', 'stream', '-c', 'fast'], { stdio: 'ignore' });
  }

  /** Restored from `backup` as a point-in-time recovery does: recover to the
   * backup's end, then promote (a new timeline). */
  async restore(backup) {
    this.stop();
    rmSync(this.data, { recursive: true, force: true });
    cpSync(backup, this.data, { recursive: true });
    writeFileSync(join(this.data, 'recovery.signal'), '');
    appendFileSync(join(this.data, 'postgresql.auto.conf'), "restore_command = '/bin/false'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n");
    this.#own();
    chmodSync(this.data, 0o700);
    await this.start();
    await until('promoted', () => this.sql('SELECT pg_is_in_recovery()', 'postgres') === 'f');
  }

  /** A new empty cluster on the same port (a lost disk): a new system identifier. */
  async restartEmpty() {
    this.stop();
    await this.init();
    await this.start();
    this.createDb();
  }

  destroy() {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class PrivateMariaDB extends PrivateDatabase {
  constructor(dir) {
    super(dir);
    this.child = null;
  }

  async init() {
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o755);
    if (root) execFileSync('chown', ['mysql', this.dir]); // mariadbd (as mysql) writes its socket and log here
    const user = root ? ['--user=mysql'] : [];
    execFileSync('mariadb-install-db', [`--datadir=${this.data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
    return this;
  }

  async start() {
    this.port ||= await freePort();
    const user = root ? ['--user=mysql'] : [];
    this.child = spawn('mariadbd', [`--datadir=${this.data}`, ...user, `--port=${this.port}`, '--bind-address=127.0.0.1', `--socket=${join(this.dir, 'sock')}`, '--innodb-flush-log-at-trx-commit=1', `--log-error=${join(this.dir, 'log')}`], { stdio: 'ignore' });
    const child = this.child;
    await until(`mariadb on ${this.port}`, async () => child.exitCode === null && (await accepts(this.port)) && this.sql('SELECT 1', '') === '1');
    this.sql('CREATE DATABASE IF NOT EXISTS test', '');
    return this;
  }

  sql(text, db = 'test') {
    return execFileSync('mariadb', ['-h', '127.0.0.1', '-P', String(this.port), '-uroot', '-N', '-B', ...(db ? [db] : []), '-e', text], { encoding: 'utf8', timeout: 20_000 }).trim();
  }

  url() {
    return `mysql://root@127.0.0.1:${this.port}/test`;
  }

  /** Killed as a crash would (SIGKILL); InnoDB recovers on the next start. */
  async kill() {
    await killed(this.child);
  }

  /** Stopped (SIGSTOP: it accepts nothing and answers nothing), then resumed. */
  pause() {
    this.child?.kill('SIGSTOP');
  }

  resume() {
    this.child?.kill('SIGCONT');
  }

  /** Killed and started again with the database gone (a lost disk, restored from nothing). */
  async restartEmpty() {
    await this.kill();
    await this.start();
    this.sql('DROP DATABASE test; CREATE DATABASE test', '');
  }

  async destroy() {
    this.resume();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Private Redis servers for the tests that kill one (own port and temp dir,
// never the shared server). redis-server comes from the machine (scripts/test
// installs it when missing).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

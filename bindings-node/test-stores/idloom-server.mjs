// The real idloom-server for the thin client's tests (and the README's
// example): IDLOOM_SERVER_BIN, else cargo's release build, built here if
// missing — a test without the server fails, never skips. Started on a free
// port (it prints the one it bound) over the test Redis, in a namespace of
// its own.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS, uniqueName } from './support.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The server binary's path. */
export function serverBin() {
  if (process.env.IDLOOM_SERVER_BIN) return process.env.IDLOOM_SERVER_BIN;
  const built = join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'release', 'idloom-server');
  if (!existsSync(built)) {
    const r = spawnSync('cargo', ['build', '-q', '--locked', '-p', 'idloom-server', '--release'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `cargo build -p idloom-server --release failed:\n${r.stderr}`);
  }
  return built;
}

/**
 * idloom-server serving `tags`, `tokens` mapping a tag to its secret.
 * @returns {Promise<{ url: string, child: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
export async function startServer({ tags, tokens = {}, store = REDIS }) {
  const args = ['--listen', '127.0.0.1:0', '--store', store, '--namespace', uniqueName('remote-ns', ''), '--nodes', '64', '--fresh'];
  for (const tag of tags) args.push('--segment', tag);
  for (const [tag, secret] of Object.entries(tokens)) args.push('--token', `${tag}=${secret}`);
  const child = spawn(serverBin(), args, { env: { ...process.env, IDLOOM_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^listening on (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    exited.then((code) => reject(new Error(`idloom-server did not start (exit ${code}; ${args.join(' ')}): ${err}`)));
  });
  return {
    url: `http://${address}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

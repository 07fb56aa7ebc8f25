// The Node CLI replays tests/cli/transcript.txt, which the Python CLI replays
// too (bindings-python/tests/test_cli_transcript.py): the same commands print
// the same lines and exit with the same status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { implName } from './impl.mjs';

const bin = new URL('../bin/idloom.mjs', import.meta.url).pathname;
const transcript = readFileSync(new URL('../../tests/cli/transcript.txt', import.meta.url), 'utf8');
const skip = implName !== 'native'; // the CLI runs on the addon

/** A stderr pattern: `*` matches any text. @param {string} glob */
const pattern = (glob) => new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

const cases = transcript
  .split('\n$ ')
  .slice(1)
  .map((block) => {
    const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const [command, ...rest] = lines;
    const exit = rest.find((l) => l.startsWith('exit '));
    return {
      argv: command.split(' ').slice(1), // after "idloom"
      stdout: rest.filter((l) => !l.startsWith('! ') && !l.startsWith('exit ')),
      stderr: rest.filter((l) => l.startsWith('! ')).map((l) => l.slice(2)),
      status: exit === undefined ? 0 : Number(exit.slice(5)),
    };
  });

test('cli transcript: the file has cases of every kind', () => {
  assert.ok(cases.length >= 30);
  assert.ok(cases.some((c) => c.status === 0) && cases.some((c) => c.status === 2));
});

for (const c of cases) {
  test(`cli transcript: idloom ${c.argv.join(' ')}`, { skip }, () => {
    const env = { ...process.env };
    delete env.IDLOOM_STORE_URL;
    const r = spawnSync(process.execPath, [bin, ...c.argv], { encoding: 'utf8', env });
    assert.equal(r.stdout, c.stdout.map((l) => `${l}\n`).join(''));
    const err = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(err.length, c.stderr.length, r.stderr);
    err.forEach((line, i) => assert.match(line, pattern(c.stderr[i])));
    assert.equal(r.status, c.status);
  });
}

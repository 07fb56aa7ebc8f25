// `npx idloom …`: every command, --help everywhere, one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { idloom, implName } from './impl.mjs';

const bin = new URL('../bin/idloom.mjs', import.meta.url).pathname;
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const skip = implName !== 'native';

test('cli: demo mints and decodes every kind for the given node', { skip }, () => {
  const r = cli('demo', '--node', '3');
  assert.equal(r.status, 0, r.stderr);
  for (const part of ['== snowflake', 'node=3 seq=0', '== segment', '[1, 2, 3, 4, 5]', '== UUID', 'version=7', '== NanoID', 'unmasked=']) {
    assert.ok(r.stdout.includes(part), `demo output lacks ${part}`);
  }
});

test('cli: snowflake IDs decode to the node, in every format', { skip }, () => {
  const r = cli('snowflake', '--node', '5', '--layout', 'sonyflake', '-n', '4');
  const ids = r.stdout.trim().split('\n').map(BigInt);
  assert.equal(ids.length, 4);
  for (const id of ids) assert.equal(idloom.Layout.SONYFLAKE.decode(id).node, 5);
  const b62 = cli('snowflake', '--node', '5', '-n', '2', '--format', 'base62').stdout.trim().split('\n');
  assert.ok(b62.every((t) => t.length === 11));
  assert.match(cli('snowflake', '--node', '5', '--format', 'friendly').stdout, /^\d{17}-5-\d+\n$/);
  const decoded = cli('decode', String(ids[0]), '--layout', 'sonyflake');
  assert.match(decoded.stdout, / node=5 seq=\d+ /);
});

test('cli: uuid4, uuid7, nanoid, segment, layout', { skip }, () => {
  assert.ok(cli('uuid4', '-n', '3').stdout.trim().split('\n').every((u) => idloom.version(u) === 4));
  const v7 = cli('uuid7', '-n', '3').stdout.trim().split('\n');
  assert.ok(v7.every((u) => idloom.version(u) === 7) && v7[0] < v7[2]);
  assert.match(cli('decode', v7[0]).stdout, /version=7 time=/);
  assert.match(cli('nanoid', '--alphabet', '01', '--size', '8').stdout, /^[01]{8}\n$/);
  assert.equal(cli('segment', '-n', '3', '--start', '10').stdout, '10\n11\n12\n');
  assert.match(cli('layout', '--layout', 'baidu').stdout, /runs out at: +2024-11-20/);
});

test('cli: --help on every command; bad arguments exit 2 with one line', { skip }, () => {
  for (const c of ['demo', 'snowflake', 'uuid4', 'uuid7', 'nanoid', 'segment', 'decode', 'layout']) {
    const r = cli(c, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^usage: idloom ${c}`));
  }
  assert.match(cli('--help').stdout, /commands:/);
  const bad = [
    [['snowflake', '--node', '1024'], 'node_out_of_range'],
    [['snowflake'], 'invalid_argument'],
    [['snowflake', '--node', '1', '-n', '0'], 'invalid_argument'],
    [['snowflake', '--node', '1', '--layout', 'nope'], 'invalid_argument'],
    [['nanoid', '--alphabet', 'aa'], 'invalid_alphabet'],
    [['decode', 'zzz'], 'invalid_uuid'],
    [['bogus'], 'invalid_argument'],
    [['uuid4', '--nope'], 'invalid_argument'],
  ];
  for (const [args, code] of bad) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].startsWith('idloom: error: ') && lines[0].endsWith(`(${code})`), lines[0]);
  }
});

test('cli: --version names the package version, the workspace one', { skip }, () => {
  const workspace = readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8').match(/^\[workspace\.package\][^[]*?^version = "([^"]+)"/m)[1];
  const r = cli('--version');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `idloom ${workspace}\n`);
});

#!/usr/bin/env node
// `npx idloom …`: the same commands as the Python CLI (`idloom …`), with the
// same output: both replay tests/cli/transcript.txt. Bad arguments exit 2
// with one line naming the error code.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as idloom from '../lib/index.mjs';

const PRESETS = ['twitter', 'sonyflake', 'baidu', 'js_safe'];
const FORMATS = ['int', 'friendly', 'base62', 'base36', 'base32', 'hex'];

const COMMANDS = {
  demo: { about: 'mint and decode IDs of every kind', usage: '--node NODE [--layout PRESET]', options: { node: 'string', layout: 'string' } },
  snowflake: { about: 'mint snowflake IDs', usage: '--node NODE [--layout PRESET] [-n N] [--format FORMAT]', options: { node: 'string', layout: 'string', n: 'string', format: 'string' } },
  uuid4: { about: 'mint random UUIDs', usage: '[-n N]', options: { n: 'string' } },
  uuid7: { about: 'mint time-ordered UUIDs', usage: '[-n N]', options: { n: 'string' } },
  nanoid: { about: 'mint NanoIDs', usage: '[-n N] [--size SIZE] [--alphabet ALPHABET]', options: { n: 'string', size: 'string', alphabet: 'string' } },
  segment: { about: 'mint IDs from an in-memory segment source', usage: '[-n N] [--start START] [--step STEP]', options: { n: 'string', start: 'string', step: 'string' } },
  decode: { about: 'decode a snowflake ID or a UUID', usage: '[--layout PRESET] ID', options: { layout: 'string' }, positional: 1 },
  layout: { about: "print a layout's capacity report", usage: '[--layout PRESET]', options: { layout: 'string' } },
};
// (`store init|status|release` talks to a store: see storeCommand below.)

const HELP_TEXT = {
  node: "this process's node ID (never guessed)",
  layout: `layout preset: ${PRESETS.join(', ')} (default twitter)`,
  n: 'how many (1..=1000000, default 1; demo mints 3)',
  format: `output form: ${FORMATS.join(', ')} (default int)`,
  size: 'symbols per NanoID (1..=1024, default 21)',
  alphabet: 'custom alphabet (2..=256 distinct symbols)',
  start: 'first counter of the in-memory store (default 1)',
  step: 'counters per fetch (default 1000)',
};

class UsageError extends Error {
  code = 'invalid_argument';
}

function topHelp() {
  const lines = ['usage: idloom <command> [options]', '', 'Mint, decode and describe unique IDs (idloom).', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.about}`);
  lines.push(`  ${'store'.padEnd(10)} namespaces, nodes and segment counters on a store (init, status, release)`);
  lines.push('', 'Run `idloom <command> --help` for its options.');
  return lines.join('\n');
}

function commandHelp(name) {
  const c = COMMANDS[name];
  const lines = [`usage: idloom ${name} ${c.usage}`, '', c.about, '', 'options:', '  -h, --help  show this help and exit'];
  for (const opt of Object.keys(c.options)) lines.push(`  ${(opt === 'n' ? '-n N' : `--${opt}`).padEnd(12)} ${HELP_TEXT[opt]}`);
  return lines.join('\n');
}

/** A decimal integer argument in min..=max. */
function intArg(value, name, min, max, fallback) {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${name} must be an integer in ${min}..=${max}, got "${value}"`);
  }
  return Number(value);
}

function layoutArg(value) {
  const name = value ?? 'twitter';
  if (!PRESETS.includes(name)) throw new UsageError(`--layout must be one of ${PRESETS.join(', ')}, got "${name}"`);
  return idloom.Layout.preset(name);
}

function nodeArg(value) {
  if (value === undefined) throw new UsageError('--node is required: idloom never guesses a node ID');
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--node must be a non-negative integer, got "${value}"`);
  return BigInt(value);
}

const iso = (ms) => new Date(ms).toISOString();

function capacityReport(layout) {
  const c = layout.capacity();
  const order = layout.order === 'time_node_sequence' ? 'time|node|sequence' : 'time|sequence|node';
  // Bits as time/node/sequence whatever the order (the core's Display of a layout, and the README's table).
  return [
    `${layout.timeBits}/${layout.nodeBits}/${layout.sequenceBits} bits (${order}), tick ${layout.tickMs} ms, epoch ${iso(layout.epochMs)}`,
    `ids per tick per node:   ${c.idsPerTick}`,
    `ids per second per node: ${c.idsPerSecondPerNode}`,
    `nodes:                   ${c.nodes}`,
    `runs out at:             ${iso(c.runsOutAtMs)}`,
    `leaves JS-safe range at: ${c.leavesJsSafeAtMs === null ? 'never' : iso(c.leavesJsSafeAtMs)}`,
  ].join('\n');
}

function describeSnowflake(layout, id) {
  const p = layout.decode(id);
  return `${id}  time=${p.timestamp.toISOString()} node=${p.node} seq=${p.sequence} friendly=${layout.friendly(id)}`;
}

function describeUuid(u) {
  const ms = idloom.uuidTimestampMs(u);
  return `${u}  version=${idloom.version(u)}${ms === null ? '' : ` time=${iso(ms)}`}`;
}

const run = {
  demo(o, out) {
    const layout = layoutArg(o.layout);
    const gen = new idloom.Snowflake({ node: nodeArg(o.node), layout });
    out(`== snowflake, layout ${capacityReport(layout)}`);
    const ids = gen.nextBatch(3);
    for (const id of ids) out(describeSnowflake(layout, id));
    out('', '== segment (in-memory source, step 1000, Leaf-style prefetch at 10 %)');
    const seg = new idloom.Segment(new idloom.MemorySource(1), { step: 1000 });
    const first = Array.from({ length: 5 }, () => seg.next());
    out(`[${first.join(', ')}] (in memory: ${seg.remaining} more)`);
    out('', '== UUID');
    out(describeUuid(idloom.v4()), describeUuid(idloom.v7()), describeUuid(idloom.v7()));
    out('', '== NanoID');
    out(`default  ${idloom.nanoid()}`, `hex, 12  ${idloom.customAlphabet('0123456789abcdef', 12)()}`);
    out('', '== encodings and masking');
    const mask = new idloom.Mask(64, new TextEncoder().encode('demo key, 16 B.'.padEnd(16, '.')));
    const masked = mask.mask(ids[0]);
    out(`${ids[0]} base62=${idloom.encode(ids[0])} masked=${masked} unmasked=${mask.unmask(masked)}`);
  },
  snowflake(o, out) {
    const layout = layoutArg(o.layout);
    const node = nodeArg(o.node);
    const n = intArg(o.n, '-n', 1, 1_000_000, 1);
    const format = o.format ?? 'int';
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
    const gen = new idloom.Snowflake({ node, layout });
    for (const id of gen.nextBatch(n)) out(format === 'int' ? String(id) : format === 'friendly' ? layout.friendly(id) : idloom.encode(id, format));
  },
  uuid4(o, out) {
    for (let i = intArg(o.n, '-n', 1, 1_000_000, 1); i > 0; i--) out(idloom.v4());
  },
  uuid7(o, out) {
    for (let i = intArg(o.n, '-n', 1, 1_000_000, 1); i > 0; i--) out(idloom.v7());
  },
  nanoid(o, out) {
    const n = intArg(o.n, '-n', 1, 1_000_000, 1);
    const size = intArg(o.size, '--size', 1, 1024, 21);
    const gen = o.alphabet === undefined ? (/** @type {number} */ s) => idloom.nanoid(s) : idloom.customAlphabet(o.alphabet, size);
    for (let i = 0; i < n; i++) out(gen(size));
  },
  segment(o, out) {
    const n = intArg(o.n, '-n', 1, 1_000_000, 1);
    const start = o.start === undefined ? 1n : nodeLike(o.start, '--start');
    const seg = new idloom.Segment(new idloom.MemorySource(start), { step: intArg(o.step, '--step', 1, 2 ** 40, 1000) });
    for (let i = 0; i < n; i++) out(String(seg.next()));
  },
  decode(o, out, positionals) {
    const [id] = positionals;
    if (id === undefined) throw new UsageError('decode needs an ID (a snowflake integer or a UUID)');
    if (/^[0-9]+$/.test(id)) out(describeSnowflake(layoutArg(o.layout), id));
    else out(describeUuid(idloom.formatUuid(id, 'hyphenated')));
  },
  layout(o, out) {
    out(capacityReport(layoutArg(o.layout)));
  },
};

function nodeLike(value, name) {
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got "${value}"`);
  return BigInt(value);
}

/**
 * Run the CLI on `argv`; returns the exit status. Lines go to `out`, the
 * one-line error to `err`.
 * @param {string[]} argv
 * @param {(line: string) => void} [write]
 * @param {(line: string) => void} [writeErr]
 */
export function main(argv, write = (l) => process.stdout.write(l + '\n'), writeErr = (l) => process.stderr.write(l + '\n')) {
  const out = (...lines) => lines.forEach((l) => write(l));
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    out(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    // The package's version (the workspace's one version; scripts/version writes it), as `idloom --version` in Python.
    out(`idloom ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}`);
    return 0;
  }
  try {
    if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}" (choose from ${[...Object.keys(COMMANDS), 'store'].join(', ')})`);
    const spec = COMMANDS[name];
    const options = { help: { type: 'boolean', short: 'h' } };
    for (const [opt, type] of Object.entries(spec.options)) options[opt] = opt === 'n' ? { type, short: 'n' } : { type };
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: Boolean(spec.positional), strict: true });
    } catch (e) {
      throw new UsageError(e.message.split('\n')[0]);
    }
    if (parsed.values.help) {
      out(commandHelp(name));
      return 0;
    }
    run[name](parsed.values, out, parsed.positionals);
    return 0;
  } catch (e) {
    if (typeof e?.code !== 'string') throw e;
    writeErr(`idloom: error: ${e.message} (${e.code})`);
    return 2;
  }
}

const STORE_USAGE = `usage: idloom store init|status|release --url URL (--namespace NS | --segment BIZ_TAG) [options]

Namespaces, nodes and segment counters on a store (postgres://, mysql://, redis://,
zookeeper://, etcd://).
The URL can come from IDLOOM_STORE_URL instead (its password stays off the
command line); --url wins. A URL is only ever shown with its password as ***.

  init    --namespace NS [--layout PRESET] [--nodes N] [--ttl-ms MS] [--max-skew-ms MS] [--fresh]
          --segment BIZ_TAG --floor N [--step N] [--table NAME] [--guard]
          (--guard: the counter records the store's identity, PostgreSQL and Redis;
          run it again with a floor above every ID handed out to go on after a
          restore, on Redis after any restart)
  status  --namespace NS: every held node's holder, epoch, expiry and fence
          --segment BIZ_TAG [--table NAME]: where the next range starts
  release --namespace NS --node K: free a dead holder's node now (its fence stays)`;

/** The store flags bounded by the core's argument specs (idloom::stores::args), with the spec of each: Python's `_STORE_NUMBERS`. */
const STORE_NUMBERS = { nodes: 'nodes', 'ttl-ms': 'ttl_ms', 'max-skew-ms': 'max_skew_ms', floor: 'floor', step: 'counter_step' };

/**
 * Every store number given, checked by the core (the addon's storeCheckArg,
 * installed by ../lib/index.mjs) before a store is reached; replaced by its
 * value (a bigint past 2^53 - 1).
 * @param {any} v the parsed flags
 */
async function storeNumbers(v) {
  const { native } = await import('../lib/native.mjs');
  for (const [flag, key] of Object.entries(STORE_NUMBERS)) if (v[flag] !== undefined) v[flag] = native.storeCheckArg(key, nodeLike(v[flag], `--${flag}`));
}

/** The store a URL names. @param {string | undefined} url */
async function storeFor(url) {
  const stores = await import('../lib/stores.mjs');
  if (url === undefined) throw new UsageError('--url URL or IDLOOM_STORE_URL is required (postgres://…, mysql://…, redis://…, zookeeper://…, etcd://…)');
  const scheme = url.split('://')[0].toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return stores.PostgresStore.fromUrl(url);
  if (scheme === 'mysql' || scheme === 'mariadb') return stores.MySQLStore.fromUrl(url.replace(/^mariadb:/, 'mysql:'));
  if (scheme === 'redis' || scheme === 'rediss') return stores.RedisStore.fromUrl(url);
  if (scheme === 'zookeeper') return stores.ZooKeeperStore.fromUrl(url);
  if (scheme === 'etcd') return stores.EtcdStore.fromUrl(url);
  throw new UsageError(`--url must be postgres://, mysql://, redis://, zookeeper:// or etcd://, got "${stores.redactStoreUrl(url, url)}"`);
}

/**
 * `idloom store …`, asynchronous (it talks to a store).
 * @param {string[]} argv after "store"
 * @param {(...lines: string[]) => void} out
 */
async function storeCommand(argv, out) {
  const [op, ...rest] = argv;
  if (op === undefined || op === '-h' || op === '--help') {
    out(STORE_USAGE);
    return op === undefined ? 2 : 0;
  }
  if (!['init', 'status', 'release'].includes(op)) throw new UsageError(`unknown store command "${op}" (choose from init, status, release)`);
  const options = Object.fromEntries(
    ['url', 'namespace', 'segment', 'layout', 'nodes', 'ttl-ms', 'max-skew-ms', 'floor', 'step', 'table', 'node'].map((k) => [k, { type: 'string' }]),
  );
  let v;
  try {
    v = parseArgs({ args: rest, options: { ...options, fresh: { type: 'boolean' }, guard: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    throw new UsageError(e.message.split('\n')[0]);
  }
  if (v.help) {
    out(STORE_USAGE);
    return 0;
  }
  if ((v.namespace === undefined) === (v.segment === undefined)) throw new UsageError('give one of --namespace and --segment');
  if (op === 'release' && v.segment !== undefined) throw new UsageError('release frees a node: --namespace NS --node K');
  await storeNumbers(v);
  const url = v.url ?? (process.env.IDLOOM_STORE_URL || undefined);
  try {
    return await storeOp(op, v, await storeFor(url), out);
  } catch (e) {
    // Whatever a driver or a check said, never with the URL's password.
    const err = /** @type {any} */ (e);
    if (url !== undefined && typeof err?.message === 'string') err.message = (await import('../lib/stores.mjs')).redactStoreUrl(err.message, url);
    throw e;
  }
}

/**
 * One store command on `store`.
 * @param {string} op @param {any} v @param {any} store @param {(...lines: string[]) => void} out
 */
async function storeOp(op, v, store, out) {
  const table = v.table === undefined ? {} : { table: v.table };
  if (op === 'init' && v.namespace !== undefined) {
    const r = await store.initNamespace(v.namespace, {
      layout: layoutArg(v.layout),
      nodes: v.nodes,
      ttlMs: v['ttl-ms'] ?? 10_000,
      maxSkewMs: v['max-skew-ms'] ?? 1_000,
      fresh: v.fresh ?? false,
    });
    out(`namespace ${v.namespace}: ${r.nodes} nodes, ttl ${r.ttlMs} ms, max skew ${r.maxSkewMs} ms, floor ${r.floorMs}, layout ${r.layout}`);
  } else if (op === 'init') {
    if (v.floor === undefined) throw new UsageError('--floor is required with --segment: the counter\'s first max_id, above every ID handed out before');
    const floor = v.floor;
    const stores = await import('../lib/stores.mjs');
    if (v.guard && store instanceof stores.MySQLStore) throw new UsageError(`--guard: ${stores.guardRefused()}`);
    const guard = v.guard ? { guard: true } : {};
    await store.initSegment(v.segment, { floor, step: v.step ?? 1000, ...table, ...guard });
    out(`segment ${v.segment}: ready (floor ${floor})`);
  } else if (op === 'status' && v.namespace !== undefined) {
    const { record: r, nodes } = await store.status(v.namespace);
    out(`namespace ${v.namespace}: ${r.nodes} nodes, ttl ${r.ttlMs} ms, max skew ${r.maxSkewMs} ms, floor ${r.floorMs}, layout ${r.layout}`);
    out('node  holder  epoch  expires_ms  start_ms  fence_ms');
    for (const n of nodes) if (n.epoch) out(`${n.node}  ${n.holder || '-'}  ${n.epoch}  ${n.expiresMs}  ${n.startMs}  ${n.fenceMs}`);
  } else if (op === 'status') {
    out(`segment ${v.segment}: next range starts at ${await store.segmentPeek(v.segment, table)}`);
  } else {
    if (v.node === undefined) throw new UsageError('release needs --node K: the node to free');
    const node = nodeLike(v.node, '--node');
    const { nodes } = await store.status(v.namespace);
    const held = nodes.find((n) => BigInt(n.node) === node);
    if (held === undefined) throw Object.assign(new RangeError(`--node must be in 0..=${nodes.length - 1}, got ${node}`), { code: 'node_out_of_range' });
    await store._release(v.namespace, held.node, held.epoch, held.startMs, held.holder, held.fenceMs);
    out(`namespace ${v.namespace}, node ${node}: free (epoch ${held.epoch}, fence stays at ${held.fenceMs})`);
  }
  return 0;
}

/**
 * `main`, with the store commands (which talk to a store, so resolve later).
 * @param {string[]} argv
 */
export async function mainAsync(argv, write = (/** @type {string} */ l) => process.stdout.write(l + '\n'), writeErr = (/** @type {string} */ l) => process.stderr.write(l + '\n')) {
  if (argv[0] !== 'store') return main(argv, write, writeErr);
  try {
    return await storeCommand(argv.slice(1), (...lines) => lines.forEach((l) => write(l)));
  } catch (e) {
    if (typeof e?.code !== 'string') throw e;
    writeErr(`idloom: error: ${e.message} (${e.code})`);
    return 2;
  }
}

// Run when executed (npx idloom, node bin/idloom.mjs), not when imported by tests.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  // A store's pool or client keeps sockets open: exit once the command is done.
  mainAsync(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
}

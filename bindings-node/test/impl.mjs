// The implementation under test. The same suite runs against the napi-rs
// addon (IDLOOM_IMPL=native, the default) and the wasm package built by
// bindings-wasm/build.sh (IDLOOM_IMPL=wasm); both export the same API.
import { readFileSync } from 'node:fs';

export const implName = process.env.IDLOOM_IMPL ?? 'native';
const entries = {
  native: new URL('../lib/index.mjs', import.meta.url),
  wasm: new URL('../../bindings-wasm/pkg/node.mjs', import.meta.url),
};
if (!(implName in entries)) throw new Error(`IDLOOM_IMPL must be one of ${Object.keys(entries).join(', ')}, got ${implName}`);
/** The URL of the ESM entry under test (workers import it too). */
export const entry = entries[implName];
export const idloom = await import(entry.href);

/** A shared vector file from tests/vectors. */
export const vectors = (name) => JSON.parse(readFileSync(new URL(`../../tests/vectors/${name}`, import.meta.url), 'utf8'));

/** The result of `f`, or `{ error: code }` if it threw an idloom error. */
export function outcome(f) {
  try {
    return f();
  } catch (e) {
    if (!e.code) throw e;
    return { error: e.code };
  }
}

/** A Layout from a vector's snake_case layout. */
export const layoutFrom = (v) =>
  new idloom.Layout({ timeBits: v.time_bits, nodeBits: v.node_bits, sequenceBits: v.sequence_bits, epochMs: v.epoch_ms, tickMs: v.tick_ms, order: v.order });

export const hex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

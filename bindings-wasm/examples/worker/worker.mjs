// A Cloudflare Worker that mints IDs of every kind inside `fetch`.
//
// Node IDs are injected by the host, never guessed: here from the `NODE_ID`
// binding (wrangler.toml `[vars]`, or a secret). A binding is shared by every
// isolate of a deployment, so it is only a unique node where one isolate
// serves it — a Durable Object (one instance per ID, worldwide) is the
// natural home: give each object its own node. Stateless Workers that scale
// out should lease a node per isolate from such an object on their first
// request (request-scoped assignment) and pass it here the same way.
import { Snowflake, Layout, Segment, MemorySource, Mask, v4, v7, nanoid, encode, decode } from '../../pkg/workerd.mjs';

// Public IDs that hide order and volume; MASK_KEY would be a secret binding (16 bytes).
const mask = (env) => new Mask(64, new TextEncoder().encode(env.MASK_KEY ?? 'example key, 16B'));

let gen = null; // per isolate; created in a handler: Workers refuse randomness at module scope
let segment = null;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const node = Number(url.searchParams.get('node') ?? env.NODE_ID);
    // Deployed Workers freeze Date.now() between I/O: borrow ahead (bounded) instead of waiting for a tick that will not come.
    if (gen === null || gen.node !== node) gen = new Snowflake({ node, layout: Layout.TWITTER, exhausted: 'borrow', maxBorrowMs: 1000 });
    segment ??= new Segment(new MemorySource(1), { step: 100 });
    const n = Math.min(Number(url.searchParams.get('n') ?? 5), 100_000);
    const ids = gen.nextBatch(n);
    return Response.json({
      node: gen.node,
      snowflake: [...ids.subarray(0, 5)].map(String),
      count: ids.length,
      last: String(ids[ids.length - 1]),
      decoded: gen.decode(ids[0]),
      segment: [segment.next(), segment.next()].map(String),
      v4: v4(),
      v7: v7(),
      nanoid: nanoid(),
      base62: encode(ids[0]),
      base62RoundTrip: decode(encode(ids[0])) === ids[0],
      maskRoundTrip: mask(env).unmask(mask(env).mask(ids[0])) === ids[0],
      capacity: Layout.TWITTER.capacity().idsPerSecondPerNode,
    });
  },
};

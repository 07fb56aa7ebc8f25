// idloom/stores through its generated declarations (type-checked, not run).
import { Snowflake, Segment, Layout } from 'idloom';
import { MySQLStore, NodeLease, PostgresStore, RedisStore, SegmentGroup } from 'idloom/stores';

export async function usage(pg: PostgresStore, my: MySQLStore, redis: RedisStore): Promise<void> {
  await pg.initNamespace('orders', { layout: Layout.TWITTER, nodes: 1024, ttlMs: 10_000, maxSkewMs: 1_000, fresh: false });
  const lease: NodeLease = await pg.leaseNode('orders');
  const node: number = lease.node;
  const fence: number = lease.fenceMs;
  const gen = new Snowflake({ lease });
  const id: bigint = gen.next();
  lease.once('lease_lost', (facts) => void [facts.node, facts.fenceMs]);
  const renewed: number = lease.stats().lease_renewed;
  const high: number | null = await lease.release();
  await my.initSegment('order', { floor: 1, step: 1000 });
  const source = my.segmentSource('order', { mode: 'cas' });
  const range: { start: number; end: number } = await source(1000);
  await redis.initSegment('order', { floor: 1 });
  // @ts-expect-error: a leased Snowflake takes no node of its own
  new Snowflake({ lease, node: 1 });
  // @ts-expect-error: modes are a closed set
  pg.segmentSource('order', { mode: 'sometimes' });
  // worker_threads: a token for new Snowflake({ sharedLease }) in a worker
  const token = lease.share();
  const shared = new Snowflake({ sharedLease: token });
  // @ts-expect-error: a shared lease takes no node of its own
  new Snowflake({ sharedLease: token, node: 1 });
  // sequences, tickets, groups
  await pg.initSequence('seq0', { step: 1000, index: 0, count: 2 });
  const seq = new Segment(pg.sequenceSource('seq0', { step: 1000 }), { step: 1000 });
  await my.initTickets('tickets64');
  const odd = new Segment(my.ticketSource('tickets64', { servers: 2, index: 1 }), { step: 1 });
  const group = new SegmentGroup([seq, odd]);
  const next: bigint = await group.nextAsync();
  const skipped: number = group.skipped;
  // @ts-expect-error: a group is made of Segments
  new SegmentGroup([1, 2]);
  // @ts-expect-error: Redis has no tickets
  redis.ticketSource('tickets64');
  const nodeRedis = await RedisStore.fromUrl('redis://127.0.0.1:6379/', { driver: 'redis' });
  void [node, fence, id, high, range, shared, next, skipped, nodeRedis];
}

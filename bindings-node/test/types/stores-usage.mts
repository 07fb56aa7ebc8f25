// idloom/stores through its generated declarations (type-checked, not run).
import { Snowflake, Layout } from 'idloom';
import { MySQLStore, NodeLease, PostgresStore, RedisStore } from 'idloom/stores';

export async function usage(pg: PostgresStore, my: MySQLStore, redis: RedisStore): Promise<void> {
  await pg.initNamespace('orders', { layout: Layout.TWITTER, nodes: 1024, ttlMs: 10_000, maxSkewMs: 1_000, fresh: false });
  const lease: NodeLease = await pg.leaseNode('orders');
  const node: number = lease.node;
  const fence: number = lease.fenceMs;
  const gen = new Snowflake({ lease });
  const id: bigint = gen.next();
  const high: number | null = await lease.release();
  await my.initSegment('order', { floor: 1, step: 1000 });
  const source = my.segmentSource('order', { mode: 'cas' });
  const range: { start: number; end: number } = await source(1000);
  await redis.initSegment('order', { floor: 1 });
  // @ts-expect-error: a leased Snowflake takes no node of its own
  new Snowflake({ lease, node: 1 });
  // @ts-expect-error: modes are a closed set
  pg.segmentSource('order', { mode: 'sometimes' });
  void [node, fence, id, high, range];
}

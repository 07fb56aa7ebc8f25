// A Worker whose handler pins Date.now(), as deployed Workers freeze it
// between I/O: borrowing ahead runs to its bound and ends in lead_exceeded,
// a wait policy ends in clock_stalled — never a hang, never a repeat.
import { Snowflake, Layout } from '../pkg/workerd.mjs';

export default {
  async fetch(request) {
    const node = Number(new URL(request.url).searchParams.get('node'));
    const realNow = Date.now;
    const pinned = realNow();
    Date.now = () => pinned;
    try {
      const gen = new Snowflake({ node, layout: Layout.TWITTER, exhausted: 'borrow', maxBorrowMs: 1000 });
      const first = gen.nextBatch(4096 * 25);
      let count = first.length;
      let last = first[first.length - 1];
      let increasing = true;
      let code = null;
      try {
        for (;;) {
          const batch = gen.nextBatch(4096); // one tick per batch
          increasing &&= batch[0] > last;
          count += batch.length;
          last = batch[batch.length - 1];
        }
      } catch (e) {
        code = e.code;
      }
      const waiter = new Snowflake({ node: node + 1, layout: Layout.TWITTER, exhausted: 'wait' });
      waiter.nextBatch(4096);
      let waitCode = null;
      try {
        waiter.next();
      } catch (e) {
        waitCode = e.code;
      }
      return Response.json({
        pinned,
        stillPinned: Date.now() === pinned,
        count,
        increasing,
        code,
        waitCode,
        firstMs: gen.decode(first[0]).timestampMs,
        lastMs: gen.decode(last).timestampMs,
      });
    } finally {
      Date.now = realNow;
    }
  },
};

// remoteSource against the real idloom-server over the test Redis (names of
// this run's own): segments over it, ranges never shared, the server's
// refusals as typed errors, a server gone. The client's own checks and
// malformed answers are in test/remote.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { idloom } from './impl.mjs';
import { uniqueName } from './support.mjs';
import { startServer } from './idloom-server.mjs';

const { remoteSource, Segment } = idloom;
const SECRET = 's3cret-Token_value';
// The tag has a ':', which the path percent-encodes.
const TAG = uniqueName('remote:js', '');
const OPEN_TAG = uniqueName('remote-open', '');
let server;

before(async () => {
  server = await startServer({ tags: [TAG, OPEN_TAG], tokens: { [TAG]: SECRET } });
});
after(async () => {
  await server?.stop();
});

const coded = (code, cls, words) => (e) => {
  assert.equal(e.code, code, e.message);
  assert.ok(e instanceof cls, `${e.constructor.name}: ${e.message}`);
  if (words) assert.match(e.message, words);
  return true;
};

test('a Segment over a remote source yields unique increasing IDs across refills', async () => {
  const ids = new Segment(remoteSource(server.url, TAG, { token: SECRET }), { step: 50 });
  const got = [];
  for (let i = 0; i < 2000; i++) got.push(await ids.nextAsync());
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1] < got[i], `${got[i - 1]} then ${got[i]}`);
  assert.ok(ids.stats().segment_fetched >= 40, JSON.stringify(ids.stats()));
});

test('two sources never share a range (and a second server on the same counter)', async () => {
  const other = await startServer({ tags: [TAG], tokens: { [TAG]: SECRET } });
  try {
    const sources = [server.url, server.url, other.url].map((url) => remoteSource(url, TAG, { token: SECRET }));
    const ranges = (
      await Promise.all(
        sources.map(async (source) => {
          const mine = [];
          for (let i = 0; i < 100; i++) mine.push(await source(7));
          return mine;
        }),
      )
    ).flat();
    assert.equal(ranges.length, 300);
    assert.ok(ranges.every(({ start, end }) => end - start === 7n));
    ranges.sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i - 1].end <= ranges[i].start, 'no two ranges overlap');
  } finally {
    await other.stop();
  }
});

test('a wrong or missing token is unauthorized', async () => {
  for (const [token, words] of [
    [undefined, /a token is required/],
    ['not-the-secret', /the token does not match/],
  ]) {
    const source = remoteSource(server.url, TAG, token === undefined ? {} : { token });
    await assert.rejects(source(10), (e) => coded('unauthorized', Error, words)(e) && !(e instanceof RangeError) && !e.message.includes(SECRET));
    const ids = new Segment(source, { step: 10 });
    await assert.rejects(ids.nextAsync(), coded('unauthorized', Error)); // the source's error, once memory is dry
  }
  assert.ok((await remoteSource(server.url, OPEN_TAG)(10)).end > 0n); // a tag without a token needs none
});

test('an unknown tag is not_found', async () => {
  await assert.rejects(remoteSource(server.url, 'no-such-tag', { token: SECRET })(10), coded('not_found', RangeError, /^biz_tag "no-such-tag" is not served here$/));
});

test('a bad step is invalid_argument, as the server says', async () => {
  let local;
  await assert.rejects(remoteSource(server.url, OPEN_TAG)(0), (e) => {
    local = e;
    return coded('invalid_argument', RangeError)(e);
  });
  // The client's check answers what the server does for the same request.
  const r = await fetch(`${server.url}/v1/segment/${OPEN_TAG}/lease?step=0`, { method: 'POST' });
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), { code: 'invalid_argument', message: local.message });
});

test('a server that is gone is store_unavailable within the timeout', async () => {
  const tag = uniqueName('remote-gone', '');
  const gone = await startServer({ tags: [tag] });
  const source = remoteSource(gone.url, tag, { timeoutMs: 500 });
  assert.ok((await source(5)).end > 0n); // the connection is kept open
  gone.child.kill('SIGSTOP'); // paused: the connection accepts, nothing answers
  try {
    const t0 = Date.now();
    await assert.rejects(source(5), coded('store_unavailable', Error, /no answer within 500 ms \(timeoutMs\)$/));
    assert.ok(Date.now() - t0 < 1500, `${Date.now() - t0} ms`);
  } finally {
    gone.child.kill('SIGCONT');
  }
  assert.ok((await source(5)).end > 0n); // answered again
  await gone.stop();
  const t1 = Date.now();
  await assert.rejects(source(5), coded('store_unavailable', Error, /no answer: ECONNREFUSED/));
  assert.ok(Date.now() - t1 < 1500, `${Date.now() - t1} ms`);
});

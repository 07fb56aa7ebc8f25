// The thin client of idloom-server (remoteSource): its argument checks, and
// what it makes of every kind of answer — against a scripted peer for the
// answers the server never gives (malformed, dropped, silent). The real
// server's tests are in test-stores/remote.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { idloom } from './impl.mjs';

const { remoteSource, Segment, errorCodes } = idloom;
const SECRET = 's3cret-Token_value';

/** A scripted HTTP/1.1 peer: `answer(req)` → [status, body] or 'drop' (close unanswered). */
async function peer(answer) {
  const requests = [];
  let connections = 0;
  const server = createServer({ keepAlive: true }, (req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, socket: req.socket });
    const a = answer(req, requests);
    if (a === 'drop') return void req.socket.destroy();
    const [status, body] = a;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', () => connections++);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    get connections() {
      return connections;
    },
    close: () => new Promise((r) => server.close(r).closeAllConnections()),
  };
}

/** Well-formed answers from one counter: each range after the last. */
function counter(start) {
  let next = BigInt(start);
  return (req) => {
    const step = BigInt(new URL(req.url, 'http://x').searchParams.get('step'));
    const s = next;
    next += step;
    return [200, JSON.stringify({ start: String(s), end: String(s + step) })];
  };
}

/** A port nobody listens on (bound, then released). */
async function closedPortUrl() {
  const s = createTcpServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

const refused = (code, cls, words) => (e) => {
  assert.equal(e.code, code, e.message);
  assert.ok(e instanceof cls, `${e.constructor.name}: ${e.message}`);
  if (words) assert.match(e.message, words);
  return true;
};

test('url is checked; one that could hold a secret is refused without echoing it', () => {
  for (const [url, code, cls, words] of [
    [undefined, 'invalid_type', TypeError, /^url must be a string, got undefined/],
    [5, 'invalid_type', TypeError, /^url must be a string, got number/],
    ['127.0.0.1:8080', 'invalid_argument', RangeError, /^url must be http:\/\//],
    ['ftp://127.0.0.1', 'invalid_argument', RangeError, /^url must be http:\/\//],
    ['http://', 'invalid_argument', RangeError, /^url must be http:\/\//],
    ['http://127.0.0.1:99999', 'invalid_argument', RangeError, /^url must be http:\/\//],
    ['http://[::1', 'invalid_argument', RangeError, /^url must be http:\/\//],
    ['http://127.0.0.1/a b', 'invalid_argument', RangeError, /without spaces/],
    ['http://hôte.example', 'invalid_argument', RangeError, /^url must be ASCII/],
    ['http://127.0.0.1/\ud800', 'invalid_argument', RangeError, /^url must be ASCII/],
  ]) {
    assert.throws(() => remoteSource(url, 'orders'), refused(code, cls, words), String(url));
  }
  for (const [url, words] of [
    [`http://user:${SECRET}@127.0.0.1`, /must not hold credentials/],
    [`http://${SECRET}@127.0.0.1`, /must not hold credentials/],
    [`http://127.0.0.1/?token=${SECRET}`, /must not have a query/],
    [`http://127.0.0.1/#${SECRET}`, /must not have a query or a fragment/],
    ['http://127.0.0.1/?', /must not have a query/],
  ]) {
    assert.throws(() => remoteSource(url, 'orders'), (e) => refused('invalid_argument', RangeError, words)(e) && !e.message.includes(SECRET));
  }
});

test("tag follows the core's biz_tag rules and its error names tag", () => {
  for (const [tag, code, cls, words] of [
    [undefined, 'invalid_type', TypeError, /^tag must be a string, got undefined$/],
    [7, 'invalid_type', TypeError, /^tag must be a string, got number$/],
    ['', 'invalid_argument', RangeError, /^tag must be 1 to 128 characters of A-Z a-z 0-9 _ \. - :, got 0 characters$/],
    ['t'.repeat(129), 'invalid_argument', RangeError, /^tag must be 1 to 128 characters .*, got 129 characters$/],
    ['a/b', 'invalid_argument', RangeError, /^tag must be .*, got U\+002F at character 1$/],
    ['{x}', 'invalid_argument', RangeError, /^tag must be .*, got U\+007B at character 0$/],
    ['é', 'invalid_argument', RangeError, /^tag must be .*, got U\+00E9 at character 0$/],
  ]) {
    assert.throws(() => remoteSource('http://127.0.0.1:8080', tag), refused(code, cls, words), String(tag));
  }
  const source = remoteSource('http://127.0.0.1:8080', 'A-z_0.9:x' + 't'.repeat(119));
  assert.equal(source.bizTag, 'A-z_0.9:x' + 't'.repeat(119));
  assert.equal(source.url, 'http://127.0.0.1:8080');
});

test('token and timeoutMs are checked; the token is never shown', () => {
  for (const [token, code, cls, words] of [
    [5, 'invalid_type', TypeError, /^token must be a string, got number$/],
    [null, 'invalid_type', TypeError, /^token must be a string, got null$/],
    ['', 'invalid_argument', RangeError, /^token must be 1 to 4096 .*, got 0 characters$/],
    ['x'.repeat(4097), 'invalid_argument', RangeError, /got 4097 characters$/],
    ['ab cd', 'invalid_argument', RangeError, /at character 2$/],
    ['ab\r\nX-Injected: 1', 'invalid_argument', RangeError, /at character 2$/],
    ['tökén', 'invalid_argument', RangeError, /at character 1$/],
  ]) {
    assert.throws(
      () => remoteSource('http://127.0.0.1:8080', 'orders', { token }),
      (e) => refused(code, cls, words)(e) && !(typeof token === 'string' && token.length > 3 && e.message.includes(token)),
    );
  }
  for (const [timeoutMs, code] of [
    ['5', 'invalid_type'],
    [0, 'invalid_argument'],
    [1.5, 'invalid_argument'],
    [86_400_001, 'invalid_argument'],
    [NaN, 'invalid_argument'],
  ]) {
    assert.throws(() => remoteSource('http://127.0.0.1:8080', 'orders', { timeoutMs }), (e) => e.code === code && /^timeoutMs must be/.test(e.message));
  }
  assert.throws(() => remoteSource('http://127.0.0.1:8080', 'orders', null), refused('invalid_type', TypeError, /^options must be an object/));
});

test('step is checked before anything is sent', async () => {
  const p = await peer(counter(1));
  try {
    const source = remoteSource(p.url, 'orders');
    for (const [step, code] of [
      [0, 'invalid_argument'],
      [2 ** 40 + 1, 'invalid_argument'],
      [1.5, 'invalid_argument'],
      ['10', 'invalid_type'],
    ]) {
      await assert.rejects(source(step), (e) => e.code === code && /^step must be/.test(e.message));
    }
    assert.equal(p.requests.length, 0);
  } finally {
    await p.close();
  }
});

test("the request is the route's contract; one kept connection serves every call", async () => {
  const p = await peer(counter(100));
  try {
    const source = remoteSource(`${p.url}/prefix/`, 'billing:eu.v1-a_b', { token: SECRET });
    assert.deepEqual(await source(10), { start: 100n, end: 110n });
    for (let i = 0; i < 20; i++) await source(1);
    assert.deepEqual(await remoteSource(p.url, 'orders')(1), { start: 130n, end: 131n });
    const [first, , ...rest] = p.requests;
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/prefix/v1/segment/billing%3Aeu.v1-a_b/lease?step=10');
    assert.equal(first.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(rest.at(-1).url, '/v1/segment/orders/lease?step=1');
    assert.equal(rest.at(-1).headers.authorization, undefined);
    // Kept alive: 22 calls on at most 2 connections (undici frees a connection just after its
    // body ends, so a call made at once may open a second; then both are reused).
    assert.ok(p.connections <= 2, `${p.connections} connections`);
  } finally {
    await p.close();
  }
});

test('a connection closed under a request is sent once more on a new one, only once', async () => {
  // As a server's idle timeout closing a kept connection just as a call reuses it. Under fetch the
  // client cannot tell a kept connection from a new one: any connection closed unanswered is retried once.
  const answer = counter(5);
  const p = await peer((req, requests) => (requests.length === 2 ? 'drop' : answer(req)));
  try {
    const source = remoteSource(p.url, 'orders');
    assert.deepEqual(await source(2), { start: 5n, end: 7n });
    assert.deepEqual(await source(2), { start: 7n, end: 9n });
    assert.equal(p.requests.length, 3);
  } finally {
    await p.close();
  }
  const dropping = await peer(() => 'drop');
  try {
    await assert.rejects(remoteSource(dropping.url, 'orders')(2), refused('store_unavailable', Error, /: no answer: UND_ERR_SOCKET: other side closed$/));
    assert.equal(dropping.requests.length, 2);
  } finally {
    await dropping.close();
  }
});

test('no server is store_unavailable at once; a silent one within timeoutMs', async () => {
  const url = await closedPortUrl();
  const t0 = Date.now();
  await assert.rejects(remoteSource(url, 'orders')(10), refused('store_unavailable', Error, new RegExp(`^idloom-server ${url} \\(tag orders\\): no answer: ECONNREFUSED`)));
  assert.ok(Date.now() - t0 < 1000);
  const accepted = [];
  const silent = createTcpServer((socket) => accepted.push(socket)); // accepts, never answers
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const source = remoteSource(`http://127.0.0.1:${silent.address().port}`, 'orders', { timeoutMs: 300 });
    const t1 = Date.now();
    await assert.rejects(source(10), refused('store_unavailable', Error, /no answer within 300 ms \(timeoutMs\)$/));
    const took = Date.now() - t1;
    assert.ok(took >= 250 && took < 1500, `${took} ms`);
  } finally {
    for (const socket of accepted) socket.destroy();
    await new Promise((r) => silent.close(r));
  }
});

const MALFORMED = [
  [200, 'not json', /a malformed answer: the body is not a JSON object: "not json"$/],
  [200, '[1, 2]', /a malformed answer: the body is not a JSON object/],
  [200, '{"start": 1, "end": 11}', /a malformed answer: start must be a decimal string of a u64, got 1$/],
  [200, '{"start": "1"}', /a malformed answer: end must be a decimal string of a u64, got undefined$/],
  [200, '{"start": "-1", "end": "9"}', /start must be a decimal string/],
  [200, '{"start": " 1", "end": "11"}', /start must be a decimal string/],
  [200, '{"start": "18446744073709551616", "end": "18446744073709551626"}', /start must be a decimal string of a u64/],
  [200, '{"start": "5", "end": "10"}', /a malformed answer: the range \[5, 10\) is not the 10 counters asked for$/],
  [200, '{"start": "10", "end": "0"}', /the range \[10, 0\) is not the 10 counters/],
  [502, '<html>Bad Gateway</html>', /HTTP 502 without an idloom error: "<html>Bad Gateway<\/html>"$/],
  [500, '{"code": "no_such_code", "message": "x"}', /HTTP 500 without an idloom error/],
  [400, '{"code": "invalid_argument"}', /HTTP 400 without an idloom error/],
  [200, `{"start": "1", "end": "11", "pad": "${'x'.repeat(70_000)}"}`, /a malformed answer: HTTP 200 with a body over 65536 bytes$/],
];

test('an answer outside the contract is store_unavailable saying what was wrong', async () => {
  for (const [status, body, words] of MALFORMED) {
    const p = await peer(() => [status, body]);
    try {
      const source = remoteSource(p.url, 'orders');
      await assert.rejects(source(10), (e) => refused('store_unavailable', Error, words)(e) && e.message.startsWith(`idloom-server ${p.url} (tag orders): `));
      await assert.rejects(source(10), refused('store_unavailable', Error, words)); // the connection still serves, or was replaced
    } finally {
      await p.close();
    }
  }
});

test("every code an answer names is thrown as its class with the server's message", async () => {
  // The peer refuses with the code the tag names (codes are snake_case: valid tags).
  const p = await peer((req) => {
    const code = req.url.split('/')[3];
    return [418, JSON.stringify({ code, message: `as said: ${code}` })];
  });
  try {
    for (const { code, badInput } of errorCodes()) {
      const cls = code === 'invalid_type' ? TypeError : badInput ? RangeError : Error;
      await assert.rejects(remoteSource(p.url, code)(10), (e) => refused(code, cls)(e) && e.message === `as said: ${code}`);
    }
  } finally {
    await p.close();
  }
});

test('the largest counters pass exactly, as BigInts', async () => {
  const top = (1n << 64n) - 1n;
  const p = await peer(() => [200, JSON.stringify({ start: String(top - 7n), end: String(top) })]);
  try {
    assert.deepEqual(await remoteSource(p.url, 'orders')(7), { start: top - 7n, end: top });
  } finally {
    await p.close();
  }
});

test('a Segment over it: IDs from the ranges, events named by the tag', async () => {
  const p = await peer(counter(40));
  try {
    const ids = new Segment(remoteSource(p.url, 'named-tag'), { step: 4 });
    const fetched = [];
    ids.on('segment_fetched', (facts) => fetched.push(facts.detail));
    const got = [];
    for (let i = 0; i < 10; i++) got.push(await ids.nextAsync());
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => BigInt(40 + i)));
    assert.ok(fetched.length >= 3 && fetched.every((d) => d === 'named-tag'), String(fetched));
  } finally {
    await p.close();
  }
});

-- wrk script of server/bench/bench.py: the request method (IDLOOM_WRK_METHOD,
-- GET by default; the segment lease route is POST) and, when the run is done,
-- one JSON line with the counts and the latency percentiles in microseconds
-- (wrk's own report stops at p99; the p99.9 comes from here).
wrk.method = os.getenv("IDLOOM_WRK_METHOD") or "GET"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"mean_us":%.1f,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end

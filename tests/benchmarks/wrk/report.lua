-- done() hook shared by the benchmark's wrk scripts: one machine-readable line,
--   WRKJSON {"requests":…,"rps":…,"p50_ms":…,…,"status":…,"timeout":…}
-- parsed by tests/benchmarks/wrk.py. "status" counts responses with HTTP status > 399;
-- connect/read/write/timeout are socket errors. Nothing is hidden or filtered.
local M = {}

function M.done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end

return M

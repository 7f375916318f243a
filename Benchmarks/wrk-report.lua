-- wrk reporter: after the run prints one machine-readable line that the scripts parse:
-- WRK_RESULT <requests> <duration_us> <p50_us> <p90_us> <p99_us> <p99.9_us> <max_us> <socket_errors> <http_errors>
-- http_errors counts responses with status >= 400 (wrk's errors.status).
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %d %d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
      e.connect + e.read + e.write + e.timeout, e.status))
end

-- wrk script for the latency runs: prints one machine-readable line with percentiles in µs.
done = function(summary, latency, requests)
  io.write(string.format("LATENCY requests=%d p50=%d p99=%d p999=%d max=%d\n", summary.requests, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end

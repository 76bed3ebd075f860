-- wrk script for bench/serving: POSTs the JSON bodies of the file named by BENCH_BODIES (one per line,
-- cycled through), and prints the result as one JSON line prefixed with "RESULT " so the driver can parse
-- it out of wrk's own report. Latencies are in microseconds.
local prepared = {}
local next_index = 0

function init(args)
  local path = os.getenv("BENCH_BODIES")
  if path == nil then
    error("BENCH_BODIES is not set")
  end
  for line in io.lines(path) do
    if #line > 0 then
      prepared[#prepared + 1] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, line)
    end
  end
  if #prepared == 0 then
    error(path .. " holds no body")
  end
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "mean_us": %.1f, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end

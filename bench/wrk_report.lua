-- wrk script shared by every load row of bench/bench.py.
--
-- With WRK_PATHS set (a file with one request path per line), each thread walks the list round
-- robin from its own offset, so concurrent requests name different targets (as Prometheus
-- scraping many targets does). Without it wrk requests the URL given on the command line.
-- done() prints one line "WRK_JSON {...}" with exact latency percentiles (microseconds).

local paths = nil
local index = 0
local thread_counter = 0

local file = os.getenv("WRK_PATHS")
if file and file ~= "" then
  paths = {}
  for line in io.lines(file) do
    if line ~= "" then paths[#paths + 1] = line end
  end
end

function setup(thread)
  thread:set("offset", thread_counter * 7919)
  thread_counter = thread_counter + 1
end

function init(args)
  index = offset or 0
end

function request()
  if paths == nil then return wrk.format() end
  index = index + 1
  return wrk.format("GET", paths[(index % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean, e.connect,
    e.read, e.write, e.status, e.timeout))
end

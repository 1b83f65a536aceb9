-- wrk script for `make bench`: one method and path, the session's headers, and for a POST a
-- body whose "{id}" takes the next id of a list, so every request enrols a different student.
-- Configured by environment variables (set by benchmarks/load.py):
--   BENCH_METHOD, BENCH_PATH, BENCH_HEADERS (file: one "Name: value" a line),
--   BENCH_BODY (template, may contain {id}), BENCH_IDS (file: one id a line), BENCH_THREADS.
-- Prints one line "BENCH_RESULT {json}" with the counts and the latency percentiles (µs).

local threads = {}
local next_index = 0

function setup(thread)
   thread:set("thread_index", next_index)
   next_index = next_index + 1
   table.insert(threads, thread)
end

local function read_lines(path)
   local lines = {}
   if path == nil or path == "" then return lines end
   for line in io.lines(path) do
      if line ~= "" then table.insert(lines, line) end
   end
   return lines
end

function init(args)
   method = os.getenv("BENCH_METHOD") or "GET"
   path = os.getenv("BENCH_PATH") or "/"
   body_template = os.getenv("BENCH_BODY") or ""
   thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
   headers = {}
   for _, line in ipairs(read_lines(os.getenv("BENCH_HEADERS"))) do
      local name, value = line:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
   end
   ids = read_lines(os.getenv("BENCH_IDS"))
   position = thread_index + 1 -- this thread takes ids position, position + threads, ...
   s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
   if #ids == 0 then
      fixed = wrk.format(method, path, headers, body_template ~= "" and body_template or nil)
   end
end

function request()
   if fixed then return fixed end
   local id = ids[((position - 1) % #ids) + 1]
   position = position + thread_count
   local body = body_template:gsub("{id}", id)
   return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
   if status < 300 then s2xx = s2xx + 1
   elseif status < 400 then s3xx = s3xx + 1
   elseif status < 500 then s4xx = s4xx + 1
   else s5xx = s5xx + 1 end
end

function done(summary, latency, requests)
   local totals = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0}
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
      '"s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d, ' ..
      '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.timeout,
      totals.s2xx, totals.s3xx, totals.s4xx, totals.s5xx,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end

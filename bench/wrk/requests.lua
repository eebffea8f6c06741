-- wrk script of the `rest` scenario: every request from a list prepared by the harness, each
-- with its own user's access token.
--
--   wrk -t T -c C -d D -s bench/wrk/requests.lua URL -- FILE T [once]
--
-- FILE has one request per line: `METHOD PATH TOKEN [BODY]` (BODY, the rest of the line, is
-- sent as JSON). The requests are formatted once, in init(); request() only picks the next.
-- Thread k of T starts at line k*len/T and goes round robin, so the threads spread over the
-- whole list from the first second.
--
-- With `once` (seeding) thread k sends lines k, k+T, k+2T, ... exactly once each, then
-- GET /readyz (no side effect) until all of its lines are answered, prints
-- `{"thread_done": k}` and stops. Answers with a status other than 200/201 are counted as
-- `failed`. wrk itself runs until -d or SIGINT, which the harness sends once every thread is
-- done.
--
-- done() prints one JSON line (`{"wrk": ...}`) on stdout: requests, duration, bytes, socket
-- errors, statuses >= 400 (wrk's own count), latency percentiles in ms (after wrk's
-- coordinated-omission correction, as wrk prints them) and, with `once`, the lines to send,
-- answered and failed, over all threads.

local requests, next_index, mode = {}, 1, "cycle"
local threads = {}
local finished = false
-- Globals, so that done() can read them from each thread with thread:get().
answered, failed, to_send = 0, 0, 0

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function split_line(line)
  local method, path, token, body = line:match("^(%S+)%s+(%S+)%s+(%S+)%s*(.*)$")
  if not method then error("bad request line: " .. line) end
  return method, path, token, body
end

function init(args)
  local file, thread_count = args[1], tonumber(args[2])
  mode = args[3] or "cycle"
  seeding = mode == "once"
  local lines = {}
  for line in io.lines(file) do
    if line ~= "" then table.insert(lines, line) end
  end
  if #lines == 0 then error("no requests in " .. file) end
  local mine = {}
  if mode == "once" then
    for i = thread_index + 1, #lines, thread_count do table.insert(mine, lines[i]) end
  else
    local first = math.floor(thread_index * #lines / thread_count)
    for i = 0, #lines - 1 do table.insert(mine, lines[(first + i) % #lines + 1]) end
  end
  for _, line in ipairs(mine) do
    local method, path, token, body = split_line(line)
    local headers = {["Authorization"] = "Bearer " .. token}
    if body ~= "" then
      headers["Content-Type"] = "application/json"
    else
      body = nil
    end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  to_send = #requests
  idle_request = wrk.format("GET", "/readyz")
  -- wrk calls request() once in thread 0 right after init() to check it, and never sends
  -- what that call returns: it must not use up a line.
  checked = thread_index ~= 0
  if mode ~= "once" then response = nil end
end

function request()
  if not checked then
    checked = true
    return idle_request
  end
  if mode == "once" then
    if next_index > to_send then return idle_request end
    local r = requests[next_index]
    next_index = next_index + 1
    return r
  end
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

-- Only with `once` (init() clears it otherwise, so wrk skips parsing the answers).
function response(status, headers, body)
  if status == 201 then
    answered = answered + 1
  elseif status ~= 200 then
    answered = answered + 1
    failed = failed + 1
  end
  -- 200 is /readyz (or a send answered as a retry, which the lines never are).
  if answered == to_send and not finished then
    finished = true
    io.write('{"thread_done":' .. thread_index .. '}\n')
    io.stdout:flush()
    wrk.thread:stop()
  end
end

local function json_number(v)
  return string.format("%.3f", v)
end

function done(summary, latency, _)
  local e = summary.errors
  local parts = {
    '"requests":' .. summary.requests,
    '"duration_s":' .. json_number(summary.duration / 1e6),
    '"bytes":' .. summary.bytes,
    '"errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write ..
      ',"timeout":' .. e.timeout .. ',"status":' .. e.status .. '}',
    '"latency_ms":{"min":' .. json_number(latency.min / 1e3) .. ',"mean":' .. json_number(latency.mean / 1e3) ..
      ',"p50":' .. json_number(latency:percentile(50) / 1e3) .. ',"p90":' .. json_number(latency:percentile(90) / 1e3) ..
      ',"p99":' .. json_number(latency:percentile(99) / 1e3) .. ',"p999":' .. json_number(latency:percentile(99.9) / 1e3) ..
      ',"max":' .. json_number(latency.max / 1e3) .. '}',
  }
  if threads[1]:get("seeding") then
    local sent, got, bad = 0, 0, 0
    for _, t in ipairs(threads) do
      sent = sent + t:get("to_send")
      got = got + t:get("answered")
      bad = bad + t:get("failed")
    end
    table.insert(parts, '"lines":' .. sent .. ',"answered":' .. got .. ',"failed":' .. bad)
  end
  io.write('{"wrk":{' .. table.concat(parts, ",") .. '}}\n')
end

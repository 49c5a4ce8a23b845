-- wrk -s requests.lua: GET requests with a session cookie, the paths taken in turn (from a random
-- start per thread) from the file PATHS (one path with its query string a line, already URL-encoded).
--   PATHS=paths.txt COOKIE=... wrk -t2 -c8 -d10s --latency -s requests.lua http://127.0.0.1:3902
-- Prints one parseable line at the end:
--   RESULT rps=... p50_ms=... p99_ms=... max_ms=... requests=... non2xx=... socket_errors=...
-- non2xx is wrk's count of responses with a status >= 400; a redirect (303 to /signin) is counted
-- as bad too, by the response() hook below, so a lost session cannot pass for fast answers.
local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    io.stderr:write("wrk script: environment variable " .. name .. " is not set\n")
    os.exit(2)
  end
  return v
end

local paths = {}
for line in io.lines(need("PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local cookie = "__Host-tobira_session=" .. need("COOKIE")
local i = 0
local redirects = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status >= 300 and status < 400 then redirects = redirects + 1 end
end

function done(summary, latency, requests)
  local r = 0
  for _, t in ipairs(threads) do r = r + (t:get("redirects") or 0) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d non2xx=%d redirects=%d socket_errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, r, e.connect + e.read + e.write + e.timeout))
end

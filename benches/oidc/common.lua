-- Shared by token.lua and introspect.lua (wrk 4 scripts): HTTP Basic client authentication from
-- CLIENT_ID / CLIENT_SECRET, and one parseable summary line at the end of a run:
--   RESULT rps=... p50_ms=... p99_ms=... requests=... non2xx=... socket_errors=... [inactive=...]
-- non2xx is wrk's own count of responses with a status >= 400 ("Non-2xx or 3xx responses");
-- socket_errors adds up connect, read, write and timeout errors.
local M = {}

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function M.base64(s)
  return ((s:gsub(".", function(c)
    local b, r = c:byte(), ""
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

-- RFC 6749 2.3.1: client_id and secret are form-urlencoded before they are joined.
function M.formencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function M.need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    io.stderr:write("wrk script: environment variable " .. name .. " is not set\n")
    os.exit(2)
  end
  return v
end

function M.basic()
  local id, secret = M.need("CLIENT_ID"), M.need("CLIENT_SECRET")
  return "Basic " .. M.base64(M.formencode(id) .. ":" .. M.formencode(secret))
end

function M.result(summary, latency, extra)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d socket_errors=%d%s\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, extra or ""))
end

return M

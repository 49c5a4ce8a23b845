-- wrk -s introspect.lua: RFC 7662 introspection of one token (env TOKEN), HTTP Basic client auth.
--   CLIENT_ID=bench CLIENT_SECRET=... TOKEN=... wrk -t2 -c64 -d10s --latency -s introspect.lua URL
-- Unless CHECK=0, every 2xx answer's body is read and one without "active": true is counted as
-- inactive= in the RESULT line (a token the server does not know still answers 200).
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
wrk.body = "token=" .. common.formencode(common.need("TOKEN"))
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = common.basic()

local check = os.getenv("CHECK") ~= "0"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

inactive = 0

if check then
  function response(status, headers, body)
    if status >= 200 and status < 300 and not body:find('"active"%s*:%s*true') then
      inactive = inactive + 1
    end
  end
end

function done(summary, latency, requests)
  if not check then
    common.result(summary, latency, " inactive=unchecked")
    return
  end
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("inactive") end
  common.result(summary, latency, string.format(" inactive=%d", n))
end

-- wrk -s token.lua: client_credentials token requests, HTTP Basic client authentication.
--   CLIENT_ID=bench CLIENT_SECRET=... wrk -t2 -c64 -d10s --latency -s token.lua http://127.0.0.1:3900/token
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = common.basic()

function done(summary, latency, requests)
  common.result(summary, latency)
end

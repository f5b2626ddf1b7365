-- wrk script for bench.ingest: POSTs Segment track calls with a unique messageId each.
--
--   wrk -t1 -c64 -d10s --latency -s ingest.lua URL -- MODE PREFIX AUTH [BATCH_SIZE]
--
-- MODE is "track" (one event per request) or "batch" ({"batch":[...]} of BATCH_SIZE events).
-- Every request gets a fresh counter value, so messageIds are PREFIX<thread>-<n> (track) or
-- PREFIX<thread>-<n>-<k> (batch, k = 1..BATCH_SIZE): server-side dedup never hides a store,
-- and bench.ingest can look every generated messageId up in the events table afterwards.
-- AUTH is the whole Authorization header value, or "-" for none.
-- done() prints one line "BENCH-RESULT {json}" that bench/ingest/wrk.py parses.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

-- ~300 bytes of properties, like a typical e-commerce track call.
local PROPERTIES = '{"plan":"enterprise","revenue":129.99,"currency":"USD","sku":"SKU-0001-XL",'
   .. '"category":"Benchmarks","label":"switchboard ingest benchmark","coupon":"WINTER-2026",'
   .. '"quantity":3,"referrer":"https://example.com/pricing?utm_source=bench&utm_medium=cpc",'
   .. '"note":"lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod"}'
local CONTEXT = '{"library":{"name":"bench.ingest","version":"1.0.0"},"locale":"en-US"}'
local TIMESTAMP = '"2026-11-22T10:00:00.000Z"'

function init(args)
   mode = args[1] or "track"
   prefix = (args[2] or "b") .. tostring(tid) .. "-"
   local auth = args[3] or "-"
   batch_size = tonumber(args[4] or "100")
   counter = 0
   path = mode == "batch" and "/v1/batch" or "/v1/track"
   headers = { ["Content-Type"] = "application/json" }
   if auth ~= "-" then
      headers["Authorization"] = auth
   end
end

local function event(n, with_type, message_id)
   return '{' .. (with_type and '"type":"track",' or '')
      .. '"userId":"user-' .. tostring(n % 1000) .. '","event":"Bench Event",'
      .. '"properties":' .. PROPERTIES .. ',"context":' .. CONTEXT
      .. ',"timestamp":' .. TIMESTAMP .. ',"messageId":"' .. message_id .. '"}'
end

function request()
   counter = counter + 1
   local body
   if mode == "batch" then
      local items = {}
      for k = 1, batch_size do
         items[k] = event(counter, true, prefix .. counter .. "-" .. k)
      end
      body = '{"batch":[' .. table.concat(items, ",") .. ']}'
   else
      body = event(counter, false, prefix .. counter)
   end
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   local generated = {}
   for i, thread in ipairs(threads) do
      generated[i] = tostring(thread:get("counter") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"duration_us":%d,"requests":%d,"bytes":%d,"generated":[%s],'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
      summary.duration, summary.requests, summary.bytes, table.concat(generated, ","),
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max))
end

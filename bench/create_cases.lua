-- wrk script for bench/api.py: POST /api/v1/cases with a fresh Idempotency-Key on every request, counting any
-- answer but 201. Arguments (after --): the token secret, the order id, and a run tag that keeps keys unique.
local threads = {}

function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  secret, order, tag = args[1], args[2], args[3]
  sent, failures, first_failure = 0, 0, ""
  wrk.method = "POST"
  wrk.path = "/api/v1/cases"
  headers = {["Authorization"] = "Bearer " .. secret, ["Content-Type"] = "application/json"}
end

function request()
  sent = sent + 1
  local key = tag .. "-" .. number .. "-" .. sent
  headers["Idempotency-Key"] = key  -- wrk.format takes the whole header table, not additions to wrk.headers
  local body = '{"order": ' .. order .. ', "kind": "other", "subject": "Bench create ' .. key .. '", "body": "Where is my parcel?"}'
  return wrk.format(nil, nil, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
  end
  io.write(string.format("wrk: requests=%d seconds=%.3f failures=%d p50_ms=%.1f p99_ms=%.1f first_failure=%s\n",
    summary.requests, summary.duration / 1e6, failed, latency:percentile(50) / 1000, latency:percentile(99) / 1000, first))
end

-- Refresh grants under wrk (bench/workers.ts): each answer's refresh token is the next request's,
-- so every chain rotates as a client's would, at wrk's cost per request instead of node's.
--
--   wrk -t<n> -c<n × k> -s bench/refresh-chains.lua <issuer>/token -- <file> <n>
--
-- <file>: the Authorization header on its first line, then one fresh refresh token per line (a
-- file, not argv, for the client secret). Thread i of n takes the tokens i, i + n, … as its pool.
-- wrk asks a connection's next request only after handing its answer to response(), so a thread
-- never takes a token whose chain is still in flight. The chains that are in flight when the run
-- ends are left mid-rotation: the bench brings fresh ones to every run.
--
-- A refused grant loses its chain (wrk counts it as a non-2xx answer), and so does a 200 without a
-- refresh or an ID token (a grant signs two tokens on either server): done() prints their count as
-- "Script errors: <count>".

local threads = {}
local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

local pool, first, last = {}, 1, 0
errors = 0 -- global, for done()

function init(args)
  local file = assert(io.open(args[1], "r"))
  local stride = tonumber(args[2])
  wrk.method = "POST"
  wrk.headers["Authorization"] = file:read("*l")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  local n = 0
  for token in file:lines() do
    if n % stride == index then
      last = last + 1
      pool[last] = token
    end
    n = n + 1
  end
  file:close()
end

-- wrk calls request() once on its first thread right after init(), before any connection, to
-- count the requests it returns (script_verify_request in wrk.c): that call takes no chain.
local counting = true

function request()
  if first > last then error("every refresh chain of this thread was lost") end
  local token = pool[first]
  if counting and index == 0 then
    counting = false
  else
    pool[first] = nil
    first = first + 1
  end
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local token = status == 200 and body:find('"id_token":"', 1, true) and body:match('"refresh_token":"([^"]+)"')
  if token then
    last = last + 1
    pool[last] = token
  elseif status == 200 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("errors") end
  io.write(string.format("Script errors: %d\n", total))
end

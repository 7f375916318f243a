-- wrk script for a bounded run: with one thread (-t 1), stops after REQUESTS responses (env), so a run is a
-- number of requests, not a duration (-d is only the upper bound); then wrk-report.lua's line.
-- wrk sleeps out -d whatever its threads do, but SIGINT ends that sleep and still reports: the script
-- sends it to wrk itself. The requests still in flight on the other connections are dropped, so the
-- server may serve up to -c more than were counted: count on the server's side where it matters.
local ffi = require("ffi")
ffi.cdef[[
int getpid(void);
int kill(int pid, int sig);
]]
local SIGINT = 2

function init(args)
   limit = tonumber(os.getenv("REQUESTS") or "1000")
   responses = 0
end

function response(status, headers, body)
   responses = responses + 1
   if responses == limit then
      wrk.thread:stop()
      ffi.C.kill(ffi.C.getpid(), SIGINT)
   end
end

dofile(os.getenv("BENCH_DIR") .. "/wrk-report.lua")

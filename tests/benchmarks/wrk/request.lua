-- One request, repeated: WRK_METHOD (GET), WRK_BODY_FILE (the exact body to send, e.g. a
-- GraphQL JSON document; optional), WRK_CONTENT_TYPE (application/json with a body).
--   WRK_METHOD=POST WRK_BODY_FILE=body.json wrk -s request.lua http://127.0.0.1:8000/graphql
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local handle = assert(io.open(body_file, "rb"))
  wrk.body = handle:read("*a")
  handle:close()
  wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end
wrk.method = os.getenv("WRK_METHOD") or (wrk.body and "POST" or "GET")
wrk.headers["Accept"] = "application/json"

done = report.done

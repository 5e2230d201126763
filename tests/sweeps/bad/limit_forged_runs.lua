-- expect: limit_forged_runs.lua:6: memory limit exceeded (256 MiB): 100000 runs take
-- 100000 runs are 234 MiB of C structures in the loader, outside Lua's allocator: they
-- count against the same 256 MiB as what the config builds.
local r = {}
for i = 1, 100000 do r[i] = { seed = i, note = ("x"):rep(200) .. i } end
return { runs = r }

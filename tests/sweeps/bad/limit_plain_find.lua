-- expect: limit_plain_find.lua:5: instruction limit exceeded
-- A plain find is O(subject * pattern) in C: 16 MiB x 4 KiB per call, in a loop.
local s = ("a"):rep(1 << 24)
local p = ("a"):rep(1 << 12) .. "b"
for _ = 1, 1e6 do s:find(p, 1, true) end

-- expect: limit_table_shift.lua:5: instruction limit exceeded
-- Each insert/remove at the front moves a million elements in C for a few instructions.
local t = {}
for i = 1, 1e6 do t[i] = i end
for i = 1, 1e8 do table.insert(t, 1, i); table.remove(t, 1) end

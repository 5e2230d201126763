-- expect: limit_rep_empty.lua: the config must return a table (sweep{...}), got string
-- Lua's string.rep copies an empty string 10^15 times; here "" comes back at once.
local s = string.rep("", 1e15)
return s

-- expect: err_error_level0.lua:3: no position in this message
local function check() return false end
if not check() then error("no position in this message", 0) end

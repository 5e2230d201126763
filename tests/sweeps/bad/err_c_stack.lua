-- expect: err_c_stack.lua:2: C stack overflow
local function f() return string.gsub("x", "x", f) end
f()

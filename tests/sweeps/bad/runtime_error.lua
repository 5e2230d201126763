-- expect: runtime_error.lua:3: attempt to index a nil value
local t = nil
return t.x

-- expect: limit_gc_finalizer.lua:3: setmetatable: __gc (finalizers) is not available
-- Finalizers run with the hooks off (and at lua_close): this one would hang every load.
setmetatable({}, { __gc = function() while true do end end })
return sweep{}

-- expect: limit_xpcall_handler.lua:3: instruction limit exceeded
-- Lua runs a message handler with the hooks off when the hook raised the error.
xpcall(function() while true do end end, function() while true do end end)

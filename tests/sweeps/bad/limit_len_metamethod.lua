-- expect: limit_len_metamethod.lua:5: instruction limit exceeded
-- __len = 2^50 and C metamethods: table.move loops 2^50 times without the VM.
local mt = { __len = function() return 2^50 end, __index = rawlen, __newindex = rawequal }
local t = setmetatable({}, mt)
table.move(t, 1, #t, 2)

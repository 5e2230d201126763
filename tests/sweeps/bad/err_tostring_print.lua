-- expect: err_tostring_print.lua:3: raised with level 0
-- An error from a __tostring that print() calls, raised without a position.
print(setmetatable({}, { __tostring = function() error("raised with level 0", 0) end }))

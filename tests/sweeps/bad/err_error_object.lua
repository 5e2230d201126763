-- expect: err_error_object.lua:4: error object is a table value
-- An error value with a __tostring that fails: never called, the line is still named.
local e = setmetatable({}, { __tostring = function() error("in __tostring") end })
error(e)

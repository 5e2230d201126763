-- expect: err_load_binary.lua:3: attempt to load a binary chunk
-- assert raises load's message as it is, without a position.
assert(load("\27Lua\84\0"))

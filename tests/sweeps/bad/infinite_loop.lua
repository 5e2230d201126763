-- expect: infinite_loop.lua:2: instruction limit exceeded
while true do end

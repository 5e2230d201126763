-- expect: huge_grid.lua:4: grid{...} makes 1000000 runs; the limit is 100000
local v = {}
for i = 1, 100 do v[i] = i end
return sweep{ runs = grid{ a = v, b = v, c = v } }

-- expect: err_error_level2.lua:2: level 2 points at the loader
error("level 2 points at the loader", 2)

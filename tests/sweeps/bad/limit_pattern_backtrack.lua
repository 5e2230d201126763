-- expect: limit_pattern_backtrack.lua:3: instruction limit exceeded
-- Exponential backtracking inside one C call, where the count hook never fires.
return ("a"):rep(30):find(("a*"):rep(30) .. "b")

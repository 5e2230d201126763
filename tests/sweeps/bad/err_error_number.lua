-- expect: err_error_number.lua:2: error object is a number value
error(42)

-- Helpers every sweep config sees (docs/config.md). Runs in the sandbox before the
-- config, as chunk "=prelude". Values are plain tables:
--   a bundle is a table of knob = value (a number, a string, or a function of the run);
--   a list is an array of bundles or scalars.
-- Every bundle a helper makes remembers where each field was set (file:line of the
-- helper call) under the key "__where", so that errors found later in C can name it.
-- The config runs after this chunk and may replace any global (error, pairs, string.match,
-- ...): the helpers use the copies taken here. None of their checks is a safety check:
-- the loader in C reads what the config returns as untrusted data and checks it again.
local getinfo, check_name, max_runs, config_path, config_text, knob_names = ...
local error, type, pairs, ipairs, next, select, tostring, tonumber, rawget, setmetatable =
    error, type, pairs, ipairs, next, select, tostring, tonumber, rawget, setmetatable
local string_find, string_gmatch, string_format = string.find, string.gmatch, string.format
local table_sort, table_concat = table.sort, table.concat
local math_type, math_floor, math_ceil, math_log, math_abs, math_exp =
    math.type, math.floor, math.ceil, math.log, math.abs, math.exp

--- has_knob("ptq"): whether this build knows a knob (configs can use newer knobs when present).
function has_knob(name) return knob_names[name] == true end

-- After a tail call (`return sweep{...}`) no frame holds the config's line; the first
-- line that assigns `key =` is then the best guess, else the file alone.
local function guess_where(key)
    if key then
        local line = 1
        for text in string_gmatch(config_text .. "\n", "([^\n]*)\n") do
            if string_find(text, "%f[%w_]" .. key .. "%s*=[^=]") or
                string_find(text, "%f[%w_]" .. key .. "%s*=$") then
                return config_path .. ":" .. line
            end
            line = line + 1
        end
    end
    return config_path
end

local function user_where(key)
    for level = 3, 60 do
        local info = getinfo(level, "Sl")
        if not info then break end
        if info.source ~= "=prelude" and info.currentline and info.currentline > 0 then
            return info.short_src .. ":" .. info.currentline
        end
    end
    return guess_where(key)
end

local function fail(where, msg) error(where .. ": " .. msg, 0) end

local function is_list(t)
    if type(t) ~= "table" then return false end
    local n = #t
    if n == 0 then return false end
    local count = 0
    for _ in pairs(t) do count = count + 1 end
    return count == n
end

local function is_bundle(t)
    if type(t) ~= "table" then return false end
    return not is_list(t) and next(t) ~= nil
end

local function sorted_keys(t, where, what)
    local keys = {}
    for k in pairs(t) do
        if type(k) ~= "string" then
            fail(where, what .. ": expected name = value fields, found a value at position " ..
                tostring(k))
        end
        if k ~= "__where" then keys[#keys + 1] = k end
    end
    table_sort(keys)
    return keys
end

local aliases = { D = "tokens" }

-- Copies field k = v into bundle b. A bundle value is merged (its key is only a label).
local function put(b, k, v, where, strict)
    if k == "__where" then return end
    k = aliases[k] or k
    if is_bundle(v) then
        local w = rawget(v, "__where") or {}
        for _, kk in ipairs(sorted_keys(v, where, "bundle '" .. k .. "'")) do
            put(b, kk, v[kk], w[kk] or where, strict)
        end
        return
    end
    if type(v) == "table" then
        if next(v) == nil then fail(where, "field '" .. k .. "' is an empty table") end
        fail(where, "field '" .. k .. "' is a list; put lists of values in grid{...} or zip{...}")
    end
    local w = rawget(b, "__where")
    if strict and b[k] ~= nil and b[k] ~= v then
        fail(where, "knob '" .. k .. "' is set twice in one run (" .. w[k] .. " and here)")
    end
    b[k] = v
    w[k] = where
end

local function new_bundle() return { __where = {} } end

local function axis_values(v, where, name)
    if is_list(v) then return v end
    if type(v) == "table" and next(v) == nil then
        fail(where, "'" .. name .. "' is empty: expected a list of values")
    end
    return { v }
end

local function check_count(count, where, what)
    if count > max_runs then
        fail(where, string_format("%s makes %.0f runs; the limit is %d", what, count, max_runs))
    end
end

--- grid{a = {...}, b = {...}}: every combination, the first key (sorted) outermost.
function grid(spec)
    local where = user_where()
    if type(spec) ~= "table" then fail(where, "grid{...}: expected a table of name = {values}") end
    local keys = sorted_keys(spec, where, "grid{...}")
    if #keys == 0 then fail(where, "grid{...} is empty") end
    local axes, count = {}, 1
    for i, k in ipairs(keys) do
        axes[i] = axis_values(spec[k], where, k)
        count = count * #axes[i]
        check_count(count, where, "grid{...}")
    end
    local out, idx = {}, {}
    for i = 1, #keys do idx[i] = 1 end
    while true do
        local run = new_bundle()
        for i, k in ipairs(keys) do put(run, k, axes[i][idx[i]], where, true) end
        out[#out + 1] = run
        local i = #keys
        while i >= 1 do
            idx[i] = idx[i] + 1
            if idx[i] <= #axes[i] then break end
            idx[i] = 1
            i = i - 1
        end
        if i == 0 then break end
    end
    return out
end

--- zip{a = {...}, b = {...}}: the i-th values together; lists of equal length.
function zip(spec)
    local where = user_where()
    if type(spec) ~= "table" then fail(where, "zip{...}: expected a table of name = {values}") end
    local keys = sorted_keys(spec, where, "zip{...}")
    if #keys == 0 then fail(where, "zip{...} is empty") end
    local n
    for _, k in ipairs(keys) do
        local len = #axis_values(spec[k], where, k)
        if n and len ~= n then
            fail(where, "zip{...}: '" .. k .. "' has " .. len .. " values, '" .. keys[1] ..
                "' has " .. n .. "; expected equal lengths")
        end
        n = len
    end
    check_count(n, where, "zip{...}")
    local out = {}
    for i = 1, n do
        local run = new_bundle()
        for _, k in ipairs(keys) do put(run, k, axis_values(spec[k], where, k)[i], where, true) end
        out[i] = run
    end
    return out
end

--- concat(list, list, ...): one list after the other.
function concat(...)
    local where = user_where()
    local out = {}
    for i = 1, select("#", ...) do
        local l = select(i, ...)
        if is_bundle(l) then l = { l } end
        if not is_list(l) then fail(where, "concat: argument " .. i .. " is not a list of runs") end
        for _, v in ipairs(l) do out[#out + 1] = v end
        check_count(#out, where, "concat(...)")
    end
    return out
end

local function round_sig(x, digits)
    if x == 0 then return 0 end
    local e = math_floor(math_log(math_abs(x), 10)) - digits + 1
    local r = math_floor(x / 10 ^ e + 0.5) * 10 ^ e
    if e >= 0 then return math_floor(r + 0.5) end
    return tonumber(string_format("%." .. (-e) .. "f", r))
end

local function check_range_args(where, name, a, b, n)
    if type(a) ~= "number" or type(b) ~= "number" then
        fail(where, name .. "(a, b, n): a and b must be numbers")
    end
    if math_type(n) ~= "integer" or n < 1 then
        fail(where, name .. "(a, b, n): n must be an integer >= 1, got " .. tostring(n))
    end
    check_count(n, where, name)
end

--- logspace(a, b, n): n values from a to b, equally spaced in log, 3 significant digits.
function logspace(a, b, n)
    local where = user_where()
    check_range_args(where, "logspace", a, b, n)
    if a <= 0 or b <= 0 then fail(where, "logspace(a, b, n): a and b must be > 0") end
    local out = {}
    for i = 0, n - 1 do
        local t = n == 1 and 0 or i / (n - 1)
        out[i + 1] = round_sig(math_exp(math_log(a) + t * (math_log(b) - math_log(a))), 3)
    end
    return out
end

--- linspace(a, b, n): n values from a to b, equally spaced.
function linspace(a, b, n)
    local where = user_where()
    check_range_args(where, "linspace", a, b, n)
    local out = {}
    for i = 0, n - 1 do
        local t = n == 1 and 0 or i / (n - 1)
        local v = a + t * (b - a)
        if math_type(a) == "integer" and math_type(b) == "integer" then v = math_floor(v + 0.5) end
        out[i + 1] = v
    end
    return out
end

local shape_keys = {
    d = "d_model", d_model = "d_model", l = "n_layer", n_layer = "n_layer", h = "n_head",
    n_head = "n_head", ffn = "ffn_hidden", ffn_hidden = "ffn_hidden", ctx = "ctx",
}

local function shape(entry, where)
    if not is_bundle(entry) then fail(where, "ladder: each shape is a table like {d=64, l=2, h=2}") end
    local b = new_bundle()
    local head_dim
    for _, k in ipairs(sorted_keys(entry, where, "ladder shape")) do
        local v = entry[k]
        if k == "head_dim" then
            head_dim = v
        elseif shape_keys[k] then
            put(b, shape_keys[k], v, where, true)
        else
            fail(where, "ladder: unknown shape field '" .. k ..
                "'; expected d, l, h, head_dim, ffn or ctx (or the knob names)")
        end
    end
    if head_dim ~= nil then
        if math_type(head_dim) ~= "integer" or head_dim < 1 then
            fail(where, "ladder: head_dim must be a positive integer")
        end
        local d = b.d_model
        if math_type(d) ~= "integer" or d % head_dim ~= 0 then
            fail(where, "ladder: head_dim " .. head_dim .. " does not divide d = " .. tostring(d))
        end
        put(b, "n_head", d // head_dim, where, true)
    end
    return b
end

--- ladder{{d=64, l=2, h=2}, ...} or ladder{d={64, 128}, l={2, 4}, head_dim=32}: model shapes.
function ladder(spec)
    local where = user_where()
    if type(spec) ~= "table" then fail(where, "ladder{...}: expected a table") end
    local out = {}
    if is_list(spec) then
        for i, e in ipairs(spec) do out[i] = shape(e, where) end
        return out
    end
    local n
    for _, k in ipairs(sorted_keys(spec, where, "ladder{...}")) do
        if is_list(spec[k]) then
            if n and #spec[k] ~= n then fail(where, "ladder{...}: lists of different lengths") end
            n = #spec[k]
        end
    end
    n = n or 1
    check_count(n, where, "ladder{...}")
    for i = 1, n do
        local e = {}
        for k, v in pairs(spec) do e[k] = is_list(v) and v[i] or v end
        out[i] = shape(e, where)
    end
    return out
end

-- Precision constructors: format names per quantization point.
local points = { w = "w_quant", a = "a_quant", kv = "kv_quant", q = "q_quant" }
local grans = { w = "w_gran", a = "a_gran", kv = "kv_gran" }

local function precision(family, spec, where, name_of)
    if spec ~= nil and type(spec) ~= "table" then
        fail(where, family .. "{...}: expected a table like {w=4, a=8}")
    end
    spec = spec or {}
    local b = new_bundle()
    local set = {}
    for _, k in ipairs(sorted_keys(spec, where, family .. "{...}")) do
        local v = spec[k]
        if points[k] then
            local fmt
            if type(v) == "string" then
                fmt = v
            elseif math_type(v) == "integer" then
                fmt = name_of(v)
                if not fmt then
                    fail(where, family .. "{" .. k .. "=" .. v .. "}: no " .. family ..
                        " format of " .. v .. " bits")
                end
            else
                fail(where, family .. "{" .. k .. "=...}: expected bits (an integer) or a format name, got " ..
                    type(v) .. " " .. tostring(v))
            end
            put(b, points[k], fmt, where, true)
            set[#set + 1] = k
        elseif k == "gran" then
            -- applied below to the points this constructor sets
        elseif k == "backward" then
            put(b, "backward", v, where, true)
        else
            local known = false
            for _, g in pairs(grans) do if g == k then known = true end end
            for _, p in pairs(points) do if p == k then known = true end end
            if not known then
                fail(where, family .. "{...}: unknown field '" .. k ..
                    "'; expected w, a, kv, q, gran, backward or a *_quant/*_gran knob")
            end
            put(b, k, v, where, true)
        end
    end
    if spec.gran ~= nil then
        for _, k in ipairs(set) do
            if grans[k] then put(b, grans[k], spec.gran, where, true) end
        end
    end
    return b
end

-- The format each constructor picks for a bit count, e.g. format_bits.fp[4] == "e2m1".
-- The build replaces the next line with the table generated from the C format table
-- (engine/quant/qformat.c, the prelude column; scripts/prelude_formats.c).
local format_bits = {} -- @FORMAT_BITS@

local function bits_of(family)
    local names = format_bits[family] or {}
    return function(b) return names[b] end
end

--- int{w=4, a=8, kv=4}: symmetric integer formats (bits 1..16).
function int(spec) return precision("int", spec, user_where(), bits_of("int")) end
--- fp{w="e2m1", a="e4m3"} or fp{w=4}: minifloat formats.
function fp(spec) return precision("fp", spec, user_where(), bits_of("fp")) end
--- mx{w="mxfp4"} or mx{w=4}: OCP microscaling formats.
function mx(spec) return precision("mx", spec, user_where(), bits_of("mx")) end
--- nvfp{w=4, a=4}: NVFP4.
function nvfp(spec) return precision("nvfp", spec, user_where(), bits_of("nvfp")) end
--- quest{w=4, a=4}: QuEST (Hadamard + Gaussian clipping, trust-masked gradients).
function quest(spec) return precision("quest", spec, user_where(), bits_of("quest")) end
--- bf16(), fp32(): weights, activations and KV cache all in that format.
function bf16() return precision("bf16", { w = "bf16", a = "bf16", kv = "bf16" }, user_where()) end
function fp32() return precision("fp32", { w = "fp32", a = "fp32", kv = "fp32" }, user_where()) end

--- ptq{"rtn", "gptq", bits = {3, 4, 5, 6}}: post-training quantization after the run.
function ptq(spec)
    local where = user_where()
    if type(spec) ~= "table" then fail(where, "ptq{...}: expected a table like {\"gptq\", bits={3,4}}") end
    local methods, bits = {}, {}
    for i, m in ipairs(spec) do
        if type(m) ~= "string" then fail(where, "ptq{...}: method " .. i .. " is not a string") end
        methods[i] = m
    end
    for i, b in ipairs(spec.bits or {}) do
        if math_type(b) ~= "integer" or b < 1 or b > 16 then
            fail(where, "ptq{bits=...}: bits must be integers in 1..16, got " .. tostring(b))
        end
        bits[i] = tostring(b)
    end
    local b = new_bundle()
    if #methods > 0 then put(b, "ptq", table_concat(methods, ","), where, true) end
    if #bits > 0 then put(b, "ptq_bits", table_concat(bits, ","), where, true) end
    return b
end

-- cooldown{} parents are labelled cooldown1, cooldown2, ... in the order they are made.
local cooldowns = 0
local cooldown_set = { schedule_tokens = true, ckpt_keep = true, branch_from = true, label = true,
    name = true, tokens_per_param = true }

-- Steps of a run of D tokens and its wsd decay start, as the engine counts them
-- (ceil(D / (batch ctx)), at least 1; steps - ceil(decay_frac steps), optimizer.c).
local function run_steps(D, r)
    local per = r.batch * r.ctx
    local n = (D + per - 1) // per
    if n < 1 then n = 1 end
    return n
end
local function decay_start(D, r)
    local n = run_steps(D, r)
    return n - math_ceil(r.decay_frac * n)
end

--- cooldown{model = ..., precision = ..., tokens = {D1, D2, ...}, decay_frac = 0.2}: per
--- combination of the other fields (axes, as in grid{}), one wsd run at the largest D, the
--- parent, trained from scratch and keeping its checkpoint where each shorter run's decay
--- starts (ckpt_keep), and the shorter runs as its cooldown branches (branch_from).
function cooldown(spec)
    local where = user_where()
    if type(spec) ~= "table" then
        fail(where, "cooldown{...}: expected a table like {model = ..., tokens = {D1, D2}}")
    end
    if spec.tokens ~= nil and spec.D ~= nil then fail(where, "cooldown{...}: give tokens or D, not both") end
    local tokens = spec.tokens
    if tokens == nil then tokens = spec.D end
    if not is_list(tokens) or #tokens < 2 then
        fail(where, "cooldown{...}: expected tokens = {D1, D2, ...}, at least two token counts")
    end
    local ds = {}
    for i, D in ipairs(tokens) do
        if type(D) ~= "number" or D ~= D // 1 or D < 1 then
            fail(where, "cooldown{tokens=...}: value " .. i .. " is not a whole number of tokens >= 1: " ..
                tostring(D))
        end
        ds[i] = math_floor(D)
    end
    table_sort(ds)
    for i = 2, #ds do
        if ds[i] == ds[i - 1] then fail(where, "cooldown{tokens=...}: " .. ds[i] .. " is given twice") end
    end
    local axes = {}
    for _, k in ipairs(sorted_keys(spec, where, "cooldown{...}")) do
        local kk = aliases[k] or k
        if cooldown_set[kk] then
            fail(where, "cooldown{...}: '" .. k .. "' is set by cooldown{} itself; give tokens = {...}")
        end
        if kk == "schedule" and spec[k] ~= "wsd" then
            fail(where, "cooldown{...}: branches need schedule = \"wsd\", not " .. tostring(spec[k]))
        end
        if kk ~= "tokens" then axes[k] = spec[k] end
    end
    local combos = next(axes) ~= nil and grid(axes) or { new_bundle() }
    local dmax, shorter = ds[#ds], {}
    for i = 1, #ds - 1 do shorter[i] = ds[i] end
    local function keep(r)
        local seen, steps = {}, {}
        for _, D in ipairs(shorter) do
            local S = decay_start(D, r)
            if S < 1 then
                error("cooldown{}: a run of " .. D .. " tokens has " .. run_steps(D, r) ..
                    " steps, all of them decaying (decay_frac " .. r.decay_frac ..
                    "): no step of it is its parent's; use more tokens", 0)
            end
            if not seen[S] then seen[S], steps[#steps + 1] = true, S end
        end
        table_sort(steps)
        return table_concat(steps, ",")
    end
    -- ten evaluations of the parent, as its default; a branch must have the parent's
    local function every(r)
        local n = run_steps(dmax, r) // 10
        if n < 1 then n = 1 end
        return n
    end
    local out = {}
    check_count(#combos * #ds, where, "cooldown{...}")
    for _, combo in ipairs(combos) do
        cooldowns = cooldowns + 1
        local label = "cooldown" .. cooldowns
        local w = rawget(combo, "__where") or {}
        for i, D in ipairs(ds) do
            local run = new_bundle()
            for _, k in ipairs(sorted_keys(combo, where, "cooldown{...}")) do
                put(run, k, combo[k], w[k] or where, true)
            end
            put(run, "tokens", D, where, true)
            put(run, "schedule", "wsd", where, true)
            put(run, "schedule_tokens", dmax, where, true)
            if run.eval_every == nil then put(run, "eval_every", every, where, true) end
            if i == #ds then
                put(run, "ckpt_keep", keep, where, true)
                put(run, "label", label, where, true)
            else
                put(run, "branch_from", "@" .. label, where, true)
            end
            out[#out + 1] = run
        end
    end
    return out
end

-- The sweeps sweep{} made (weak keys): a table returned as is only if it is one of them.
local made = setmetatable({}, { __mode = "k" })
local reserved = { name = true, runs = true, description = true }

--- sweep{name = "...", runs = grid{...}, knob = value, ...}: the value a config returns.
function sweep(spec)
    local where = user_where("runs")
    if type(spec) ~= "table" then fail(where, "sweep{...}: expected a table") end
    if made[spec] then return spec end
    local name = spec.name
    if name ~= nil and type(name) ~= "string" then fail(where, "sweep{name=...}: expected a string") end
    if name then
        local why, quoted = check_name(name)
        if why then fail(where, "sweep{name=...}: sweep name " .. quoted .. ": " .. why) end
    end
    local base = new_bundle()
    for _, k in ipairs(sorted_keys(spec, where, "sweep{...}")) do
        if not reserved[k] then put(base, k, spec[k], where == config_path and guess_where(k) or where, false) end
    end
    local runs = spec.runs
    if runs == nil then
        runs = { {} }
    elseif is_bundle(runs) then
        runs = { runs }
    elseif not is_list(runs) then
        fail(where, "sweep{runs=...}: expected a list of runs (grid{...}, zip{...}, {...})")
    end
    check_count(#runs, where, "sweep{runs=...}")
    local out = {}
    for i, r in ipairs(runs) do
        if type(r) ~= "table" then
            fail(where, "sweep{runs=...}: run " .. i .. " is a " .. type(r) .. ", expected a table")
        end
        local run = new_bundle()
        for _, k in ipairs(sorted_keys(base, where, "sweep{...}")) do
            put(run, k, base[k], base.__where[k], false)
        end
        local w = rawget(r, "__where") or {}
        for _, k in ipairs(sorted_keys(r, where, "run " .. i)) do
            put(run, k, r[k], w[k] or where, false)
        end
        out[i] = run
    end
    local s = { name = name, description = spec.description, runs = out, where = where }
    made[s] = true
    return s
end

-- Called by the loader on the config's return value.
return function(value)
    if type(value) ~= "table" then
        error("the config must return a table (sweep{...}), got " .. type(value), 0)
    end
    if made[value] then return value end
    if is_list(value) then return sweep { runs = value } end
    return sweep(value)
end

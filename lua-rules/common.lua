--[[---------------------------------------------------------------------------
 common.lua
     Helpers shared by every rule file: money in fen, the threshold-test
     engine, trace entries, the result builder and the accumulation of acts
     (interpretation Art. 16).

 Loaded first (see MANIFEST). The environment is frozen once loading ends,
 so everything here is created at load time; per-call functions only build
 the tables that end up in the result or its trace.

 Globals defined: yuan, common, OFFENSES.

 lua-rules/common.lua
-----------------------------------------------------------------------------]]

-- Amounts are integer fen (yuan * 100) everywhere: the host passes them so,
-- and the result's amount columns are fen too. yuan(200000) == 20000000.
function yuan(n)
    local fen = math.tointeger(n * 100)
    if fen == nil then
        error("yuan(" .. tostring(n) .. "): not a whole number of fen", 2)
    end
    return fen
end

common = {}

-- The offense modules register here, keyed by case.offense.
OFFENSES = {}

local floor = math.floor
local tointeger = math.tointeger

-------------------------------------------------------------------------------
-- Numbers
-------------------------------------------------------------------------------

-- Months are rounded half up (四舍五入). The national guideline does not
-- prescribe rounding (legal-rules 6.4); the epsilon keeps 2.5 - 1e-15 from
-- floating-point products (e.g. 7 * 0.7) on the intended side.
function common.round(x)
    return floor(x + 0.5 + 1e-9)
end

-- Integer arithmetic on facts that refuses to wrap around. Lua integers
-- wrap silently: two acts of 2^63 - 1 helped parties would sum to -2 and
-- fall below every threshold. Facts are never negative (the import refuses
-- them), so only the upper bound can be crossed; the case then becomes an
-- error naming what could not be computed.
local MAXINT = math.maxinteger

-- An error about the facts (error_kind data), not about the rules: raised
-- as a table that the program makes the case's error, of kind data, with
-- this message.
function common.data_error(msg)
    error({ data_error = msg }, 0)
end

function common.add(a, b, what)
    if b > 0 and a > MAXINT - b then
        common.data_error(what .. " is too large to compute (more than " .. MAXINT .. ")")
    end
    return a + b
end
local add = common.add

function common.mul(a, b, what)
    if a ~= 0 and b > MAXINT // a then
        common.data_error(what .. " is too large to compute (more than " .. MAXINT .. ")")
    end
    return a * b
end
local mul = common.mul

function common.clamp(x, lo, hi)
    if x < lo then return lo end
    if x > hi then return hi end
    return x
end

local function gcd(a, b)
    while b ~= 0 do a, b = b, a % b end
    return a
end

local function lcm(a, b)
    return a // gcd(a, b) * b
end

-- An amount in fen as the number of yuan shown in traces: an integer when
-- whole, otherwise a float with the fen as decimals.
function common.yuan_num(fen)
    if fen % 100 == 0 then return fen // 100 end
    return fen / 100
end
local yuan_num = common.yuan_num

-- "200000 yuan": for step names built at load time.
function common.fmt_yuan(fen)
    return tostring(yuan_num(fen)) .. " yuan"
end

-- Amount columns end in _yuan (case-interchange.md); their values are fen.
local function is_amount(name)
    return name:sub(-5) == "_yuan"
end
common.is_amount = is_amount

-------------------------------------------------------------------------------
-- Lists (small: linear scans beat a seen-set table at these sizes)
-------------------------------------------------------------------------------

function common.add_unique(list, s)
    for i = 1, #list do
        if list[i] == s then return end
    end
    list[#list + 1] = s
end
local add_unique = common.add_unique

function common.contains(list, s)
    for i = 1, #list do
        if list[i] == s then return true end
    end
    return false
end

-------------------------------------------------------------------------------
-- Threshold tests
--
-- A test is a static table built when an offense file loads:
--   cite   citation id (legal-rules 8.1), e.g. 'I2019:12.2'
--   step   what the trace calls it
--   kind   'ge'   met when ANY listed fact is >= its threshold (以上, CL 99)
--          'conv' proportional conversion (折算): met when no listed fact
--                 reaches its own threshold and sum(fact * L/thr) >= L,
--                 L = lcm of the thresholds (exact integer arithmetic:
--                 10*videos + other >= 2000; 100*a + 10*b + c >= 50000).
--                 When a single class reaches its own threshold the
--                 conversion is no basis (legal-rules 8.2: that class's own
--                 test is), but its converted total still measures the
--                 seriousness: its steps above L count for the base
--                 sentence, so that a larger count never weighs less.
--          'all'  met when EVERY listed fact reaches its threshold (a
--                 conjunction: "3 accounts and inflow over 300,000"); its
--                 steps are the fewest of any part
--          'flag' met when ANY listed boolean fact is true
--   facts  fact names read; thr, stepsz, amount: per fact
--   note   optional static note for the trace (UNVERIFIED points)
-- Tests built here read PARAMS only at construction (PARAMS loads after
-- this file but before the offense files that call the constructors).
-------------------------------------------------------------------------------

local function check_threshold(cite, v)
    if tointeger(v) == nil or v <= 0 then
        error(cite .. ": threshold must be a positive integer, got " .. tostring(v), 3)
    end
end

local function minor_factor()
    return PARAMS.leniency.minor_fact_factor
end

-- parts: { { fact, threshold [, increment step] }, ... }
function common.test_ge(cite, step, parts, note)
    local t = { cite = cite, step = step, kind = "ge", note = note,
                source = LAW.source_of(cite),
                facts = {}, thr = {}, stepsz = {}, amount = {}, minor_limit = {},
                trace_thr = {} }
    local k = minor_factor()
    for i, p in ipairs(parts) do
        check_threshold(cite, p[2])
        t.facts[i] = p[1]
        t.thr[i] = p[2]
        t.stepsz[i] = p[3] or p[2]
        t.amount[i] = is_amount(p[1])
        t.minor_limit[i] = p[2] * k
        t.trace_thr[p[1]] = t.amount[i] and yuan_num(p[2]) or p[2]
    end
    return t
end

-- parts as for test_ge; met only when every part reaches its threshold.
function common.test_all(cite, step, parts, note)
    local t = common.test_ge(cite, step, parts, note)
    t.kind = "all"
    return t
end

local NOTE_CONV_WEIGHS = "no basis: a class reaches its own threshold (legal-rules 8.2); "
    .. "the converted total still counts for the steps above the threshold"

-- parts: { { fact, threshold }, ... } of the classes converted into each other.
function common.test_conv(cite, step, parts, note)
    local t = { cite = cite, step = step, kind = "conv", note = note,
                source = LAW.source_of(cite),
                facts = {}, thr = {}, weight = {}, amount = {}, trace_thr = {} }
    local l = 1
    for _, p in ipairs(parts) do
        check_threshold(cite, p[2])
        l = lcm(l, p[2])
    end
    for i, p in ipairs(parts) do
        t.facts[i] = p[1]
        t.thr[i] = p[2]
        t.weight[i] = l // p[2]
        t.amount[i] = is_amount(p[1])
        t.trace_thr[p[1]] = t.amount[i] and yuan_num(p[2]) or p[2]
    end
    t.total = l
    t.minor_total = l * minor_factor()
    t.trace_thr.converted_total = l
    -- trace note when a class reaches its own threshold (static: no per-call strings)
    t.note_weighs = NOTE_CONV_WEIGHS
    return t
end

-- facts: { name, ... } of booleans.
function common.test_flag(cite, step, facts, note)
    local t = { cite = cite, step = step, kind = "flag", note = note,
                source = LAW.source_of(cite), facts = {}, amount = {} }
    for i, name in ipairs(facts) do
        t.facts[i] = name
        t.amount[i] = false
    end
    return t
end

-- Evaluate one test on a facts table (an act or the accumulated facts).
-- Returns met, steps, minor, value, weighs:
--   met    the test is met (a basis)
--   steps  whole increment steps above the threshold (for the base sentence)
--   minor  the test is numeric and its value stays below minor_fact_factor
--          times its threshold (for the leniency_candidate criterion)
--   value  the converted total of a 'conv' test, else nil
--   weighs steps and minor count for the seriousness: the test is met, or
--          it is a conversion whose total reaches the threshold although a
--          single class reaches its own (then that class's test is met and
--          the conversion is no basis, but the total is still the measure
--          of how far the facts go beyond the threshold)
local function eval_test(t, f)
    local kind, facts = t.kind, t.facts
    if kind == "ge" then
        local met, steps, minor = false, 0, true
        for j = 1, #facts do
            local v, thr = f[facts[j]], t.thr[j]
            if v >= thr then
                met = true
                local s = (v - thr) // t.stepsz[j]
                if s > steps then steps = s end
                if v >= t.minor_limit[j] then minor = false end
            end
        end
        return met, steps, minor, nil, met
    elseif kind == "all" then
        local steps, minor = nil, true
        for j = 1, #facts do
            local v, thr = f[facts[j]], t.thr[j]
            if v < thr then return false, 0, false, nil, false end
            local s = (v - thr) // t.stepsz[j]
            if steps == nil or s < steps then steps = s end
            if v >= t.minor_limit[j] then minor = false end
        end
        return true, steps or 0, minor, nil, true
    elseif kind == "conv" then
        local sum, single = 0, false
        for j = 1, #facts do
            local v = f[facts[j]]
            if v >= t.thr[j] then single = true end
            sum = add(sum, mul(v, t.weight[j], t.step), t.step)
        end
        if sum >= t.total then
            return not single, (sum - t.total) // t.total, sum < t.minor_total, sum, true
        end
        return false, 0, false, sum, false
    else
        for j = 1, #facts do
            if f[facts[j]] then return true, 0, false, nil, true end
        end
        return false, 0, false, nil, false
    end
end
common.eval_test = eval_test

-- The state of one evaluation of an offense's tests under the law of the
-- case (LAW.for_case) and one version of it. trace may be nil (quick
-- checks of single acts for accumulation need no trace).
function common.new_ev(trace, law, version)
    return {
        trace = trace,
        law = law,            -- the case's dates and the sources in force
        version = version,    -- the act-keyed version evaluated (LAW.versions)
        basis = {},           -- distinct cites of the tests met, in test order
        met = {},             -- the test tables met
        steps = 0,            -- max increment steps over the tests that weigh
        minor = true,         -- every test that weighs is numeric and below the minor limit
        any_assumed = false,  -- a fact read by a test was not recorded
        threshold_met = false,
        card_inflow = false,  -- DK2022:4 review rule (287-2 only)
        flags = {},           -- further review flags an offense's tests raise
    }
end

-- A trace entry for one fact read outside a test (a gate such as the
-- Art. 286-1 order and refusal, or the Art. 12 para 2 branch). Returns the
-- entry (nil without a trace) so the caller can add a note.
function common.trace_fact(ev, step, cite, name, value, assumed, note)
    if assumed and assumed[name] then ev.any_assumed = true end
    local trace = ev.trace
    if trace == nil then return nil end
    local e = { step = step, cite = cite, facts = { [name] = value }, result = value,
                note = note }
    if assumed and assumed[name] then e.assumed = { [name] = true } end
    trace[#trace + 1] = e
    return e
end

-- Run a list of tests: record the tests met in ev (and the seriousness of
-- every test that weighs, see eval_test), and one trace entry per test with
-- the facts it read, the thresholds, the result and, when some fact was not
-- recorded, the set of assumed facts (name -> true: trace tables keep string
-- keys only).
function common.run_tests(tests, f, assumed, ev)
    local trace = ev.trace
    local basis, met_list = ev.basis, ev.met
    local in_force = ev.law.in_force
    for i = 1, #tests do
        local t = tests[i]
        if not in_force[t.source] then
            -- a source not yet in force for this case (TF2021 for a case
            -- tried before its issue): not evaluated
            if trace then
                trace[#trace + 1] = { step = t.step, cite = t.cite, result = false,
                                      note = LAW.not_in_force_note(ev.law, t.source) }
            end
            goto continue
        end
        local met, steps, minor, value, weighs = eval_test(t, f)
        if met then
            met_list[#met_list + 1] = t
            add_unique(basis, t.cite)
        end
        if weighs then
            if steps > ev.steps then ev.steps = steps end
            if not minor then ev.minor = false end
        end
        local facts = t.facts
        local assumed_names
        if assumed then
            for j = 1, #facts do
                if assumed[facts[j]] then
                    ev.any_assumed = true
                    if trace then
                        assumed_names = assumed_names or {}
                        assumed_names[facts[j]] = true
                    end
                end
            end
        end
        if trace then
            local fv = {}
            for j = 1, #facts do
                local v = f[facts[j]]
                if t.amount[j] then v = yuan_num(v) end
                fv[facts[j]] = v
            end
            if value then fv.converted_total = value end
            trace[#trace + 1] = { step = t.step, cite = t.cite, facts = fv, result = met,
                                  threshold = t.trace_thr, assumed = assumed_names,
                                  note = (weighs and not met) and t.note_weighs or t.note }
        end
        ::continue::
    end
end

-- Append a free trace entry (nil-safe on the trace).
function common.trace_note(trace, step, cite, note, facts, result)
    if trace == nil then return nil end
    local e = { step = step, cite = cite, note = note, facts = facts, result = result }
    trace[#trace + 1] = e
    return e
end

-------------------------------------------------------------------------------
-- Result builder
-------------------------------------------------------------------------------

-- A fresh ok result with its list columns as empty arrays; common.finish
-- turns empty lists into nil (= empty cell).
function common.result_new(trace)
    return {
        status = "ok",
        review_flags = {},
        citations = {},
        trace = trace,
    }
end

-- kind: "legal" (the law excludes the case) or "data" (its facts cannot be
-- evaluated as given); the program classifies rule failures itself.
function common.error_result(msg, kind)
    return { status = "error", error = msg, error_kind = kind }
end

function common.flag(res, name)
    add_unique(res.review_flags, name)
end

function common.cite(res, id)
    add_unique(res.citations, id)
end

function common.finish(res)
    if res.threshold_basis and #res.threshold_basis == 0 then res.threshold_basis = nil end
    if #res.review_flags == 0 then res.review_flags = nil end
    if #res.citations == 0 then res.citations = nil end
    return res
end

-------------------------------------------------------------------------------
-- Accumulation (I2019:16; legal-rules 6.2 and 8.2)
-------------------------------------------------------------------------------

-- Accumulated facts are a plain table that fails loudly on a name the
-- offense did not declare, like an act does on an unknown column.
local STRICT_FACTS = {
    __index = function(_, k)
        error("unknown fact '" .. tostring(k) .. "' (not declared by the offense module)", 2)
    end,
}

-- The date `years` years before the date string d ('YYYY-MM-DD'); a
-- 29 February with no counterpart becomes 28 February (the period then ends
-- on the last day of that month). Result is a 'YYYY-MM-DD' string.
function common.years_before(d, years)
    local y, m, day = tonumber(d:sub(1, 4)), tonumber(d:sub(6, 7)), tonumber(d:sub(9, 10))
    y = y - years
    if m == 2 and day == 29 and not (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) then
        day = 28
    end
    return string.format("%04d-%02d-%02d", y, m, day)
end

-- Sum the declared counts and amounts, OR the declared booleans, of the
-- acts in `acts`. Returns the facts table and the set of names that were
-- not recorded in at least one of those acts.
function common.accumulate(off, acts)
    local f, assumed = {}, {}
    local sums, flags = off.sum_facts, off.flag_facts
    for i = 1, #sums do
        local name, s = sums[i], 0
        for k = 1, #acts do
            local a = acts[k]
            s = add(s, a[name], "the sum of " .. name .. " over the acts")
            if a.assumed[name] then assumed[name] = true end
        end
        f[name] = s
    end
    for i = 1, #flags do
        local name, v = flags[i], false
        for k = 1, #acts do
            local a = acts[k]
            if a[name] then v = true end
            if a.assumed[name] then assumed[name] = true end
        end
        f[name] = v
    end
    return setmetatable(f, STRICT_FACTS), assumed
end

-- luacheck configuration of the rule set: the globals the sandbox gives
-- (batch/rules/sandbox.c: safe_base, raw_wrappers, safe_libs minus `removed`) and
-- the ones each file of the MANIFEST defines for the files after it. Run by
-- scripts/lint (`make lint`, part of `make test`).
std = "sandbox"
stds.sandbox = {
    read_globals = {
        "assert", "error", "ipairs", "pairs", "pcall", "xpcall", "rawequal", "select",
        "tonumber", "tostring", "type", "_VERSION", "rawset", "rawget", "rawlen", "next",
        "getmetatable", "setmetatable", "log",
        string = { fields = { "byte", "char", "find", "format", "len", "lower", "rep",
                              "reverse", "sub", "upper" } },
        table = { fields = { "concat", "insert", "move", "remove", "sort", "unpack" } },
        math = { fields = { "abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge",
                            "log", "max", "maxinteger", "min", "mininteger", "modf", "pi",
                            "rad", "sin", "sqrt", "tan", "tointeger", "type", "ult",
                            "atan", "asin", "acos" } },
        utf8 = { fields = { "char", "charpattern", "codes", "codepoint", "len", "offset" } },
    },
}
max_line_length = 100

-- What each file defines (may set and read), in MANIFEST order; what earlier
-- files defined is read-only after them. OFFENSES is the registry each
-- offense file adds its entry to. common.lua's functions read PARAMS and
-- LAW when they are called, after params.lua and law.lua have run.
local order = { "common.lua", "params.lua", "law.lua", "art286_1.lua", "art287_1.lua",
                "art287_2.lua", "bx2025.lua",
                "measures.lua", "sentencing.lua", "evaluate.lua" }
local defined = {
    ["common.lua"] = { "common", "yuan", "OFFENSES" },
    ["params.lua"] = { "PARAMS" },
    ["law.lua"] = { "LAW", "title" },
    ["art286_1.lua"] = { "OFFENSES" },
    ["art287_1.lua"] = { "OFFENSES" },
    ["art287_2.lua"] = { "OFFENSES" },
    -- switched off in MANIFEST; when on, it amends LAW and wraps an offense
    ["bx2025.lua"] = { "OFFENSES", "LAW" },
    ["measures.lua"] = { "measures" },
    ["sentencing.lua"] = { "sentencing" },
    ["evaluate.lua"] = { "evaluate" },
}
local late = { ["common.lua"] = { "PARAMS", "LAW" } }
local earlier = {}
for _, f in ipairs(order) do
    local mine, ro = {}, {}
    for _, g in ipairs(defined[f]) do mine[g] = true end
    for _, g in ipairs(earlier) do
        if not mine[g] then ro[#ro + 1] = g end
    end
    for _, g in ipairs(late[f] or {}) do ro[#ro + 1] = g end
    files[f] = { globals = defined[f], read_globals = ro }
    for _, g in ipairs(defined[f]) do earlier[#earlier + 1] = g end
end

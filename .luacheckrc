-- luacheck configuration: `luacheck lua-rules/` from the repository root.
--
-- The rule files run in the host's sandbox (lua-rules/README.md): the Lua 5.4
-- base library without dofile, loadfile, load, require, collectgarbage and
-- print; string, table, math, utf8; and the host's log(). They share one
-- environment, so the globals each file defines are listed here; anything
-- else (io, os, debug, a typo) is reported.

stds.sentencer_rules = {
    read_globals = {
        "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
        "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable",
        "tonumber", "tostring", "type", "xpcall", "_VERSION", "warn",
        "string", "table", "math", "utf8",
        "log",  -- added by the host
    },
    globals = {
        -- defined at top level by the rule files, in MANIFEST order
        "yuan", "common", "OFFENSES",  -- common.lua
        "PARAMS",                      -- params.lua
        "measures",                    -- measures.lua
        "sentencing",                  -- sentencing.lua
        "evaluate",                    -- evaluate.lua (the entry point)
    },
}

files["lua-rules"] = {
    std = "sentencer_rules",
}

max_line_length = 100

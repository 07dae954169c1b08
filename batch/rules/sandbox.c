/*-------------------------------------------------------------------------
 * sandbox.c
 *     The rules' environment: safe libraries, bounded library calls, and
 *     the freezing of shared tables and upvalues (see sandbox.h).
 *
 * A frozen table keeps its identity (every reference to it sees the
 * change) but is emptied: its contents move to a backing table, and a new
 * metatable sends reads there (__index, __len, __pairs) and refuses
 * writes (__newindex). The raw functions that would get past the
 * metatable (rawset, rawget, rawlen, next, getmetatable, setmetatable) are
 * replaced by versions that know frozen tables. Three registry tables
 * record the freezing: proxy -> backing, backing -> proxy, proxy -> name.
 *
 * Longer than 600 lines on purpose: everything a hostile rule could use to
 * escape, stall or change another case is in this file, so that it is
 * reviewed (and attacked) as one piece.
 *
 * batch/rules/sandbox.c
 *-------------------------------------------------------------------------
 */
#include "sandbox.h"

#include "log.h"

#include <lauxlib.h>
#include <lualib.h>

#include <stdio.h>
#include <string.h>

#define REG_BACKING "sentencer.sandbox.backing" /* frozen table -> its contents */
#define REG_PROXY "sentencer.sandbox.proxy"     /* contents -> frozen table */
#define REG_NAME "sentencer.sandbox.name"       /* frozen table -> what the rules call it */
#define REG_ORIGMT "sentencer.sandbox.origmt"   /* frozen table -> its metatable before */
#define REG_UPVALS "sentencer.sandbox.upvals"   /* array of {fn, index, value, name} */

/* ----------------------------------------------------------------------
 * Library calls kept within bounds
 * ----------------------------------------------------------------------
 */

static int sandbox_log(lua_State *L)
{
    const char *msg = luaL_checkstring(L, 1);

    if (lua_toboolean(L, lua_upvalueindex(1)))
        log_line(LOG_PRIO_DEBUG, "rules: %s", msg); /* --verbose only */
    return 0;
}

/* Call the original function (upvalue 1) with the arguments on the stack;
 * nres results (LUA_MULTRET: all). */
static int call_original_n(lua_State *L, int nres)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, nres);
    return lua_gettop(L);
}

/* string.rep(s, n, sep): Lua's own loops n times even when the result is
 * empty, for ever with n = math.maxinteger, in C, out of every budget's
 * reach. A non-empty result is bounded by the memory cap instead. */
static int sandbox_rep(lua_State *L)
{
    size_t l, lsep;
    lua_Integer n = luaL_checkinteger(L, 2);

    luaL_checklstring(L, 1, &l);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1)); /* the library's rep */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* string.find(s, needle [, init]): plain search only, in linear time.
 * Lua patterns backtrack inside C ("a*a*...b" runs for ever), and Lua's
 * plain search compares the needle at every position (a 4 MB needle in
 * 8 MB runs for hours); glibc's memmem is linear in both lengths. */
static int sandbox_find(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    lua_Integer init = luaL_optinteger(L, 3, 1);
    const char *hit;

    /* Lua's posrelat: negative counts from the end, 0 and below -len are 1. */
    if (init < 0)
        init = init < -(lua_Integer)ls ? 1 : (lua_Integer)ls + init + 1;
    else if (init == 0)
        init = 1;
    if (init > (lua_Integer)ls + 1) {
        luaL_pushfail(L);
        return 1;
    }
    hit = lp == 0 ? s + init - 1 : memmem(s + init - 1, ls - (size_t)(init - 1), p, lp);
    if (!hit) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
    lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
    return 2;
}

/* The length of the table at idx, read once (a __len may answer anything,
 * and differently each time) and bounded: the table functions below walk
 * it in C, where only a call back into Lua lets the clock stop them. */
static lua_Integer bounded_len(lua_State *L, int idx, const char *fn)
{
    lua_Integer n;

    luaL_checktype(L, idx, LUA_TTABLE);
    n = luaL_len(L, idx);
    if (n < 0 || n > SANDBOX_TABLE_MAX)
        return luaL_error(L, "table.%s on a table of length %I: rules may walk at most %d elements",
                          fn, n, SANDBOX_TABLE_MAX);
    return n;
}

static void bounded_range(lua_State *L, lua_Integer first, lua_Integer last, const char *fn)
{
    if (last >= first && (lua_Unsigned)last - (lua_Unsigned)first >= SANDBOX_TABLE_MAX)
        luaL_error(L, "table.%s of elements %I to %I: rules may walk at most %d elements", fn,
                   first, last, SANDBOX_TABLE_MAX);
}

/* table.insert(t, [pos,] v), as ltablib.c's but with the length read once
 * and bounded. */
static int sandbox_insert(lua_State *L)
{
    lua_Integer e = bounded_len(L, 1, "insert") + 1; /* first empty element */
    lua_Integer pos;

    switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        for (lua_Integer i = e; i > pos; i--) {
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
        }
        break;
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

/* table.remove(t [, pos]), likewise. */
static int sandbox_remove(lua_State *L)
{
    lua_Integer size = bounded_len(L, 1, "remove");
    lua_Integer pos = luaL_optinteger(L, 2, size);

    if (pos != size)
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) {
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

/* table.move(a1, f, e, t [, a2]) over a bounded range. */
static int sandbox_move(lua_State *L)
{
    bounded_range(L, luaL_checkinteger(L, 2), luaL_checkinteger(L, 3), "move");
    return call_original_n(L, LUA_MULTRET);
}

/* table.concat(t [, sep [, i [, j]]]) over a bounded range; j given to
 * the original, so that it reads no length of its own. */
static int sandbox_concat(lua_State *L)
{
    lua_Integer i, j;

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_optstring(L, 2, "");
    i = luaL_optinteger(L, 3, 1);
    j = lua_isnoneornil(L, 4) ? bounded_len(L, 1, "concat") : luaL_checkinteger(L, 4);
    bounded_range(L, i, j, "concat");
    lua_settop(L, 2);
    lua_pushinteger(L, i);
    lua_pushinteger(L, j);
    return call_original_n(L, 1);
}

/* The comparison table.sort uses when a rule gives none: a call, so that
 * the clock can stop a sort between two comparisons (comparing long
 * strings in C costs time no hook sees). */
static int sandbox_lt(lua_State *L)
{
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

/* table.sort(t [, comp]) on at most SANDBOX_SORT_MAX elements. */
static int sandbox_sort(lua_State *L)
{
    lua_Integer n = luaL_len(L, 1);

    if (n > SANDBOX_SORT_MAX)
        return luaL_error(L, "table.sort of %I elements: rules may sort at most %d", n,
                          SANDBOX_SORT_MAX);
    lua_settop(L, 2);
    if (lua_isnil(L, 2)) {
        lua_pushcfunction(L, sandbox_lt);
        lua_replace(L, 2);
    }
    return call_original_n(L, 0);
}

/* xpcall(f, h, ...) calling h after the error has unwound: Lua calls a
 * message handler with hooks off when the error comes from the count hook,
 * so a looping handler would escape the budgets. */
static int sandbox_xpcall(lua_State *L)
{
    int n = lua_gettop(L);

    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkstack(L, n + 1, NULL);
    lua_pushboolean(L, 1); /* first result on success */
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L) - n; /* true, results */
    lua_pushvalue(L, 2);          /* ..., message, h */
    lua_insert(L, -2);            /* ..., h, message */
    lua_pcall(L, 1, 1, 0);        /* ..., handler result or its error */
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2; /* false, result */
}

/* ----------------------------------------------------------------------
 * Frozen tables: lookups
 * ----------------------------------------------------------------------
 */

/* Push REG[key at idx] (nil when absent, also before sandbox_open). [-0, +1] */
static int reg_get(lua_State *L, const char *reg, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, LUA_REGISTRYINDEX, reg) != LUA_TTABLE)
        return lua_type(L, -1); /* nil */
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    return lua_type(L, -1);
}

/* REG[key at k] = value at v. [-0, +0] */
static void reg_set(lua_State *L, const char *reg, int k, int v)
{
    k = lua_absindex(L, k);
    v = lua_absindex(L, v);
    lua_getfield(L, LUA_REGISTRYINDEX, reg);
    lua_pushvalue(L, k);
    lua_pushvalue(L, v);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* If the value at idx is a frozen table, replace it by its backing table
 * and return true. */
static bool to_backing(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        return false;
    if (reg_get(L, REG_BACKING, idx) != LUA_TTABLE) {
        lua_pop(L, 1);
        return false;
    }
    lua_replace(L, idx);
    return true;
}

void sandbox_contents(lua_State *L, int idx)
{
    to_backing(L, idx);
}

static int refuse_change(lua_State *L, int t, int k)
{
    const char *name;

    reg_get(L, REG_NAME, t);
    name = lua_tostring(L, -1);
    if (lua_type(L, k) == LUA_TSTRING)
        return luaL_error(L,
                          "rules may not change %s.%s: what the rule files define is shared by "
                          "every case and read-only while cases are evaluated",
                          name ? name : "?", lua_tostring(L, k));
    return luaL_error(L,
                      "rules may not change %s: what the rule files define is shared by every "
                      "case and read-only while cases are evaluated",
                      name ? name : "?");
}

/* __newindex of a frozen table; upvalue 1: its backing table, 2: whether
 * it is the environment (new names get the undeclared-global message). */
static int frozen_newindex(lua_State *L)
{
    if (lua_toboolean(L, lua_upvalueindex(2))) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
            return luaL_error(L,
                              "assignment to undeclared global '%s' (globals can only be defined "
                              "while the rule files load)",
                              luaL_optstring(L, 2, "?"));
        return luaL_error(L,
                          "rules may not change the global '%s': globals are read-only once the "
                          "rule files have loaded",
                          luaL_optstring(L, 2, "?"));
    }
    return refuse_change(L, 1, 2);
}

static int frozen_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

/* The iterator of a frozen table's pairs: next over the backing table
 * (upvalue 1), which the rules never get hold of: the state they see is the
 * frozen table. */
static int frozen_iter(lua_State *L)
{
    lua_settop(L, 2); /* state, key */
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs: upvalue 1 is the iterator above. */
static int frozen_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* __index of a frozen table whose metatable had an __index: its own
 * contents (upvalue 1) first, then the old __index (upvalue 2), called or
 * indexed with the frozen table, never with its contents, which a function
 * could otherwise write to. */
static int frozen_index(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));
    if (lua_type(L, -1) == LUA_TFUNCTION) {
        lua_insert(L, 1);
        lua_call(L, 2, 1);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    return 1;
}

/* ----------------------------------------------------------------------
 * Frozen tables: the raw functions
 * ----------------------------------------------------------------------
 */

/* Call the original function (upvalue 1) with the arguments as they are. */
static int call_original(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int sandbox_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (reg_get(L, REG_BACKING, 1) != LUA_TNIL) {
        lua_pop(L, 1);
        return refuse_change(L, 1, 2);
    }
    lua_pop(L, 1);
    return call_original(L);
}

/* rawget, rawlen, next: on a frozen table, its backing table. */
static int sandbox_through(lua_State *L)
{
    if (lua_gettop(L) >= 1)
        to_backing(L, 1);
    return call_original(L);
}

/* getmetatable: a frozen table shows its metatable from before; an object
 * whose metatable is the backing of a frozen table shows the frozen one. */
static int sandbox_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_type(L, 1) == LUA_TTABLE && reg_get(L, REG_BACKING, 1) != LUA_TNIL) {
        reg_get(L, REG_ORIGMT, 1);
        return 1;
    }
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1) && reg_get(L, REG_PROXY, 2) == LUA_TTABLE)
        return 1;
    lua_settop(L, 1);
    return call_original(L);
}

/* Fields a metatable may have (a copy is made of them, see below). */
#define METATABLE_FIELDS 64

/* setmetatable(t, mt): refused on a frozen t; a frozen mt is installed as
 * its backing table, which holds the metamethods (Lua reads them raw).
 * Refused: __gc, because Lua runs finalizers with hooks off (lgc.c, GCTM),
 * so a looping one would escape the budgets; and __mode, because clearing
 * a weak table is one step of the collector that no hook interrupts, and
 * quadratic for a chain of weak keys (60,000 keys: 40 s). An unfrozen mt is
 * installed as a copy of its fields now, so that neither can be added
 * later. */
static int sandbox_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (reg_get(L, REG_BACKING, 1) != LUA_TNIL) {
        lua_pop(L, 1);
        return refuse_change(L, 1, 0);
    }
    lua_pop(L, 1);
    lua_settop(L, 2);
    if (lua_type(L, 2) == LUA_TTABLE) {
        bool frozen = reg_get(L, REG_BACKING, 2) != LUA_TNIL;

        lua_pop(L, 1);
        to_backing(L, 2);
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in rules");
        lua_pop(L, 1);
        lua_pushliteral(L, "__mode");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "weak tables (__mode) are not allowed in rules");
        lua_pop(L, 1);
        if (!frozen) {
            int n = 0;

            lua_createtable(L, 0, 4); /* t, mt, copy */
            lua_pushnil(L);
            while (lua_next(L, 2)) { /* t, mt, copy, key, value */
                if (++n > METATABLE_FIELDS)
                    return luaL_error(L, "a metatable of more than %d fields", METATABLE_FIELDS);
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, 3);
            }
            lua_replace(L, 2);
        }
    }
    return call_original(L);
}

/* ----------------------------------------------------------------------
 * The environment
 * ----------------------------------------------------------------------
 */

static int env_index(lua_State *L)
{
    return luaL_error(L, "unknown global '%s'", luaL_optstring(L, 2, "?"));
}

/* Replace lib.name by a closure of fn over the original. [-0, +0] */
static void wrap(lua_State *L, int lib, const char *name, lua_CFunction fn)
{
    lua_getfield(L, lib, name);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, lib, name);
}

/* The libraries a rule may use (linit.c, cut down). */
static const luaL_Reg safe_libs[] = {
    {LUA_GNAME, luaopen_base},        {LUA_TABLIBNAME, luaopen_table},
    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL},
};

/* Base functions copied into the environment; everything else of _G stays
 * out. */
static const char *const safe_base[] = {
    "assert", "error",    "ipairs",   "pairs", "pcall",    "rawequal",
    "select", "tonumber", "tostring", "type",  "_VERSION", NULL,
};

/* Base functions replaced by versions that know frozen tables. */
static const struct {
    const char *name;
    lua_CFunction fn;
} raw_wrappers[] = {
    {"rawset", sandbox_rawset},
    {"rawget", sandbox_through},
    {"rawlen", sandbox_through},
    {"next", sandbox_through},
    {"getmetatable", sandbox_getmetatable},
    {"setmetatable", sandbox_setmetatable},
};

/* Library functions that are not offered. */
static const char *const removed[][2] = {
    /* patterns backtrack in C without bound (find stays, plain only) */
    {LUA_STRLIBNAME, "match"},
    {LUA_STRLIBNAME, "gmatch"},
    {LUA_STRLIBNAME, "gsub"},
    /* binary formats and bytecode: nothing a rule needs */
    {LUA_STRLIBNAME, "pack"},
    {LUA_STRLIBNAME, "unpack"},
    {LUA_STRLIBNAME, "packsize"},
    {LUA_STRLIBNAME, "dump"},
    /* a result must depend on the case alone */
    {LUA_MATHLIBNAME, "random"},
    {LUA_MATHLIBNAME, "randomseed"},
};

void sandbox_open(lua_State *L, bool log)
{
    for (const luaL_Reg *lib = safe_libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
        lua_getglobal(L, removed[i][0]);
        lua_pushnil(L);
        lua_setfield(L, -2, removed[i][1]);
        lua_pop(L, 1);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    wrap(L, lua_gettop(L), "rep", sandbox_rep);
    lua_pushcfunction(L, sandbox_find);
    lua_setfield(L, -2, "find");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    wrap(L, lua_gettop(L), "sort", sandbox_sort);
    wrap(L, lua_gettop(L), "move", sandbox_move);
    wrap(L, lua_gettop(L), "concat", sandbox_concat);
    lua_pushcfunction(L, sandbox_insert);
    lua_setfield(L, -2, "insert");
    lua_pushcfunction(L, sandbox_remove);
    lua_setfield(L, -2, "remove");
    lua_pop(L, 1);
    /* The string metatable ('s:find()') is reached by no rule: it would
     * let one case change every string's methods for the next. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    for (const char *reg[] = {REG_BACKING, REG_PROXY, REG_NAME, REG_ORIGMT, REG_UPVALS, NULL},
                    **r = reg;
         *r; r++) {
        lua_newtable(L);
        lua_setfield(L, LUA_REGISTRYINDEX, *r);
    }

    lua_newtable(L); /* env */
    for (int i = 0; safe_base[i]; i++) {
        lua_getglobal(L, safe_base[i]);
        lua_setfield(L, -2, safe_base[i]);
    }
    for (size_t i = 0; i < sizeof raw_wrappers / sizeof raw_wrappers[0]; i++) {
        lua_getglobal(L, raw_wrappers[i].name);
        lua_pushcclosure(L, raw_wrappers[i].fn, 1);
        lua_setfield(L, -2, raw_wrappers[i].name);
    }
    const char *const libs[] = {LUA_TABLIBNAME, LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
                                NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_setfield(L, -2, libs[i]);
    }
    lua_pushboolean(L, log);
    lua_pushcclosure(L, sandbox_log, 1);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, sandbox_xpcall);
    lua_setfield(L, -2, "xpcall");
    lua_newtable(L); /* metatable of env: reading an unknown global is an error */
    lua_pushcfunction(L, env_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0); /* setmetatable(_ENV, nil) must not undo that */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* ----------------------------------------------------------------------
 * Freezing
 * ----------------------------------------------------------------------
 */

/* Freezing walks breadth first from the environment, so that a table is
 * named by its shortest path ("PARAMS.fine", not "'T' (a variable of the
 * function at art287_2.lua:126).fine"); at each level tables go before
 * functions, so that a global name wins over an upvalue's. */
struct freeze {
    int seen;           /* stack index of a table: values already queued */
    int upseen;         /* stack index of a table: upvalue ids already recorded */
    int queue;          /* stack index of a table: array of {value, name} */
    int env;            /* the environment, frozen with the global messages */
    lua_Integer head;   /* next entry of the queue to process */
    lua_Integer tail;   /* entries queued */
    lua_Integer nupval; /* entries in REG_UPVALS */
};

/* Queue the value at idx under name unless it is no table or function, or
 * is queued already. [-0, +0] */
static void enqueue(lua_State *L, int idx, const char *name, struct freeze *fz)
{
    int t = lua_type(L, idx);

    idx = lua_absindex(L, idx);
    if (t != LUA_TTABLE && t != LUA_TFUNCTION)
        return;
    lua_pushvalue(L, idx);
    if (lua_rawget(L, fz->seen) != LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, fz->seen);
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, name);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, fz->queue, ++fz->tail);
}

/* Metamethods a frozen table keeps from its metatable before. */
static const char *const kept_events[] = {
    "__call", "__tostring", "__eq",  "__lt",   "__le",    "__concat", "__unm",  "__add",
    "__sub",  "__mul",      "__div", "__mod",  "__pow",   "__idiv",   "__band", "__bor",
    "__bxor", "__shl",      "__shr", "__bnot", "__close", "__name",   NULL,
};

static void freeze_table(lua_State *L, int t, const char *name, struct freeze *fz);

/* Queue the children of backing table b (tables first), named under name:
 * its values, and its keys that are tables or functions. */
static void enqueue_children(lua_State *L, int b, const char *name, struct freeze *fz)
{
    char child[256];

    for (int pass = 0; pass < 2; pass++) {
        lua_pushnil(L);
        while (lua_next(L, b)) {
            if (lua_type(L, -2) == (pass == 0 ? LUA_TTABLE : LUA_TFUNCTION)) {
                snprintf(child, sizeof child, "a key of %s", name[0] ? name : "_ENV");
                enqueue(L, -2, child, fz);
            }
            if (lua_type(L, -1) == (pass == 0 ? LUA_TTABLE : LUA_TFUNCTION)) {
                const char *dot = name[0] ? "." : "";
                if (lua_type(L, -2) == LUA_TSTRING)
                    snprintf(child, sizeof child, "%s%s%s", name, dot, lua_tostring(L, -2));
                else if (lua_isinteger(L, -2))
                    snprintf(child, sizeof child, "%s[%lld]", name,
                             (long long)lua_tointeger(L, -2));
                else
                    snprintf(child, sizeof child, "%s[?]", name);
                enqueue(L, -1, child, fz);
            }
            lua_pop(L, 1);
        }
    }
}

static void freeze_table(lua_State *L, int t, const char *name, struct freeze *fz)
{
    int b, m = 0, top = lua_gettop(L);
    bool is_env = lua_rawequal(L, t, fz->env);

    t = lua_absindex(L, t);
    if (reg_get(L, REG_BACKING, t) != LUA_TNIL) { /* frozen already */
        lua_settop(L, top);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L); /* backing */
    b = lua_gettop(L);
    reg_set(L, REG_BACKING, t, b);
    reg_set(L, REG_PROXY, b, t);
    lua_pushstring(L, name);
    reg_set(L, REG_NAME, t, -1);
    lua_pop(L, 1);
    /* Move the contents, then empty the table. */
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, b);
    }
    lua_pushnil(L);
    while (lua_next(L, b)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, t);
    }
    /* Globals are named by their own names, the rest by their path. */
    enqueue_children(L, b, is_env ? "" : name, fz);
    if (lua_getmetatable(L, t)) { /* ..., omt: frozen now, its backing is needed */
        int omt = lua_gettop(L);
        char child[256];
        snprintf(child, sizeof child, "the metatable of %s", name);
        lua_pushvalue(L, omt);
        lua_pushboolean(L, 1);
        lua_rawset(L, fz->seen);
        freeze_table(L, omt, child, fz);
        reg_set(L, REG_ORIGMT, t, omt);
        reg_get(L, REG_BACKING, omt); /* ..., omt, ob */
        m = lua_gettop(L);
        /* The environment's old __index only raises "unknown global": the
         * fast chain through its contents is safe there. */
        if (is_env) {
            lua_pushvalue(L, m);
            lua_setmetatable(L, b);
        }
    }
    lua_createtable(L, 0, 8); /* the new metatable */
    if (m) {
        for (int i = 0; kept_events[i]; i++) {
            lua_getfield(L, m, kept_events[i]);
            lua_setfield(L, -2, kept_events[i]);
        }
    }
    if (m && !is_env && lua_getfield(L, m, "__index") != LUA_TNIL) { /* ..., mt, old */
        lua_pushvalue(L, b);
        lua_insert(L, -2);
        lua_pushcclosure(L, frozen_index, 2);
    } else {
        if (m && !is_env)
            lua_pop(L, 1);
        lua_pushvalue(L, b);
    }
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, b);
    lua_pushboolean(L, is_env);
    lua_pushcclosure(L, frozen_newindex, 2);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, b);
    lua_pushcclosure(L, frozen_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushvalue(L, b);
    lua_pushcclosure(L, frozen_iter, 1);
    lua_pushcclosure(L, frozen_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, t);
    lua_settop(L, top);
}

/* Record the upvalues of the function at f and queue their values. */
static void freeze_function(lua_State *L, int f, const char *name, struct freeze *fz)
{
    lua_Debug ar;
    char where[160], child[256];
    const char *up;
    bool lua_fn;

    f = lua_absindex(L, f);
    lua_pushvalue(L, f);
    lua_getinfo(L, ">S", &ar);
    lua_fn = ar.what[0] != 'C';
    if (lua_fn)
        snprintf(where, sizeof where, "the function at %s:%d", ar.short_src, ar.linedefined);
    else
        snprintf(where, sizeof where, "%s", name);
    for (int i = 1; (up = lua_getupvalue(L, f, i)) != NULL; i++) { /* ..., value */
        int v = lua_gettop(L);

        snprintf(child, sizeof child, "'%s' (a variable of %s)", up[0] ? up : "?", where);
        if (lua_fn) {
            lua_pushlightuserdata(L, lua_upvalueid(L, f, i));
            if (lua_rawget(L, fz->upseen) == LUA_TNIL) {
                lua_pushlightuserdata(L, lua_upvalueid(L, f, i));
                lua_pushboolean(L, 1);
                lua_rawset(L, fz->upseen);
                /* REG_UPVALS[n] = {fn, i, value, name} */
                lua_getfield(L, LUA_REGISTRYINDEX, REG_UPVALS);
                lua_createtable(L, 4, 0);
                lua_pushvalue(L, f);
                lua_rawseti(L, -2, 1);
                lua_pushinteger(L, i);
                lua_rawseti(L, -2, 2);
                lua_pushvalue(L, v);
                lua_rawseti(L, -2, 3);
                lua_pushstring(L, child);
                lua_rawseti(L, -2, 4);
                lua_rawseti(L, -2, ++fz->nupval);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        enqueue(L, v, child, fz);
        lua_settop(L, v - 1);
    }
}

/* Under lua_pcall: memory errors while freezing are caught. */
static int freeze_protected(lua_State *L)
{
    struct freeze fz = {0};

    fz.env = 1;
    lua_newtable(L);
    fz.seen = lua_gettop(L);
    lua_newtable(L);
    fz.upseen = lua_gettop(L);
    lua_newtable(L);
    fz.queue = lua_gettop(L);
    enqueue(L, fz.env, "_ENV", &fz);
    while (fz.head < fz.tail) {
        lua_rawgeti(L, fz.queue, ++fz.head); /* entry */
        lua_rawgeti(L, -1, 1);               /* entry, value */
        lua_rawgeti(L, -2, 2);               /* entry, value, name */
        if (lua_type(L, -2) == LUA_TTABLE)
            freeze_table(L, -2, lua_tostring(L, -1), &fz);
        else
            freeze_function(L, -2, lua_tostring(L, -1), &fz);
        lua_pop(L, 3);
        lua_pushnil(L); /* let the queue entry go */
        lua_rawseti(L, fz.queue, fz.head);
    }
    return 0;
}

bool sandbox_freeze(lua_State *L, int env)
{
    env = lua_absindex(L, env);
    lua_pushcfunction(L, freeze_protected);
    lua_pushvalue(L, env);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        lua_pop(L, 1);
        return false;
    }
    return true;
}

/* rawequal, but NaN equals NaN: a variable holding 0/0 has not changed. */
static bool same_value(lua_State *L, int a, int b)
{
    if (lua_rawequal(L, a, b))
        return true;
    if (lua_type(L, a) == LUA_TNUMBER && lua_type(L, b) == LUA_TNUMBER && !lua_isinteger(L, a) &&
        !lua_isinteger(L, b)) {
        lua_Number x = lua_tonumber(L, a), y = lua_tonumber(L, b);
        return x != x && y != y; /* NOLINT(misc-redundant-expression): NaN test */
    }
    return false;
}

bool sandbox_shared_check(lua_State *L, char *msg, size_t len)
{
    bool same = true;
    lua_Integer n;

    lua_getfield(L, LUA_REGISTRYINDEX, REG_UPVALS); /* list */
    n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i); /* list, entry */
        lua_rawgeti(L, -1, 1); /* list, entry, fn */
        lua_rawgeti(L, -2, 2); /* ..., fn, index */
        int k = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getupvalue(L, -1, k); /* list, entry, fn, now */
        lua_rawgeti(L, -3, 3);    /* list, entry, fn, now, then */
        if (!same_value(L, -1, -2)) {
            if (same) {
                lua_rawgeti(L, -4, 4);
                snprintf(msg, len,
                         "rules changed %s, which every case shares: variables of the rule "
                         "files are read-only while cases are evaluated",
                         lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            same = false;
            lua_pushvalue(L, -1);
            lua_setupvalue(L, -4, k); /* put back */
        }
        lua_pop(L, 4); /* list */
    }
    lua_pop(L, 1);
    return same;
}

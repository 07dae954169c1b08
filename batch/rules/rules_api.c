/*-------------------------------------------------------------------------
 * rules_api.c
 *     What a rule sees and returns (see lua-rules/README.md):
 *
 *     case = { case_no, defendant_no, offense, acts = { act, ... } }
 *     act  = every column of cases.csv except actual_*; counts and ints as
 *            integers, amounts as integer fen, booleans, dates as
 *            'YYYY-MM-DD'; an unrecorded fact or circumstance is 0/false
 *            and named in act.assumed; other unrecorded columns are false.
 *            Reading a field an act does not have is an error.
 *
 *     evaluate(case) returns a table keyed by recommendations.csv columns
 *     (amounts in fen, lists as arrays of strings) plus `trace`, an array
 *     of tables that is stored as JSON.
 *
 * batch/rules/rules_api.c
 *-------------------------------------------------------------------------
 */
#include "rules_api.h"

#include "buf.h"
#include "sandbox.h"
#include "value.h"

#include <lauxlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unknown_fact(lua_State *L)
{
    return luaL_error(L, "unknown fact '%s'", luaL_optstring(L, 2, "?"));
}

static int unknown_case_field(lua_State *L)
{
    return luaL_error(L, "unknown case field '%s'", luaL_optstring(L, 2, "?"));
}

void rules_api_init(lua_State *L)
{
    /* __metatable: a case cannot reach these (shared) metatables and change
     * how the next case's facts read. */
    luaL_newmetatable(L, RULES_ACT_MT); /* mt */
    lua_pushcfunction(L, unknown_fact);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1); /* remove mt */
    luaL_newmetatable(L, RULES_CASE_MT);
    lua_pushcfunction(L, unknown_case_field);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

/* Push one act table. [-0, +1] */
static void push_act(lua_State *L, const struct act *a)
{
    lua_createtable(L, 0, F__COUNT + 1); /* act */
    lua_newtable(L);                     /* act, assumed */
    for (int f = 0; f < F__COUNT; f++) {
        const struct field_def *d = &case_fields[f];

        if (d->flags & FF_ACTUAL)
            continue;
        if (!a->present[f]) {
            if ((d->flags & (FF_FACT | FF_CIRC)) && d->type == FT_BOOL)
                lua_pushboolean(L, 0);
            else if (d->flags & (FF_FACT | FF_CIRC))
                lua_pushinteger(L, 0);
            else
                lua_pushboolean(L, 0);
            if (d->flags & (FF_FACT | FF_CIRC)) {
                lua_pushboolean(L, 1);
                lua_setfield(L, -3, d->name); /* assumed[name] = true */
            }
        } else {
            switch (d->type) {
            case FT_BOOL: lua_pushboolean(L, a->num[f] != 0); break;
            case FT_INT:
            case FT_COUNT:
            case FT_AMOUNT: lua_pushinteger(L, (lua_Integer)a->num[f]); break;
            default: lua_pushstring(L, a->text[f] ? a->text[f] : ""); break;
            }
        }
        lua_setfield(L, -3, d->name); /* act[name] = value */
    }
    lua_setfield(L, -2, "assumed"); /* act */
    luaL_setmetatable(L, RULES_ACT_MT);
}

void rules_api_push_case(lua_State *L, const struct charge *c)
{
    const struct act *first = &c->acts[0];

    lua_createtable(L, 0, 5); /* case */
    if (c->run_date > 0) {
        char day[16];

        value_format(FT_DATE, c->run_date, day, sizeof day);
        lua_pushstring(L, day);
    } else {
        lua_pushboolean(L, 0);
    }
    lua_setfield(L, -2, "run_date");
    lua_pushstring(L, first->text[F_CASE_NO]);
    lua_setfield(L, -2, "case_no");
    lua_pushstring(L, first->text[F_DEFENDANT_NO]);
    lua_setfield(L, -2, "defendant_no");
    lua_pushstring(L, first->text[F_OFFENSE]);
    lua_setfield(L, -2, "offense");
    lua_createtable(L, (int)c->n_acts, 0); /* case, acts */
    for (size_t i = 0; i < c->n_acts; i++) {
        push_act(L, &c->acts[i]); /* case, acts, act */
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "acts"); /* case */
    luaL_setmetatable(L, RULES_CASE_MT);
}

/* ----------------------------------------------------------------------
 * Reading the result
 * ----------------------------------------------------------------------
 */

/* Serialise the Lua value at idx as JSON (trace). Keys of objects are
 * sorted so that the same trace always gives the same text. The caps are
 * checked as the text grows, so that an oversized trace costs no more than
 * the cap to refuse (a table may be referenced many times). */
static bool to_json(lua_State *L, int idx, struct buf *b, int depth, char *msg, size_t len);

static bool too_big(const struct buf *b, char *msg, size_t len)
{
    if (b->len <= RULES_TRACE_MAX)
        return false;
    snprintf(msg, len,
             "trace: longer than %d KiB (keep the trace to the steps, facts and notes that "
             "explain the result)",
             RULES_TRACE_MAX / 1024);
    return true;
}

static bool oom(char *msg, size_t len)
{
    snprintf(msg, len, "out of memory reading the result");
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool table_to_json(lua_State *L, int idx, struct buf *b, int depth, char *msg, size_t len)
{
    lua_Integer n;
    size_t nkeys = 0;
    bool ok = true, in_range = true;

    sandbox_contents(L, idx); /* a table of the rule files, shown as it reads */
    n = (lua_Integer)lua_rawlen(L, idx);

    /* An array when its keys are exactly 1..n: as many keys, every one an
     * integer in that range (a border n with a hole below it and a string
     * key beside would otherwise pass, and lose the string key). */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n)
            in_range = false;
        if (++nkeys > RULES_TRACE_ENTRIES) {
            lua_pop(L, 1);
            snprintf(msg, len, "trace: a table of more than %d entries", RULES_TRACE_ENTRIES);
            return false;
        }
    }
    if (nkeys == 0)
        return buf_adds(b, "[]"); /* an empty trace is an empty array */
    if (n > 0 && (size_t)n == nkeys && in_range) {
        if (!buf_addc(b, '['))
            return oom(msg, len);
        for (lua_Integer i = 1; ok && i <= n; i++) {
            if (i > 1 && !buf_addc(b, ','))
                return oom(msg, len);
            lua_rawgeti(L, idx, i);
            ok = to_json(L, lua_gettop(L), b, depth + 1, msg, len);
            lua_pop(L, 1);
        }
        if (ok && !buf_addc(b, ']'))
            return oom(msg, len);
        return ok && !too_big(b, msg, len);
    }
    const char **keys = calloc(nkeys, sizeof *keys);
    size_t k = 0;
    if (!keys)
        return oom(msg, len);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1); /* keep key */
        if (lua_type(L, -1) != LUA_TSTRING) {
            snprintf(msg, len, "trace: table keys must be strings (got a %s)",
                     luaL_typename(L, -1));
            lua_pop(L, 1);
            free(keys);
            return false;
        }
        {
            size_t kl;
            const char *key = lua_tolstring(L, -1, &kl); /* anchored by the table */
            if (!utf8_valid(key, kl) || memchr(key, '\0', kl)) {
                snprintf(msg, len, "trace: a key is not valid UTF-8 text (or holds a NUL byte)");
                lua_pop(L, 1);
                free(keys);
                return false;
            }
            keys[k++] = key;
        }
    }
    qsort(keys, k, sizeof *keys, cmp_str);
    if (!buf_addc(b, '{'))
        ok = oom(msg, len);
    for (size_t i = 0; ok && i < k; i++) {
        if ((i > 0 && !buf_addc(b, ',')) || !buf_add_json_str(b, keys[i], strlen(keys[i])) ||
            !buf_addc(b, ':')) {
            ok = oom(msg, len);
            break;
        }
        if (too_big(b, msg, len)) {
            ok = false;
            break;
        }
        lua_pushstring(L, keys[i]);
        lua_rawget(L, idx);
        ok = to_json(L, lua_gettop(L), b, depth + 1, msg, len);
        lua_pop(L, 1);
    }
    free(keys);
    if (ok && !buf_addc(b, '}'))
        return oom(msg, len);
    return ok && !too_big(b, msg, len);
}

static bool to_json(lua_State *L, int idx, struct buf *b, int depth, char *msg, size_t len)
{
    if (depth > 8) {
        snprintf(msg, len, "trace: nested more than 8 levels deep");
        return false;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return buf_adds(b, "null") || oom(msg, len);
    case LUA_TBOOLEAN:
        return buf_adds(b, lua_toboolean(L, idx) ? "true" : "false") || oom(msg, len);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return buf_addi(b, (int64_t)lua_tointeger(L, idx)) || oom(msg, len);
        {
            double d = lua_tonumber(L, idx);
            char num[40];

            if (!isfinite(d))
                return buf_adds(b, "null") || oom(msg, len);
            /* The shortest form that reads back as the same number:
             * 199999.99, not 199999.98999999999. */
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(num, sizeof num, "%.*g", prec, d);
                if (strtod(num, NULL) == d)
                    break;
            }
            return buf_adds(b, num) || oom(msg, len);
        }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (b->len + n > RULES_TRACE_MAX) { /* refused before it is copied */
            struct buf would = {.len = b->len + n};
            return !too_big(&would, msg, len);
        }
        if (!utf8_valid(s, n) || memchr(s, '\0', n)) {
            snprintf(msg, len, "trace: a string is not valid UTF-8 text (or holds a NUL byte)");
            return false;
        }
        return (buf_add_json_str(b, s, n) || oom(msg, len)) && !too_big(b, msg, len);
    }
    case LUA_TTABLE: return table_to_json(L, idx, b, depth, msg, len);
    default:
        snprintf(msg, len, "trace: a %s value cannot be stored", luaL_typename(L, idx));
        return false;
    }
}

/* Join an array of strings with ';'. */
static bool read_list(lua_State *L, int idx, const char *name, struct buf *b, char *msg, size_t len)
{
    lua_Integer n;

    if (!lua_istable(L, idx)) {
        snprintf(msg, len, "'%s' must be an array of strings (got a %s)", name,
                 luaL_typename(L, idx));
        return false;
    }
    sandbox_contents(L, idx);
    n = (lua_Integer)lua_rawlen(L, idx);
    buf_reset(b);
    for (lua_Integer i = 1; i <= n; i++) {
        size_t sl;
        const char *s;

        lua_rawgeti(L, idx, i);
        if (lua_type(L, -1) != LUA_TSTRING) {
            snprintf(msg, len, "'%s'[%lld] must be a string (got a %s)", name, (long long)i,
                     luaL_typename(L, -1));
            lua_pop(L, 1);
            return false;
        }
        s = lua_tolstring(L, -1, &sl);
        if (b->len + sl + 1 > RULES_TEXT_MAX) {
            snprintf(msg, len, "'%s' is longer than %d bytes", name, RULES_TEXT_MAX);
            lua_pop(L, 1);
            return false;
        }
        if (sl == 0 || memchr(s, ';', sl) || memchr(s, '\0', sl) || !utf8_valid(s, sl)) {
            snprintf(msg, len, "'%s'[%lld] must be a non-empty UTF-8 string without ';' or NUL",
                     name, (long long)i);
            lua_pop(L, 1);
            return false;
        }
        if ((i > 1 && !buf_addc(b, ';')) || !buf_add(b, s, sl)) {
            lua_pop(L, 1);
            return oom(msg, len);
        }
        lua_pop(L, 1);
    }
    return true;
}

static bool read_field(lua_State *L, int vidx, int f, struct rec *out, struct buf *tmp, char *msg,
                       size_t len)
{
    const struct field_def *d = &rec_fields[f];
    int t = lua_type(L, vidx);

    switch (d->type) {
    case FT_BOOL:
        if (t != LUA_TBOOLEAN)
            break;
        rec_set_num(out, (enum rec_field)f, lua_toboolean(L, vidx));
        return true;
    case FT_COUNT:
    case FT_INT:
    case FT_AMOUNT: {
        int isint;
        lua_Integer v = lua_tointegerx(L, vidx, &isint);
        if (t != LUA_TNUMBER)
            break;
        if (!isint) {
            snprintf(msg, len, "'%s' must be a whole number (got %s)", d->name,
                     lua_tostring(L, vidx));
            return false;
        }
        if (v < 0 && d->type != FT_INT) {
            snprintf(msg, len, "'%s' must not be negative (got %lld)", d->name, (long long)v);
            return false;
        }
        rec_set_num(out, (enum rec_field)f, (int64_t)v);
        return true;
    }
    case FT_ENUM: {
        if (t != LUA_TSTRING)
            break;
        size_t vl;
        const char *v = lua_tolstring(L, vidx, &vl);
        int k = strlen(v) == vl ? enum_find(d->enum_values, v) : -1; /* a NUL cuts nothing */
        if (k < 0) {
            char shown[64];
            text_show(shown, sizeof shown, v, vl);
            snprintf(msg, len, "'%s' has an unknown value '%s'", d->name, shown);
            return false;
        }
        out->num[f] = k;
        return rec_set_text(out, (enum rec_field)f, d->enum_values[k]);
    }
    case FT_TEXT: {
        size_t sl;
        const char *s;
        if (t != LUA_TSTRING)
            break;
        s = lua_tolstring(L, vidx, &sl);
        if (sl > RULES_TEXT_MAX) {
            snprintf(msg, len, "'%s' is longer than %d bytes", d->name, RULES_TEXT_MAX);
            return false;
        }
        if (!utf8_valid(s, sl) || memchr(s, '\0', sl)) {
            snprintf(msg, len, "'%s' is not valid UTF-8 text (or holds a NUL byte)", d->name);
            return false;
        }
        return rec_set_text(out, (enum rec_field)f, s);
    }
    case FT_LIST:
        if (!read_list(L, vidx, d->name, tmp, msg, len))
            return false;
        return rec_set_text(out, (enum rec_field)f, tmp->data ? tmp->data : "");
    default: break;
    }
    snprintf(msg, len, "'%s' has the wrong type (got a %s)", d->name, luaL_typename(L, vidx));
    return false;
}

bool rules_api_read_rec(lua_State *L, int idx, bool trace, struct rec *out, char *msg, size_t len)
{
    struct buf tmp = {0};
    bool ok = true;

    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) {
        snprintf(msg, len, "evaluate() must return a table (got a %s)", luaL_typename(L, idx));
        return false;
    }
    sandbox_contents(L, idx);
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) { /* key, value */
        int f;
        const char *key;

        size_t kl = 0;

        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(msg, len, "result keys must be strings");
            ok = false;
        } else if ((key = lua_tolstring(L, -2, &kl)), strlen(key) != kl) {
            char shown[64];
            text_show(shown, sizeof shown, key, kl);
            snprintf(msg, len, "unknown result key '%s'", shown);
            ok = false;
        } else if (strcmp(key, "trace") == 0) {
            if (!trace) {
                /* not asked for: not read (a rule set may return one anyway) */
            } else if (!lua_istable(L, -1)) {
                snprintf(msg, len, "'trace' must be an array of tables");
                ok = false;
            } else {
                buf_reset(&tmp);
                ok = to_json(L, lua_gettop(L), &tmp, 0, msg, len);
                if (ok) {
                    free(out->trace_json);
                    out->trace_json = buf_take(&tmp);
                }
            }
        } else if ((f = rec_field_find(key)) < 0 || f == R_CASE_NO || f == R_DEFENDANT_NO ||
                   f == R_OFFENSE || f == R_RULE_SET) {
            char shown[64];
            text_show(shown, sizeof shown, key, kl);
            snprintf(msg, len, "unknown result key '%s'", shown);
            ok = false;
        } else {
            ok = read_field(L, lua_gettop(L), f, out, &tmp, msg, len);
        }
        lua_pop(L, 1); /* remove value, keep key */
    }
    if (!ok)
        lua_pop(L, 1); /* remove key */
    buf_fini(&tmp);
    if (!ok)
        return false;
    if (!out->present[R_STATUS]) {
        snprintf(msg, len, "'status' is missing");
        return false;
    }
    if (out->num[R_STATUS] == STATUS_ERROR && (!out->present[R_ERROR] || !out->text[R_ERROR][0])) {
        snprintf(msg, len, "status 'error' needs an 'error' message");
        return false;
    }
    if (out->num[R_STATUS] == STATUS_OK && (out->present[R_ERROR] || out->present[R_ERROR_KIND])) {
        snprintf(msg, len, "status 'ok' must not carry an 'error' or an 'error_kind'");
        return false;
    }
    return true;
}

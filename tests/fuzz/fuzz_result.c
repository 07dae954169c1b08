/*-------------------------------------------------------------------------
 * fuzz_result.c
 *     libFuzzer target of the reader of evaluate()'s result
 *     (rules_api_read_rec): the input bytes are decoded, deterministically,
 *     into a Lua value, which is read into a struct rec and checked.
 *
 * The decoder (below, "Decoding") builds what a rule could return and
 * worse: tables nested up to MAX_DEPTH, keyed by the real result fields,
 * "trace" and anything else; values of every type, extreme integers, NaN
 * and infinities, strings with bad UTF-8, NUL and ';'; functions; tables
 * with metatables (the sandbox offers setmetatable); and one table
 * referenced many times, or by itself.
 *
 * The checks, each with an id (fuzz_check.h); a broken one aborts, so
 * libFuzzer keeps the input, and so do a sanitizer report, a leak and a Lua
 * panic:
 *   - the stack is as it was ([-0, +0]);
 *   - no function of the result runs (a metamethod would run unprotected
 *     and outside the instruction budget);
 *   - false: msg is a non-empty UTF-8 string (it becomes the stored error);
 *   - true: status is ok or error, error present exactly with status
 *     error, no key field, every present field well-formed for its type,
 *     text and lists equal to the Lua strings they came from, trace NULL
 *     or valid JSON that PostgreSQL's jsonb accepts and that keeps every
 *     key of the trace's tables (a key it cannot hold must be refused).
 *
 * Only the API of rules_api.h and case.h is used (and sandbox_open, which
 * the reader needs first), so the target follows the reader through
 * rewrites.
 *
 * tests/fuzz/fuzz_result.c
 *-------------------------------------------------------------------------
 */
#include "case.h"
#include "fuzz_check.h"
#include "rules_api.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <lua.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest table nesting the decoder builds (the result is depth 0). */
#define MAX_DEPTH 10
/* Per input: bytes of long strings and array entries the decoder may
 * make, so that one input stays fast and small. */
#define BUDGET_BYTES ((size_t)256 * 1024)
#define BUDGET_ENTRIES ((size_t)20 * 1000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *id, const char *what, const char *detail)
{
    fuzz_broken("fuzz_result", id, what, detail);
}

/* Faults of the harness itself: never a known finding. */
static void harness_fault(const char *what)
{
    fprintf(stderr, "fuzz_result: harness: %s\n", what);
    abort();
}

/* ----------------------------------------------------------------------
 * Decoding
 * ----------------------------------------------------------------------
 */

struct src {
    const uint8_t *p;
    size_t n, pos;
    size_t bytes, entries; /* spent of the budgets */
    int pool;              /* stack index of the table of tables made so far */
    lua_Integer npool;
    /* The finding "trace-size" is known (FUZZ_KNOWN): the trace's JSON is
     * not capped, and a value referenced many times, or a cycle, makes it
     * exponential. Then refer to no earlier table and repeat a value at
     * most twice, and hunt for other bugs. */
    bool no_sharing;
};

/* Past the end, every byte reads as 0: nil values and empty tables, so
 * decoding always ends. */
static unsigned u8(struct src *s)
{
    return s->pos < s->n ? s->p[s->pos++] : 0;
}

static unsigned u16(struct src *s)
{
    unsigned hi = u8(s);

    return hi << 8 | u8(s);
}

static uint64_t u64(struct src *s)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | u8(s);
    return v;
}

/* Strings a rule may return, right and wrong; length given for the NULs. */
/* clang-format off */
#define W(lit) {(lit), sizeof(lit) - 1}
/* clang-format on */
static const struct word {
    const char *s;
    size_t len;
} words[] = {
    W("trace"),
    W("ok"),
    W("error"),
    W("with_or_alone"),
    W("fixed_term"),
    W("detention"),
    W("surveillance"),
    W("fine_only"),
    W("exempt"),
    W("refuse_netsec_duty"),
    W("illegal_use_network"),
    W("help_network_crime"),
    W("art287_2"),
    W(""),
    W(";"),
    W("a;b"),
    W("ok\0"),
    W("error\0ok"),
    W("\0"),
    W("\xff\xfe"),
    W("\xc0\x80"),
    W("\xed\xa0\x80"),
    W("\xe4\xb8"),
    W("帮信罪"),
    W("\"\\/\b\f\n\r\t\x01\x1f\x7f"),
    W("\\u0000"),
    W("1"),
    W("-1"),
    W("1.5"),
    W("nan"),
    W("9223372036854775808"),
    W("status"),
    W("__index"),
#undef W
};
#define NWORDS (sizeof words / sizeof words[0])

/* Push a field name of the result or a word. [-0, +1] */
static void push_word(lua_State *L, unsigned k)
{
    k %= R__COUNT + NWORDS;
    if (k < R__COUNT)
        lua_pushstring(L, rec_fields[k].name);
    else
        lua_pushlstring(L, words[k - R__COUNT].s, words[k - R__COUNT].len);
}

/* Up to 255 bytes of the input, as they are. [-0, +1] */
static void push_raw_string(lua_State *L, struct src *s)
{
    size_t len = u8(s);
    size_t avail = s->n - s->pos;

    if (len > avail)
        len = avail;
    lua_pushlstring(L, (const char *)s->p + s->pos, len);
    s->pos += len;
}

/* A long string: a word or a byte repeated, up to 64 KiB: past any cap on
 * a text the reader may have. [-0, +1] */
static void push_long_string(lua_State *L, struct src *s)
{
    size_t len = u16(s);
    unsigned what = u8(s);
    char *b;

    if (len > BUDGET_BYTES - s->bytes)
        len = BUDGET_BYTES - s->bytes;
    s->bytes += len;
    b = malloc(len ? len : 1);
    if (!b)
        harness_fault("out of memory");
    if (what < 128) {
        memset(b, (int)what, len); /* ASCII, including control characters */
    } else {
        const struct word *w = &words[what % NWORDS];

        if (w->len == 0)
            memset(b, 'x', len);
        else
            for (size_t i = 0; i < len; i++)
                b[i] = w->s[i % w->len];
    }
    lua_pushlstring(L, b, len);
    free(b);
}

static const lua_Integer int_edges[] = {
    0,
    1,
    -1,
    2,
    12,
    120,
    180,
    255,
    256,
    65535,
    65536,
    INT32_MAX,
    (lua_Integer)INT32_MAX + 1,
    INT32_MIN,
    (lua_Integer)INT32_MIN - 1,
    (lua_Integer)1 << 53,
    ((lua_Integer)1 << 53) + 1,
    LUA_MAXINTEGER,
    LUA_MAXINTEGER - 1,
    LUA_MININTEGER,
    LUA_MININTEGER + 1,
};

static const double float_edges[] = {
    0.0,
    -0.0,
    0.5,
    1.0,
    -1.0,
    3.0,
    1e15,
    1e300,
    -1e300,
    4.9e-324,
    9.2233720368547758e18,
    -9.2233720368547758e18,
    1.8446744073709552e19,
    12000.345,
};

/* True while rules_api_read_rec runs. */
static bool in_reader;

/* The functions of a result, also used as __index. The reader runs outside
 * lua_pcall and the instruction budget, so rule code it calls could abort
 * the run (a Lua panic) or loop for ever: calling one is a finding. */
static void metamethod_called(void)
{
    broken("metamethod", "the reader ran a function of the result (a metamethod)", NULL);
}

static int fn_error(lua_State *L)
{
    if (in_reader) {
        metamethod_called();
        return 0; /* a known finding: carry on without the panic */
    }
    return luaL_error(L, "fuzz_result: a function of the result raised an error");
}

static int fn_value(lua_State *L)
{
    if (in_reader)
        metamethod_called();
    lua_pushliteral(L, "from a function");
    return 1;
}

enum vtag {
    V_NIL,
    V_FALSE,
    V_TRUE,
    V_INT_SMALL,
    V_INT_RAW,
    V_INT_EDGE,
    V_FLOAT_RAW,
    V_FLOAT_EDGE,
    V_STR_RAW,
    V_STR_WORD,
    V_STR_LONG,
    V_TABLE,
    V_ARRAY,
    V_REF,
    V_WIDE,
    V_FUNCTION,
    V_META,
    V_USERDATA,
    V_THREAD,
    V__COUNT
};

static void push_value(lua_State *L, struct src *s, int depth);

/* Push a new table and remember it in the pool, so that later values can
 * refer to it (V_REF), itself included. [-0, +1] */
static void new_pooled_table(lua_State *L, struct src *s)
{
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawseti(L, s->pool, ++s->npool);
}

/* Push a key: mostly a result field name or "trace", sometimes anything.
 * [-0, +1] */
static void push_key(lua_State *L, struct src *s, int depth)
{
    unsigned k = u8(s);

    switch (k % 8) {
    case 0:
    case 1: lua_pushstring(L, rec_fields[u8(s) % R__COUNT].name); break;
    case 2: push_word(L, u8(s)); break;
    case 3: lua_pushliteral(L, "trace"); break;
    case 4: push_raw_string(L, s); break;
    case 5: lua_pushinteger(L, 1 + (lua_Integer)(u8(s) % 16)); break;
    case 6: push_value(L, s, depth + 1); break;
    default: { /* a field name and something after it: "status\0x", "statusx" */
        const char *name = rec_fields[u8(s) % R__COUNT].name;
        char tail[2] = {(char)u8(s), 0};

        lua_pushstring(L, name);
        lua_pushlstring(L, tail, 1);
        lua_concat(L, 2);
        break;
    }
    }
}

/* Fill the table on top with up to 15 key-value pairs. Keys Lua refuses
 * (nil, NaN) are skipped after decoding their value. [-0, +0] */
static void fill_table(lua_State *L, struct src *s, int depth)
{
    int t = lua_gettop(L);
    unsigned n = u8(s) % 16;

    for (unsigned i = 0; i < n; i++) {
        push_key(L, s, depth);
        push_value(L, s, depth + 1);
        if (lua_isnil(L, -2) ||
            (lua_type(L, -2) == LUA_TNUMBER && !lua_isinteger(L, -2) && isnan(lua_tonumber(L, -2))))
            lua_pop(L, 2);
        else
            lua_rawset(L, t);
    }
}

/* Push the value the input describes next. [-0, +1] */
static void push_value(lua_State *L, struct src *s, int depth)
{
    unsigned tag = u8(s) % V__COUNT;

    if (!lua_checkstack(L, 8))
        harness_fault("Lua stack exhausted");
    /* Too deep: no more nesting, but still a table sometimes (a known one). */
    if (depth >= MAX_DEPTH &&
        (tag == V_TABLE || tag == V_ARRAY || tag == V_WIDE || tag == V_META || tag == V_REF))
        tag = s->npool > 0 ? V_REF : V_NIL;

    switch ((enum vtag)tag) {
    case V_NIL: lua_pushnil(L); break;
    case V_FALSE: lua_pushboolean(L, 0); break;
    case V_TRUE: lua_pushboolean(L, 1); break;
    case V_INT_SMALL: lua_pushinteger(L, (lua_Integer)(int8_t)u8(s)); break;
    case V_INT_RAW: lua_pushinteger(L, (lua_Integer)u64(s)); break;
    case V_INT_EDGE:
        lua_pushinteger(L, int_edges[u8(s) % (sizeof int_edges / sizeof int_edges[0])]);
        break;
    case V_FLOAT_RAW: {
        uint64_t bits = u64(s);
        double d;

        memcpy(&d, &bits, sizeof d); /* any double: NaNs, infinities, subnormals */
        lua_pushnumber(L, d);
        break;
    }
    case V_FLOAT_EDGE: {
        unsigned k = u8(s) % (sizeof float_edges / sizeof float_edges[0] + 3);

        if (k == 0)
            lua_pushnumber(L, (double)NAN);
        else if (k == 1)
            lua_pushnumber(L, (double)INFINITY);
        else if (k == 2)
            lua_pushnumber(L, -(double)INFINITY);
        else
            lua_pushnumber(L, float_edges[k - 3]);
        break;
    }
    case V_STR_RAW: push_raw_string(L, s); break;
    case V_STR_WORD: push_word(L, u8(s)); break;
    case V_STR_LONG: push_long_string(L, s); break;
    case V_TABLE:
        new_pooled_table(L, s);
        fill_table(L, s, depth);
        break;
    case V_ARRAY: {
        unsigned n = u8(s) % 32;

        new_pooled_table(L, s);
        for (unsigned i = 1; i <= n; i++) {
            push_value(L, s, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i);
        }
        break;
    }
    case V_REF:
        if (s->npool == 0 || s->no_sharing)
            lua_newtable(L);
        else
            lua_rawgeti(L, s->pool, 1 + (lua_Integer)(u8(s) % (unsigned)s->npool));
        break;
    case V_WIDE: { /* one value, often a table, many times in an array */
        size_t n = 1 + u16(s) % (s->no_sharing ? 2 : 4096);

        if (n > BUDGET_ENTRIES - s->entries)
            n = BUDGET_ENTRIES - s->entries;
        s->entries += n;
        new_pooled_table(L, s);
        push_value(L, s, depth + 1);
        for (size_t i = 1; i <= n; i++) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, (lua_Integer)i);
        }
        lua_pop(L, 1);
        break;
    }
    case V_FUNCTION:
        switch (u8(s) % 3) {
        case 0: lua_pushcfunction(L, fn_error); break;
        case 1: lua_pushcfunction(L, fn_value); break;
        default:
            if (luaL_loadstring(L, "return ...") != LUA_OK)
                harness_fault("luaL_loadstring failed");
            break;
        }
        break;
    case V_META: { /* setmetatable(t, mt) as a rule may do (never __gc) */
        unsigned k = u8(s);

        new_pooled_table(L, s);
        fill_table(L, s, depth);
        lua_newtable(L); /* t, mt */
        switch (k % 4) {
        case 0: lua_pushcfunction(L, fn_error); break;
        case 1: lua_pushcfunction(L, fn_value); break;
        case 2:
            /* Any value: indexing through a boolean raises an error. While
             * "metamethod" is a known finding, only functions that notice. */
            if (fuzz_known("metamethod"))
                lua_pushcfunction(L, fn_value);
            else
                push_value(L, s, depth + 1);
            break;
        default: lua_pushnil(L); break;
        }
        lua_setfield(L, -2, "__index");
        if (k & 4) {
            lua_pushboolean(L, 0);
            lua_setfield(L, -2, "__metatable");
        }
        lua_setmetatable(L, -2); /* t */
        break;
    }
    case V_USERDATA: {
        size_t n = u8(s) % 16;

        memset(lua_newuserdatauv(L, n, 0), 0, n);
        break;
    }
    case V_THREAD: lua_newthread(L); break;
    case V__COUNT:
    default: lua_pushnil(L); break;
    }
}

/* ----------------------------------------------------------------------
 * Checking
 * ----------------------------------------------------------------------
 */

static bool utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    while (p < end) {
        unsigned c = *p, len;
        uint32_t cp;

        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return false;
        if ((size_t)(end - p) < len)
            return false;
        for (unsigned i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        p += len;
    }
    return true;
}

/* A JSON text (RFC 8259) as PostgreSQL's jsonb takes it: no \u0000, no
 * lone surrogate escape. p advances past what was read. When key_L is set,
 * the object keys read are added, decoded, to the set at key_set. */
static bool json_value(const char **p, int depth);
static lua_State *key_L;
static int key_set;

static void json_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool json_u4(const char **p, unsigned *u)
{
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((*p)[i]);

        if (h < 0)
            return false;
        *u = *u << 4 | (unsigned)h;
    }
    *p += 4;
    return true;
}

static bool json_string(const char **p)
{
    const char *s = *p;

    if (*s++ != '"')
        return false;
    for (;;) {
        unsigned char c = (unsigned char)*s++;

        if (c == '"')
            break;
        if (c < 0x20)
            return false; /* also the end of the text */
        if (c != '\\')
            continue;
        c = (unsigned char)*s++;
        if (c == 'u') {
            unsigned u, lo;

            if (!json_u4(&s, &u) || u == 0)
                return false;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return false;
            if (u >= 0xD800 && u <= 0xDBFF &&
                !(s[0] == '\\' && s[1] == 'u' && (s += 2, json_u4(&s, &lo)) && lo >= 0xDC00 &&
                  lo <= 0xDFFF))
                return false;
        } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
            return false;
        }
    }
    *p = s;
    return true;
}

static bool json_number(const char **p)
{
    const char *s = *p;

    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    *p = s;
    return true;
}

static void put_utf8(char **o, unsigned cp)
{
    char *d = *o;

    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | cp >> 6);
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | cp >> 12);
        *d++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | cp >> 18);
        *d++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *d++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = d;
}

/* Add the JSON string from s (its opening quote, already checked) to the
 * set at key_set, decoded. Never longer decoded than written. */
static void record_key(const char *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char *out = malloc(strlen(s) + 1), *o = out;

    if (!out)
        harness_fault("out of memory");
    for (s++; *s != '"'; s++) {
        unsigned u, lo;

        if (*s != '\\') {
            *o++ = *s;
        } else if (*++s != 'u') {
            *o++ = to[strchr(from, *s) - from];
        } else {
            s++;
            json_u4(&s, &u);
            if (u >= 0xD800 && u <= 0xDBFF) {
                s += 2;
                json_u4(&s, &lo);
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&o, u);
            s--; /* the loop steps past the last hex digit */
        }
    }
    lua_pushlstring(key_L, out, (size_t)(o - out));
    lua_pushboolean(key_L, 1);
    lua_rawset(key_L, key_set);
    free(out);
}

static bool json_list(const char **p, int depth, char close, bool object)
{
    (*p)++;
    json_ws(p);
    if (**p == close) {
        (*p)++;
        return true;
    }
    for (;;) {
        if (object) {
            const char *key = *p;

            if (!json_string(p))
                return false;
            if (key_L)
                record_key(key);
            json_ws(p);
            if (*(*p)++ != ':')
                return false;
        }
        if (!json_value(p, depth + 1))
            return false;
        json_ws(p);
        if (**p == close) {
            (*p)++;
            return true;
        }
        if (*(*p)++ != ',')
            return false;
    }
}

static bool json_value(const char **p, int depth)
{
    if (depth > 64)
        return false;
    json_ws(p);
    switch (**p) {
    case '{': return json_list(p, depth, '}', true);
    case '[': return json_list(p, depth, ']', false);
    case '"': return json_string(p);
    case 't': return strncmp(*p, "true", 4) == 0 && (*p += 4, true);
    case 'f': return strncmp(*p, "false", 5) == 0 && (*p += 5, true);
    case 'n': return strncmp(*p, "null", 4) == 0 && (*p += 4, true);
    default: return json_number(p);
    }
}

static bool json_valid(const char *s)
{
    if (!utf8_ok(s, strlen(s)) || !json_value(&s, 0))
        return false;
    json_ws(&s);
    return *s == '\0';
}

/* The Lua string at the top, joined with ';' when it is an array (lists):
 * what the rec's text must equal. Returns false when the value is not
 * such a string or array. [-0, +0] */
static bool expected_text(lua_State *L, bool list, luaL_Buffer *b)
{
    int v = lua_gettop(L);

    luaL_buffinit(L, b); /* pushes a placeholder above v */
    if (!list) {
        if (lua_type(L, v) != LUA_TSTRING)
            return false;
        lua_pushvalue(L, v);
        luaL_addvalue(b);
        return true;
    }
    if (lua_type(L, v) != LUA_TTABLE)
        return false;
    for (lua_Integer i = 1, n = (lua_Integer)lua_rawlen(L, v); i <= n; i++) {
        if (i > 1)
            luaL_addchar(b, ';');
        if (lua_rawgeti(L, v, i) != LUA_TSTRING)
            return false;
        luaL_addvalue(b);
    }
    return true;
}

/* A field the reader accepted, against the value in the result table.
 * Each failed check returns: what follows it relies on it. */
static void check_field(lua_State *L, int result, const struct rec *r, int f)
{
    const struct field_def *d = &rec_fields[f];
    int top = lua_gettop(L);
    luaL_Buffer b;
    size_t len;
    const char *want;

    if (!r->present[f]) {
        if (r->text[f])
            broken("rec-field", "text of an absent field", d->name);
        return;
    }
    switch (d->type) {
    case FT_BOOL:
        if (r->num[f] != 0 && r->num[f] != 1)
            broken("rec-field", "a boolean is neither 0 nor 1", d->name);
        return;
    case FT_COUNT:
    case FT_AMOUNT:
        if (r->num[f] < 0)
            broken("rec-field", "a count or amount is negative", d->name);
        return;
    case FT_INT: return;
    case FT_ENUM:
        if (!r->text[f] || r->num[f] < 0 || strcmp(r->text[f], d->enum_values[r->num[f]]) != 0) {
            broken("rec-field", "an enum's text and number differ", d->name);
            return;
        }
        break;
    case FT_TEXT:
    case FT_LIST:
    case FT_DATE:
        if (!r->text[f]) {
            broken("rec-field", "no text for a present field", d->name);
            return;
        }
        if (!utf8_ok(r->text[f], strlen(r->text[f]))) {
            broken("rec-utf8", "stored text is not UTF-8", d->name);
            return;
        }
        break;
    }
    /* Text, enums and lists: exactly the strings of the result. Raw: a
     * metatable of the result must not run here either. */
    lua_pushstring(L, d->name);
    lua_rawget(L, result);
    if (!expected_text(L, d->type == FT_LIST, &b)) {
        broken("rec-fidelity", "a field was read from a value that is not its type", d->name);
    } else {
        luaL_pushresult(&b);
        want = lua_tolstring(L, -1, &len);
        if (len != strlen(r->text[f]) || memcmp(want, r->text[f], len) != 0)
            broken("rec-fidelity", "the stored text differs from the result's string", d->name);
    }
    lua_settop(L, top);
}

/* Whether a table reached from the one at t (each once: seen is the set of
 * those visited) has a key its JSON lost: a string key that is not among
 * the JSON's object keys (the set at jkeys), or any other key but an
 * integer 1..#t (array elements). A key JSON cannot hold (a NUL, bad
 * UTF-8) must make the reader refuse the trace, not drop or change it.
 * The key lost is left in *lost (static text). [-0, +0] */
static bool key_lost_below(lua_State *L, int t, int seen, int jkeys, int depth, const char **lost)
{
    static char shown[128];
    lua_Integer n;
    bool found = false;

    if (depth > 64 || lua_type(L, t) != LUA_TTABLE || !lua_checkstack(L, 4))
        return false;
    lua_pushvalue(L, t);
    if (lua_rawget(L, seen) != LUA_TNIL) {
        lua_pop(L, 1);
        return false;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, t);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    n = (lua_Integer)lua_rawlen(L, t);
    lua_pushnil(L);
    while (!found && lua_next(L, t)) { /* key, value */
        if (lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            found = lua_rawget(L, jkeys) == LUA_TNIL;
            lua_pop(L, 1);
            if (found)
                snprintf(shown, sizeof shown, "the key \"%s\"", lua_tostring(L, -2));
        } else if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || lua_tointeger(L, -2) > n) {
            found = true;
            snprintf(shown, sizeof shown, "a %s key beside the array 1..%lld", luaL_typename(L, -2),
                     (long long)n);
        }
        if (found)
            *lost = shown;
        found = found || key_lost_below(L, lua_gettop(L), seen, jkeys, depth + 1, lost);
        lua_pop(L, found ? 2 : 1); /* the key too when the walk stops */
    }
    return found;
}

static void check_rec(lua_State *L, int result, const struct rec *r)
{
    if (!r->present[R_STATUS] || !r->text[R_STATUS])
        broken("rec-status", "accepted without a status", NULL);
    else if (r->num[R_STATUS] == 1 &&
             (!r->present[R_ERROR] || !r->text[R_ERROR] || !r->text[R_ERROR][0]))
        broken("rec-status", "accepted: status error without an error message", NULL);
    else if (r->num[R_STATUS] == 0 && r->present[R_ERROR])
        broken("rec-status", "accepted: status ok with an error message", NULL);
    else if (r->num[R_STATUS] != 0 && r->num[R_STATUS] != 1)
        broken("rec-status", "accepted: status neither ok nor error", NULL);
    if (r->present[R_CASE_NO] || r->present[R_DEFENDANT_NO] || r->present[R_OFFENSE] ||
        r->present[R_RULE_SET])
        broken("rec-field", "accepted: a key field or the rule set came from the result", NULL);
    for (int f = 0; f < R__COUNT; f++)
        check_field(L, result, r, f);
    if (r->trace_json) {
        int top = lua_gettop(L);
        const char *lost = NULL;

        lua_newtable(L); /* the JSON's object keys */
        lua_newtable(L); /* the tables seen */
        lua_pushliteral(L, "trace");
        lua_rawget(L, result);
        key_L = L;
        key_set = top + 1;
        if (!json_valid(r->trace_json))
            broken("trace-json", "accepted, but the trace is not valid JSON for jsonb",
                   r->trace_json);
        else if (key_lost_below(L, top + 3, top + 2, top + 1, 0, &lost))
            broken("trace-keys", lost, r->trace_json);
        key_L = NULL;
        lua_settop(L, top);
    }
}

/* ----------------------------------------------------------------------
 * The target
 * ----------------------------------------------------------------------
 */

/* FUZZ_VERBOSE=1: say what the reader made of each input (to replay one). */
static bool verbose(void)
{
    static int v = -1;

    if (v < 0) {
        const char *e = getenv("FUZZ_VERBOSE");

        v = e && strcmp(e, "0") != 0;
    }
    return v;
}

static lua_State *state(void)
{
    static lua_State *L;

    if (!L) {
        L = luaL_newstate(); /* its panic handler prints the error and aborts */
        if (!L)
            harness_fault("luaL_newstate failed");
        /* As rules.c does: the reader looks frozen tables up in the
         * registry tables sandbox_open makes. */
        sandbox_open(L, false);
        lua_pop(L, 1); /* the environment */
        rules_api_init(L);
    }
    return L;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = state();
    struct src s = {.p = data, .n = size, .no_sharing = fuzz_known("trace-size")};
    struct rec rec = {0};
    char msg[512] = {0};
    int top;
    bool ok;

    lua_settop(L, 0);
    lua_newtable(L); /* the pool */
    s.pool = lua_gettop(L);
    push_value(L, &s, 0); /* pool, result */

    top = lua_gettop(L);
    in_reader = true;
    ok = rules_api_read_rec(L, -1, true, &rec, msg, sizeof msg);
    in_reader = false;
    if (lua_gettop(L) != top)
        broken("stack", "the Lua stack changed", NULL);
    if (verbose())
        fprintf(stderr, "fuzz_result: %s: %s\n", ok ? "accepted" : "refused",
                ok ? (rec.trace_json ? rec.trace_json : "(no trace)") : msg);
    if (ok) {
        check_rec(L, top, &rec);
    } else {
        if (msg[0] == '\0')
            broken("msg-empty", "refused without a message", NULL);
        else if (!utf8_ok(msg, strlen(msg)))
            broken("msg-utf8", "refused: the message (stored as the error) is not UTF-8", msg);
    }
    rec_fini(&rec);

    /* Drop this input's values and collect them now: memory stays flat, and
     * every input starts from the same heap, so a finding replays alone. */
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}

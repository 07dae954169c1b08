/*-------------------------------------------------------------------------
 * rules.c
 *     The Lua engine: one lua_State per engine, a counting allocator with a
 *     cap, a sandboxed environment shared by the rule files, an
 *     instruction budget enforced by a count hook, and protected calls.
 *
 * The marshalling of cases and results lives in rules_api.c.
 *
 * batch/rules.c
 *-------------------------------------------------------------------------
 */
#include "rules.h"

#include "buf.h"
#include "rec_check.h"
#include "rules_api.h"
#include "sha256.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if LUA_VERSION_NUM != 504
#error "sentencer needs Lua 5.4 (lua_newstate and the library set differ elsewhere)"
#endif

/* How often the count hook runs; the budget is checked at this grain. */
#define HOOK_EVERY 10000

struct rules {
    lua_State *L;
    struct rules_limits lim;
    size_t mem_used;  /* bytes currently allocated by the state */
    size_t mem_limit; /* allocations beyond this fail (0 = none) */
    long instr_used;  /* instructions counted in the current call */
    int evaluate_ref; /* registry ref of the rule set's evaluate() */
    int env_ref;      /* registry ref of the sandbox environment */
    char id[17];
    char last_error[512];
    char mem_where[128]; /* "file:line: " of the rule line whose allocation was refused */
};

/* ----------------------------------------------------------------------
 * Allocator and budget
 * ----------------------------------------------------------------------
 */

/* lua_Alloc with a cap, after Lua's own ltests.c: when ptr is NULL, osize is
 * a type tag, not a size. */
static void *rules_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct rules *r = ud;

    if (ptr == NULL)
        osize = 0;
    if (nsize == 0) {
        free(ptr);
        r->mem_used -= osize;
        return NULL;
    }
    if (r->mem_limit && nsize > osize && r->mem_used + (nsize - osize) > r->mem_limit) {
        /* A memory error carries no position and calls no message handler:
         * note the innermost rule line now. getinfo "Sl" does not allocate. */
        lua_Debug ar;
        for (int level = 0; r->L && lua_getstack(r->L, level, &ar); level++)
            if (lua_getinfo(r->L, "Sl", &ar) && ar.currentline > 0) {
                snprintf(r->mem_where, sizeof r->mem_where, "%s:%d: ", ar.short_src,
                         ar.currentline);
                break;
            }
        return NULL; /* Lua raises a memory error */
    }
    void *p = realloc(ptr, nsize);
    if (p)
        r->mem_used = r->mem_used - osize + nsize;
    return p;
}

/* Count hook: once the budget is spent, fire on every instruction so that a
 * rule cannot swallow the error with pcall and carry on (as Redis does). */
static void rules_hook(lua_State *L, lua_Debug *ar)
{
    void *ud;
    struct rules *r;

    (void)ar;
    lua_getallocf(L, &ud);
    r = ud;
    r->instr_used += HOOK_EVERY;
    if (r->instr_used > r->lim.instructions) {
        lua_sethook(L, rules_hook, LUA_MASKCOUNT, 1);
        /* Level 0: a hook has no frame, the running rule is at level 0.
         * lua_pushfstring knows no %ld: %I takes a lua_Integer. */
        luaL_where(L, 0);
        lua_pushfstring(L, "instruction budget of %I exceeded (endless loop?)",
                        (lua_Integer)r->lim.instructions);
        lua_concat(L, 2);
        lua_error(L);
    }
}

static void budget_start(struct rules *r)
{
    r->instr_used = 0;
    r->mem_limit = r->mem_used + r->lim.memory;
    lua_sethook(r->L, rules_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

static void budget_stop(struct rules *r)
{
    lua_sethook(r->L, NULL, 0, 0);
    r->mem_limit = 0;
}

/* ----------------------------------------------------------------------
 * Sandbox
 * ----------------------------------------------------------------------
 */

/* The libraries a rule may use (linit.c, cut down). */
static const luaL_Reg safe_libs[] = {
    {LUA_GNAME, luaopen_base},        {LUA_TABLIBNAME, luaopen_table},
    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL},
};

/* Base functions copied into the sandbox; everything else of _G stays out. */
static const char *const safe_base[] = {
    "assert",   "error",  "getmetatable", "ipairs",   "next",   "pairs",        "pcall",
    "rawequal", "rawget", "rawlen",       "rawset",   "select", "setmetatable", "tonumber",
    "tostring", "type",   "xpcall",       "_VERSION", NULL,
};

static int sandbox_log(lua_State *L)
{
    void *ud;
    struct rules *r;
    const char *msg = luaL_checkstring(L, 1);

    lua_getallocf(L, &ud);
    r = ud;
    if (r->lim.log)
        fprintf(stderr, "rules: %s\n", msg);
    return 0;
}

/* setmetatable refusing __gc: Lua runs finalizers with hooks off (lgc.c,
 * GCTM), so a looping one would escape the instruction budget. A __gc added
 * to the metatable afterwards does not mark the object (manual 2.5.3). */
static int sandbox_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in rules");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1)); /* the base library's setmetatable */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* xpcall(f, h, ...) calling h after the error has unwound: Lua calls a
 * message handler with hooks off when the error comes from the count hook,
 * so a looping handler would escape the instruction budget. */
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

static int env_index(lua_State *L)
{
    return luaL_error(L, "unknown global '%s'", luaL_optstring(L, 2, "?"));
}

static int env_newindex(lua_State *L)
{
    return luaL_error(L,
                      "assignment to undeclared global '%s' (globals can only be defined "
                      "while the rule files load)",
                      luaL_optstring(L, 2, "?"));
}

/* Build the environment table and leave it in the registry. [-0, +0] */
/* string.find for rules: plain search only. Lua patterns backtrack inside
 * C, where the instruction budget cannot stop them ("a*a*...b" runs for
 * ever), so match, gmatch and gsub are not offered and find never takes a
 * pattern. [-(2|3), +(1|2)] */
static int sandbox_find(lua_State *L)
{
    lua_settop(L, 3);
    lua_pushboolean(L, 1);                 /* plain */
    lua_pushvalue(L, lua_upvalueindex(1)); /* s, needle, init, true, find */
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

static void sandbox_open(struct rules *r)
{
    lua_State *L = r->L;

    for (const luaL_Reg *lib = safe_libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1); /* remove lib */
    }
    /* The string library (also the methods of every string, s:find()). */
    lua_getglobal(L, LUA_STRLIBNAME); /* string */
    lua_getfield(L, -1, "find");
    lua_pushcclosure(L, sandbox_find, 1);
    lua_setfield(L, -2, "find");
    const char *const patterns[] = {"match", "gmatch", "gsub", NULL};
    for (int i = 0; patterns[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, patterns[i]);
    }
    lua_pop(L, 1);   /* remove string */
    lua_newtable(L); /* env */
    for (int i = 0; safe_base[i]; i++) {
        lua_getglobal(L, safe_base[i]);
        lua_setfield(L, -2, safe_base[i]);
    }
    const char *const libs[] = {LUA_TABLIBNAME, LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
                                NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_setfield(L, -2, libs[i]);
    }
    lua_pushcfunction(L, sandbox_log);
    lua_setfield(L, -2, "log");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_pushcfunction(L, sandbox_xpcall);
    lua_setfield(L, -2, "xpcall");
    lua_newtable(L); /* metatable of env: reading an unknown global is an error */
    lua_pushcfunction(L, env_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0); /* setmetatable(_ENV, nil) must not undo that */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    r->env_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* pops env */
    rules_api_init(L);
}

/* After loading: new globals are an error too. [-0, +0] */
static void sandbox_freeze(struct rules *r)
{
    lua_State *L = r->L;

    lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref); /* env */
    lua_getmetatable(L, -1);                       /* env, mt */
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pop(L, 2); /* remove mt, env */
}

/* Message handler: keep the message (its first line names file:line). */
static int msgh(lua_State *L)
{
    lua_Debug ar;

    if (!lua_isstring(L, 1)) {
        const char *s = luaL_tolstring(L, 1, NULL);
        lua_pushfstring(L, "(error object is a %s value: %s)", luaL_typename(L, 1), s);
        lua_replace(L, 1);
    }
    /* An error raised by a C function (a library call) carries no position:
     * name the innermost rule line, so the message always says where. */
    if (!strstr(lua_tostring(L, 1), ".lua:")) {
        for (int level = 1; lua_getstack(L, level, &ar); level++) {
            if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
                lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, lua_tostring(L, 1));
                return 1;
            }
        }
    }
    lua_settop(L, 1);
    return 1;
}

/* Call the function below nargs arguments on the stack under the budget.
 * [-(nargs+1), +(nres or 1 message)] Returns the lua_pcall status. */
static int protected_call(struct rules *r, int nargs, int nres)
{
    lua_State *L = r->L;
    int base = lua_gettop(L) - nargs; /* function index */
    int st;

    lua_pushcfunction(L, msgh);
    lua_insert(L, base); /* put it under function and args */
    budget_start(r);
    r->mem_where[0] = '\0';
    st = lua_pcall(L, nargs, nres, base);
    budget_stop(r);
    lua_remove(L, base); /* remove message handler */
    if (st == LUA_ERRMEM) {
        lua_pop(L, 1);
        lua_pushfstring(L, "%smemory cap of %d KiB exceeded", r->mem_where,
                        (int)(r->lim.memory / 1024));
    }
    return st;
}

/* ----------------------------------------------------------------------
 * Loading
 * ----------------------------------------------------------------------
 */

static enum status read_file(const char *path, struct buf *out, struct err *err)
{
    FILE *fp = fopen(path, "rb");
    char tmp[8192];
    size_t n;

    if (!fp) {
        err_set(err, ST_ERULES, "could not open rule file \"%s\": %s", path, strerror(errno));
        err_hint(err, "Check --rules DIR and the file names listed in its MANIFEST.");
        return ST_ERULES;
    }
    buf_reset(out);
    while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
        if (!buf_add(out, tmp, n)) {
            fclose(fp);
            return err_set(err, ST_ENOMEM, "out of memory reading \"%s\"", path);
        }
    if (ferror(fp)) {
        fclose(fp);
        return err_set(err, ST_ERULES, "could not read rule file \"%s\"", path);
    }
    fclose(fp);
    return ST_OK;
}

/* Compile and run one rule file in the sandbox. */
static enum status load_file(struct rules *r, const char *path, const struct buf *src,
                             struct err *err)
{
    lua_State *L = r->L;
    char chunkname[1024];
    int st;

    snprintf(chunkname, sizeof chunkname, "@%s", path);
    st = luaL_loadbufferx(L, src->data ? src->data : "", src->len, chunkname, "t"); /* +1 */
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        if (strstr(msg, base))
            err_set(err, ST_ERULES, "rule file does not compile: %s", msg);
        else /* e.g. bytecode refused: Lua's message names no file */
            err_set(err, ST_ERULES, "rule file does not compile: %s: %s", path, msg);
        err_hint(err, "Fix the rule file; nothing was written.");
        lua_pop(L, 1); /* remove message */
        return ST_ERULES;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref); /* chunk, env */
    if (!lua_setupvalue(L, -2, 1))                 /* chunk (its _ENV = env) */
        lua_pop(L, 1);
    st = protected_call(r, 0, 0);
    if (st != LUA_OK) {
        err_set(err, ST_ERULES, "rule file fails to load: %s", lua_tostring(L, -1));
        err_hint(err, "Fix the rule file; nothing was written.");
        lua_pop(L, 1); /* remove message */
        return ST_ERULES;
    }
    return ST_OK;
}

void rules_limits_default(struct rules_limits *lim)
{
    lim->instructions = 5000000;
    lim->memory = 32u << 20;
    lim->log = false;
}

enum status rules_load(struct rules **out, const char *dir, const struct rules_limits *lim,
                       struct err *err)
{
    struct rules *r = calloc(1, sizeof *r);
    struct buf manifest = {0}, src = {0};
    struct sha256 sha;
    char path[4096], hex[65];
    enum status st = ST_OK;
    int nfiles = 0;

    if (!r)
        return err_set(err, ST_ENOMEM, "out of memory");
    r->lim = *lim;
    r->evaluate_ref = r->env_ref = LUA_NOREF;
    r->L = lua_newstate(rules_alloc, r);
    if (!r->L) {
        free(r);
        return err_set(err, ST_ENOMEM, "could not create the Lua state");
    }
    sandbox_open(r);
    sha256_init(&sha);

    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    if ((st = read_file(path, &manifest, err)) != ST_OK)
        goto done;
    sha256_update(&sha, manifest.data ? manifest.data : "", manifest.len);

    /* One file per line; blank lines and # comments are skipped. */
    char *save = NULL;
    long lineno = 0;
    for (char *line = manifest.data ? strtok_r(manifest.data, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *end = line + strlen(line);
        while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        if (strchr(line, '/') || strstr(line, "..")) {
            st = err_set(err, ST_ERULES, "MANIFEST names \"%s\", which is not in the rule folder",
                         line);
            err_detail(err, "%s/MANIFEST", dir);
            err_hint(err, "List plain file names of the rule folder, one per line.");
            goto done;
        }
        snprintf(path, sizeof path, "%s/%s", dir, line);
        if ((st = read_file(path, &src, err)) != ST_OK)
            goto done;
        sha256_update(&sha, line, strlen(line) + 1);
        sha256_update(&sha, src.data ? src.data : "", src.len);
        if ((st = load_file(r, path, &src, err)) != ST_OK)
            goto done;
        nfiles++;
    }
    if (nfiles == 0) {
        st = err_set(err, ST_ERULES, "the rule set in \"%s\" lists no files", dir);
        err_hint(err, "Name the rule files in %s/MANIFEST, one per line.", dir);
        goto done;
    }

    lua_rawgeti(r->L, LUA_REGISTRYINDEX, r->env_ref); /* env */
    lua_pushliteral(r->L, "evaluate");
    lua_rawget(r->L, -2); /* env, evaluate */
    if (!lua_isfunction(r->L, -1)) {
        lua_pop(r->L, 2);
        st = err_set(err, ST_ERULES, "the rule set in \"%s\" does not define evaluate(case)", dir);
        err_hint(err, "Define a global function evaluate(case) in one of the rule files.");
        goto done;
    }
    r->evaluate_ref = luaL_ref(r->L, LUA_REGISTRYINDEX); /* env */
    lua_pop(r->L, 1);
    sandbox_freeze(r);
    lua_gc(r->L, LUA_GCCOLLECT);

    sha256_hex(&sha, hex);
    memcpy(r->id, hex, 16);
    r->id[16] = '\0';

done:
    buf_fini(&manifest);
    buf_fini(&src);
    if (st != ST_OK) {
        rules_free(r);
        return st;
    }
    *out = r;
    return ST_OK;
}

const char *rules_id(const struct rules *r)
{
    return r->id;
}

/* ----------------------------------------------------------------------
 * Evaluation
 * ----------------------------------------------------------------------
 */

static int push_case_protected(lua_State *L)
{
    const struct charge *c = lua_touserdata(L, 1);

    rules_api_push_case(L, c);
    return 1;
}

static void set_error(struct rec *out, const char *msg)
{
    for (int i = 0; i < R__COUNT; i++) {
        free(out->text[i]);
        out->text[i] = NULL;
        out->present[i] = 0;
    }
    free(out->trace_json);
    out->trace_json = NULL;
    rec_set_text(out, R_STATUS, "error");
    out->num[R_STATUS] = 1;
    rec_set_text(out, R_ERROR, msg);
}

enum status rules_eval(struct rules *r, const struct charge *c, struct rec *out, struct err *err)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    char msg[512];
    int st;

    rec_fini(out);
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->evaluate_ref); /* evaluate */
    lua_pushcfunction(L, push_case_protected);          /* evaluate, pusher */
    lua_pushlightuserdata(L, (void *)(uintptr_t)c);     /* evaluate, pusher, c */
    st = protected_call(r, 1, 1);                       /* evaluate, case | message */
    if (st == LUA_OK)
        st = protected_call(r, 1, 1); /* result | message */
    if (st != LUA_OK) {
        snprintf(msg, sizeof msg, "rule error: %s", lua_tostring(L, -1));
        set_error(out, msg);
        lua_settop(L, top);
        lua_gc(L, LUA_GCCOLLECT); /* reclaim what a memory bomb left */
    } else if (!rules_api_read_rec(L, -1, out, msg, sizeof msg)) {
        char full[600];
        snprintf(full, sizeof full, "rule result malformed: %s", msg);
        set_error(out, full);
        lua_settop(L, top);
    } else {
        lua_settop(L, top);
        if (!rec_check(out, c->acts[0].num[F_DEFENDANT_KIND] == 1, msg, sizeof msg)) {
            char full[600];
            snprintf(full, sizeof full, "rule result breaks the contract: %s", msg);
            set_error(out, full);
        }
    }
    if (!out->present[R_STATUS])
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    if (!rec_set_text(out, R_RULE_SET, r->id) ||
        !rec_set_text(out, R_CASE_NO, c->acts[0].text[F_CASE_NO]) ||
        !rec_set_text(out, R_DEFENDANT_NO, c->acts[0].text[F_DEFENDANT_NO]) ||
        !rec_set_text(out, R_OFFENSE, c->acts[0].text[F_OFFENSE]))
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    out->num[R_OFFENSE] = c->acts[0].num[F_OFFENSE];
    return ST_OK;
}

void rules_free(struct rules *r)
{
    if (!r)
        return;
    if (r->L)
        lua_close(r->L);
    free(r);
}

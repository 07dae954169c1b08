/*-------------------------------------------------------------------------
 * rules.c
 *     The Lua engine: one lua_State per engine, a counting allocator with a
 *     cap, the sandboxed environment of sandbox.c shared by the rule files,
 *     an instruction budget enforced by a count hook, a time budget
 *     enforced by a timer, and protected calls.
 *
 * Its length (about 1,050 lines) comes from the clock and the allocator that
 * must stay beside the protected call they guard, from loading a rule
 * set from a folder or from the database through the same steps, and from
 * the protected wrappers that keep running out of memory from becoming a
 * Lua panic.
 *
 * The clock: each protected call arms a POSIX timer of the engine's own on
 * the process's processor time (CLOCK_PROCESS_CPUTIME_ID): the rules can
 * spend time only by computing (they can neither sleep nor wait), and a
 * busy or suspended machine must not turn a sound case into an error for
 * good, as a wall clock would. When it expires, its SIGALRM handler (found through
 * the timer's sigev_value, not a global) sets a hook that fires on every
 * instruction and every call, and the allocator refuses to grow: Lua code
 * stops at its next instruction, a C library function at its next call
 * back into Lua or its next allocation. The library functions that could
 * loop without doing either are bounded in sandbox.c.
 *
 * The marshalling of cases and results lives in rules_api.c.
 *
 * batch/rules/rules.c
 *-------------------------------------------------------------------------
 */
#include "rules.h"

#include "buf.h"
#include "rules_api.h"
#include "sandbox.h"
#include "sha256.h"
#include "value.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if LUA_VERSION_NUM != 504
#error "sentencer needs Lua 5.4 (lua_newstate and the library set differ elsewhere)"
#endif

/* How often the count hook runs; the budget is checked at this grain. */
#define HOOK_EVERY 10000

/* Loading the rule files gets this many times a case's budgets. */
#define LOAD_FACTOR 20

struct rules {
    lua_State *L;
    struct rules_limits lim;
    size_t mem_used;               /* bytes currently allocated by the state */
    size_t mem_limit;              /* allocations beyond this fail (0 = none) */
    long instr_used;               /* instructions counted in the current call */
    long instr_limit;              /* instructions allowed in the current call */
    long time_limit;               /* milliseconds allowed in the current call */
    int evaluate_ref;              /* registry ref of the rule set's evaluate() */
    int title_ref;                 /* registry ref of its title(cite), or LUA_NOREF */
    int env_ref;                   /* registry ref of the sandbox environment */
    timer_t timer;                 /* the clock of protected calls ... */
    pid_t timer_pid;               /* ... of this process (fork does not copy timers); 0: none */
    volatile sig_atomic_t armed;   /* a protected call is running under the clock */
    volatile sig_atomic_t expired; /* its time is up */
    bool trace;                    /* evaluate(case, true): the rules build a trace */
    int nfiles;                    /* the rule set's files, MANIFEST first ... */
    char **names;                  /* ... their names (owned) ... */
    struct buf *files;             /* ... and contents, byte for byte (owned) */
    char id[17];
    char sha256[65];
    char mem_where[128];  /* "file:line: " of the rule line whose allocation was refused */
    char time_where[128]; /* "file:line: " where the clock stopped the rules */
    bool sys_oom;         /* the C allocator said no: the machine, not the rules */
    bool traceback;       /* messages name the rule lines that called (check-rules) */
    bool data_error;      /* the last error was common.data_error's: about the facts */
    char msg[600];        /* the message of the last failed protected call */
};

/* ----------------------------------------------------------------------
 * Allocator and budgets
 * ----------------------------------------------------------------------
 */

/* "file:line: " of the innermost rule line, without allocating. */
static void rule_where(lua_State *L, char *out, size_t len)
{
    lua_Debug ar;

    out[0] = '\0';
    for (int level = 0; L && lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(out, len, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
}

/* lua_Alloc with a cap, after Lua's own ltests.c: when ptr is NULL, osize is
 * a type tag, not a size. Once the clock has expired nothing may grow. */
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
    if (nsize > osize && r->expired) {
        if (!r->time_where[0])
            rule_where(r->L, r->time_where, sizeof r->time_where);
        return NULL; /* Lua raises a memory error; protected_call tells the truth */
    }
    if (r->mem_limit && nsize > osize && r->mem_used + (nsize - osize) > r->mem_limit) {
        /* A memory error carries no position and calls no message handler:
         * note the innermost rule line now. */
        rule_where(r->L, r->mem_where, sizeof r->mem_where);
        return NULL; /* Lua raises a memory error */
    }
    void *p = realloc(ptr, nsize);
    if (p)
        r->mem_used = r->mem_used - osize + nsize;
    else
        r->sys_oom = true;
    return p;
}

/* The hook: counts instructions, and stops the rules once a budget is
 * spent. From then on it fires on every instruction and call, so that a
 * rule cannot swallow the error with pcall and carry on (as Redis does). */
static void rules_hook(lua_State *L, lua_Debug *ar)
{
    void *ud;
    struct rules *r;

    lua_getallocf(L, &ud);
    r = ud;
    if (r->expired) {
        lua_sethook(L, rules_hook, LUA_MASKCALL | LUA_MASKCOUNT, 1);
        if (!r->time_where[0])
            rule_where(L, r->time_where, sizeof r->time_where);
        lua_pushfstring(L, "%stime budget of %I ms (processor time) exceeded", r->time_where,
                        (lua_Integer)r->time_limit);
        lua_error(L);
    }
    if (ar->event != LUA_HOOKCOUNT)
        return;
    r->instr_used += HOOK_EVERY;
    if (r->instr_used > r->instr_limit) {
        lua_sethook(L, rules_hook, LUA_MASKCOUNT, 1);
        /* Level 0: a hook has no frame, the running rule is at level 0.
         * lua_pushfstring knows no %ld: %I takes a lua_Integer. */
        luaL_where(L, 0);
        lua_pushfstring(L, "instruction budget of %I exceeded (endless loop?)",
                        (lua_Integer)r->instr_limit);
        lua_concat(L, 2);
        lua_error(L);
    }
}

/* SIGALRM from an engine's timer: that engine's call is out of time.
 * lua_sethook may be called from a signal handler (ldebug.c). */
static void on_timer(int sig, siginfo_t *si, void *uc)
{
    struct rules *r;

    (void)sig;
    (void)uc;
    if (si->si_code != SI_TIMER || !(r = si->si_value.sival_ptr) || !r->armed)
        return;
    r->expired = 1;
    lua_sethook(r->L, rules_hook, LUA_MASKCALL | LUA_MASKCOUNT, 1);
}

/* The engine's timer in this process (a forked worker makes its own). */
static bool timer_ready(struct rules *r)
{
    struct sigevent sev;
    struct sigaction sa;

    if (r->timer_pid == getpid())
        return true;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        return false;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    sev.sigev_value.sival_ptr = r;
    if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &r->timer) != 0)
        return false;
    r->timer_pid = getpid();
    return true;
}

static void timer_arm(struct rules *r, long ms)
{
    struct itimerspec its;

    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (ms % 1000) * 1000000L;
    timer_settime(r->timer, 0, &its, NULL);
}

static void budget_start(struct rules *r, int factor)
{
    r->instr_used = 0;
    r->instr_limit = r->lim.instructions * factor;
    r->time_limit = r->lim.time_ms * factor;
    r->mem_limit = r->mem_used + r->lim.memory;
    r->expired = 0;
    r->time_where[0] = '\0';
    lua_sethook(r->L, rules_hook, LUA_MASKCOUNT, HOOK_EVERY);
    if (r->time_limit > 0 && r->timer_pid != 0) { /* this process's: see timer_ready */
        r->armed = 1;
        timer_arm(r, r->time_limit);
    }
}

/* Returns whether the clock expired during the call. */
static bool budget_stop(struct rules *r)
{
    bool expired;

    /* Disarm first: a signal raised before returns with the syscall, so
     * none can arrive once armed is cleared. */
    if (r->armed)
        timer_arm(r, 0);
    r->armed = 0;
    expired = r->expired;
    r->expired = 0;
    lua_sethook(r->L, NULL, 0, 0);
    r->mem_limit = 0;
    return expired;
}

/* Message handler: keep the message (its first line names file:line). */
static int msgh(lua_State *L)
{
    lua_Debug ar;

    /* common.data_error raises { data_error = message }: an error about
     * the facts (error_kind data), with its message as it stands. */
    if (lua_type(L, 1) == LUA_TTABLE) {
        sandbox_contents(L, 1);
        lua_pushliteral(L, "data_error");
        lua_rawget(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            (*(struct rules **)lua_getextraspace(L))->data_error = true;
            lua_replace(L, 1);
            lua_settop(L, 1);
            return 1;
        }
        lua_pop(L, 1);
    }
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

/* Message handler of check-rules: the message and the rule lines that led
 * to it, innermost first ("...; called from art287_2.lua:151 <-
 * evaluate.lua:203"), so that an error in a helper names the rule that
 * called it. Not for the run: a stored message stays the same whatever
 * the program's version. */
static int msgh_traceback(lua_State *L)
{
    char where[512];
    size_t used = 0;
    int shown = 0;
    lua_Debug ar;

    msgh(L);
    where[0] = '\0';
    for (int level = 1; lua_getstack(L, level, &ar) && shown < 5; level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
            continue;
        if (shown++ == 0)
            continue; /* where it was raised: the message says so */
        if (used < sizeof where)
            used += (size_t)snprintf(where + used, sizeof where - used, "%s%s:%d",
                                     used ? " <- " : "", ar.short_src, ar.currentline);
    }
    if (where[0])
        lua_pushfstring(L, "%s; called from %s", lua_tostring(L, -1), where);
    return 1;
}

/* Call the function below nargs arguments on the stack under the budgets
 * (factor times a case's). [-(nargs+1), +(nres or 0)] Returns the
 * lua_pcall status; on failure the message is in r->msg (copied without
 * allocating: memory may be what ran out) and r->sys_oom says whether the
 * machine refused memory rather than the rules' cap. */
static int protected_call(struct rules *r, int nargs, int nres, int factor)
{
    lua_State *L = r->L;
    int base = lua_gettop(L) - nargs; /* function index */
    int st;
    bool expired;

    lua_pushcfunction(L, r->traceback ? msgh_traceback : msgh);
    lua_insert(L, base); /* put it under function and args */
    r->mem_where[0] = '\0';
    r->sys_oom = false;
    r->data_error = false;
    budget_start(r, factor);
    st = lua_pcall(L, nargs, nres, base);
    expired = budget_stop(r);
    lua_remove(L, base); /* remove message handler */
    if (st == LUA_OK)
        return st;
    if (expired) {
        /* Whatever the error says (a refused allocation, an error the
         * expiry caused), the cause is the clock. */
        snprintf(r->msg, sizeof r->msg, "%stime budget of %ld ms (processor time) exceeded",
                 r->time_where, r->time_limit);
    } else if (st == LUA_ERRMEM && r->sys_oom) {
        snprintf(r->msg, sizeof r->msg, "out of memory");
    } else if (st == LUA_ERRMEM) {
        snprintf(r->msg, sizeof r->msg, "%smemory cap of %d KiB exceeded", r->mem_where,
                 (int)(r->lim.memory / 1024));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        snprintf(r->msg, sizeof r->msg, "%s", lua_tostring(L, -1));
    } else {
        snprintf(r->msg, sizeof r->msg, "(error object is a %s value)", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
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

/* Compile and run one rule file in the sandbox. Its chunk is named by the
 * file name alone, so that messages (stored with a case's error) are the
 * same whichever folder, or the database, the rule set was loaded from: a
 * replay must give the stored result. path (the folder too) is for the
 * messages of a failed load. */
static enum status load_file(struct rules *r, const char *name, const char *path,
                             const struct buf *src, struct err *err)
{
    lua_State *L = r->L;
    char chunkname[1024];
    int st;

    snprintf(chunkname, sizeof chunkname, "@%s", name);
    r->sys_oom = false;
    st = luaL_loadbufferx(L, src->data ? src->data : "", src->len, chunkname, "t"); /* +1 */
    if (st != LUA_OK && r->sys_oom) {
        lua_pop(L, 1);
        return err_set(err, ST_ENOMEM, "out of memory compiling \"%s\"", path);
    }
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);

        if (strstr(msg, name))
            err_set(err, ST_ERULES, "rule file does not compile: %s", msg);
        else /* e.g. bytecode refused: Lua's message names no file */
            err_set(err, ST_ERULES, "rule file does not compile: %s: %s", name, msg);
        err_detail(err, "the file: %s", path);
        err_hint(err, "Fix the rule file; nothing was written.");
        lua_pop(L, 1); /* remove message */
        return ST_ERULES;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref); /* chunk, env */
    if (!lua_setupvalue(L, -2, 1))                 /* chunk (its _ENV = env) */
        lua_pop(L, 1);
    st = protected_call(r, 0, 0, LOAD_FACTOR);
    if (st != LUA_OK && r->sys_oom)
        return err_set(err, ST_ENOMEM, "out of memory loading \"%s\"", path);
    if (st != LUA_OK) {
        err_set(err, ST_ERULES, "rule file fails to load: %s", r->msg);
        err_detail(err, "the file: %s", path);
        err_hint(err, "Fix the rule file; nothing was written.");
        return ST_ERULES;
    }
    return ST_OK;
}

void rules_limits_default(struct rules_limits *lim)
{
    lim->instructions = 5000000;
    lim->memory = 32u << 20;
    lim->time_ms = 250;
    lim->log = false;
}

void rules_limits_set(struct rules_limits *lim, bool log, long time_ms)
{
    rules_limits_default(lim);
    lim->log = log;
    if (time_ms > 0)
        lim->time_ms = time_ms;
}

/* Keep a copy of one file of the rule set (name, content). */
static bool keep_file(struct rules *r, const char *name, const char *data, size_t len)
{
    char **names = realloc(r->names, (size_t)(r->nfiles + 1) * sizeof *names);
    struct buf *files;

    if (!names)
        return false;
    r->names = names;
    files = realloc(r->files, (size_t)(r->nfiles + 1) * sizeof *files);
    if (!files)
        return false;
    r->files = files;
    memset(&files[r->nfiles], 0, sizeof files[r->nfiles]);
    if (!(names[r->nfiles] = strdup(name)))
        return false;
    if (!buf_add(&files[r->nfiles], data ? data : "", len) || !buf_addc(&files[r->nfiles], '\0')) {
        buf_fini(&files[r->nfiles]);
        free(names[r->nfiles]);
        return false;
    }
    files[r->nfiles].len = len; /* the NUL is a terminator, not content */
    r->nfiles++;
    return true;
}

/* The file names a MANIFEST lists, in order: one per line, blank lines and
 * # comments skipped. Calls fn for each; stops at the first failure. */
static enum status manifest_each(const struct buf *manifest, const char *where,
                                 enum status (*fn)(void *ud, const char *name, struct err *err),
                                 void *ud, int *count, struct err *err)
{
    char *copy = malloc(manifest->len + 1), *save = NULL;
    enum status st = ST_OK;

    *count = 0;
    if (!copy)
        return err_set(err, ST_ENOMEM, "out of memory");
    memcpy(copy, manifest->data ? manifest->data : "", manifest->len);
    copy[manifest->len] = '\0';
    for (char *line = strtok_r(copy, "\n", &save); line && st == ST_OK;
         line = strtok_r(NULL, "\n", &save)) {
        char *end = line + strlen(line);
        while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        if (strchr(line, '/') || strstr(line, "..") || strcmp(line, "MANIFEST") == 0) {
            st = err_set(err, ST_ERULES, "MANIFEST names \"%s\", which is not in the rule folder",
                         line);
            err_detail(err, "%s/MANIFEST", where);
            err_hint(err, "List plain file names of the rule folder, one per line.");
            break;
        }
        st = fn(ud, line, err);
        (*count)++;
    }
    free(copy);
    return st;
}

struct dir_reader {
    struct rules *r;
    const char *dir;
};

/* Is name a word of a '#' comment line of the MANIFEST (a module kept in
 * the folder, switched off: "# bx2025.lua")? */
static bool named_in_comment(const struct buf *manifest, const char *name)
{
    size_t n = strlen(name);
    const char *p = manifest->data ? manifest->data : "", *end = p + manifest->len;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *q = p;

        if (!eol)
            eol = end;
        while (q < eol && (*q == ' ' || *q == '\t'))
            q++;
        if (q < eol && *q == '#') {
            for (q++; q + n <= eol; q++)
                if (memcmp(q, name, n) == 0 && (q == p || q[-1] == ' ' || q[-1] == '#') &&
                    (q + n == eol || q[n] == ' ' || q[n] == '\r' || q[n] == '\t'))
                    return true;
        }
        p = eol + 1;
    }
    return false;
}

/* A .lua file of the folder that MANIFEST neither lists nor names in a
 * comment would be silently ignored: a maintainer who added a module and
 * forgot its line would believe it runs. */
static enum status check_unlisted(const struct rules *r, const struct buf *manifest,
                                  const char *dir, struct err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    enum status st = ST_OK;

    if (!d)
        return ST_OK; /* the files were read: nothing to add */
    while (st == ST_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        bool listed = false;

        if (len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0 || e->d_name[0] == '.')
            continue;
        for (int i = 1; i < r->nfiles && !listed; i++)
            listed = strcmp(r->names[i], e->d_name) == 0;
        if (listed || named_in_comment(manifest, e->d_name))
            continue;
        st = err_set(err, ST_ERULES, "%s/%s:1: not listed in MANIFEST, so it would not be loaded",
                     dir, e->d_name);
        err_hint(err,
                 "List it in %s/MANIFEST (the order matters: after the files it uses), or name "
                 "it in a '#' comment line there to keep it in the folder switched off.",
                 dir);
    }
    closedir(d);
    return st;
}

static enum status read_listed(void *ud, const char *name, struct err *err)
{
    struct dir_reader *d = ud;
    struct buf src = {0};
    char path[4096];
    enum status st;

    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    if ((st = read_file(path, &src, err)) == ST_OK && !keep_file(d->r, name, src.data, src.len))
        st = err_set(err, ST_ENOMEM, "out of memory");
    buf_fini(&src);
    return st;
}

/* Compile and run the kept files in order, freeze the environment, find
 * evaluate(); where: the folder or "rule set <id>", for messages. Chunks
 * are named by file name alone (see load_file); prefix/name, the file as
 * its maintainer knows it, goes into the messages of a failed load. */
/* The rule set's hash (see sql/004): its MANIFEST, then each file's name,
 * a NUL and its content. False when libcrypto could not start. */
static bool hash_kept(struct rules *r)
{
    struct sha256 sha;

    if (!sha256_init(&sha))
        return false;
    sha256_update(&sha, r->files[0].data, r->files[0].len);
    for (int i = 1; i < r->nfiles; i++) {
        sha256_update(&sha, r->names[i], strlen(r->names[i]) + 1);
        sha256_update(&sha, r->files[i].data, r->files[i].len);
    }
    sha256_hex(&sha, r->sha256);
    memcpy(r->id, r->sha256, 16);
    r->id[16] = '\0';
    return true;
}

static enum status load_kept_unprotected(struct rules *r, const char *prefix, const char *where,
                                         struct err *err)
{
    char path[4096];
    enum status st;

    sandbox_open(r->L, r->lim.log);                 /* env */
    r->env_ref = luaL_ref(r->L, LUA_REGISTRYINDEX); /* pops env */
    rules_api_init(r->L);
    for (int i = 1; i < r->nfiles; i++) {
        if (prefix)
            snprintf(path, sizeof path, "%s/%s", prefix, r->names[i]);
        else
            snprintf(path, sizeof path, "%s", r->names[i]);
        if ((st = load_file(r, r->names[i], path, &r->files[i], err)) != ST_OK)
            return st;
    }
    if (r->nfiles < 2) {
        err_set(err, ST_ERULES, "the rule set in \"%s\" lists no files", where);
        err_hint(err, "Name the rule files in %s/MANIFEST, one per line.", where);
        return ST_ERULES;
    }

    lua_rawgeti(r->L, LUA_REGISTRYINDEX, r->env_ref); /* env */
    lua_pushliteral(r->L, "evaluate");
    lua_rawget(r->L, -2); /* env, evaluate */
    if (!lua_isfunction(r->L, -1)) {
        lua_pop(r->L, 2);
        err_set(err, ST_ERULES, "the rule set in \"%s\" does not define evaluate(case)", where);
        err_hint(err, "Define a global function evaluate(case) in one of the rule files.");
        return ST_ERULES;
    }
    r->evaluate_ref = luaL_ref(r->L, LUA_REGISTRYINDEX); /* env */
    lua_pushliteral(r->L, "title");
    lua_rawget(r->L, -2); /* env, title: optional */
    if (lua_isfunction(r->L, -1))
        r->title_ref = luaL_ref(r->L, LUA_REGISTRYINDEX);
    else
        lua_pop(r->L, 1);
    if (!sandbox_freeze(r->L, -1)) {
        lua_pop(r->L, 1);
        return err_set(err, ST_ENOMEM, "out of memory freezing the rule set");
    }
    lua_pop(r->L, 1);
    lua_gc(r->L, LUA_GCCOLLECT);

    if (!hash_kept(r))
        return err_set(err, ST_ENOMEM, "out of memory hashing the rule set");
    return ST_OK;
}

struct load_args {
    struct rules *r;
    const char *prefix, *where;
    struct err *err;
    enum status st;
};

static int load_kept_cb(lua_State *L)
{
    struct load_args *a = lua_touserdata(L, 1);

    lua_pop(L, 1);
    a->st = load_kept_unprotected(a->r, a->prefix, a->where, a->err);
    return 0;
}

/* Open the sandbox and run the kept files, under lua_pcall: the Lua API
 * calls in between (tables, strings, references) raise a memory error
 * when the allocator says no, and unprotected that is a panic, which
 * aborts the process. */
static enum status load_kept(struct rules *r, const char *prefix, const char *where,
                             struct err *err)
{
    struct load_args a = {r, prefix, where, err, ST_OK};

    if (lua_gettop(r->L) != 0 || !lua_checkstack(r->L, 8))
        return err_set(err, ST_ENOMEM, "out of memory");
    lua_pushcfunction(r->L, load_kept_cb);
    lua_pushlightuserdata(r->L, &a);
    if (lua_pcall(r->L, 1, 0, 0) != LUA_OK) {
        lua_settop(r->L, 0);
        return err_set(err, ST_ENOMEM, "out of memory loading the rule set");
    }
    return a.st;
}

/* A new engine with its state and clock, nothing loaded. */
static enum status engine_new(struct rules **out, const struct rules_limits *lim, struct err *err)
{
    struct rules *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r) {
        err_set(err, ST_ENOMEM, "out of memory");
        return ST_ENOMEM;
    }
    r->lim = *lim;
    r->trace = true;
    r->evaluate_ref = r->env_ref = r->title_ref = LUA_NOREF;
    r->L = lua_newstate(rules_alloc, r);
    if (!r->L) {
        free(r);
        err_set(err, ST_ENOMEM, "could not create the Lua state");
        return ST_ENOMEM;
    }
    *(struct rules **)lua_getextraspace(r->L) = r; /* for the message handler */
    *out = r;
    if (!timer_ready(r)) {
        err_set(err, ST_EIO, "could not start the clock of the rules: %s", strerror(errno));
        err_hint(err, "The rules run under a POSIX timer (timer_create) and SIGALRM; check that "
                      "nothing blocks them.");
        return ST_EIO;
    }
    return ST_OK;
}

enum status rules_load(struct rules **out, const char *dir, const struct rules_limits *lim,
                       struct err *err)
{
    struct rules *r = NULL;
    struct buf manifest = {0};
    char path[4096];
    enum status st;
    int listed = 0;

    if ((st = engine_new(&r, lim, err)) != ST_OK)
        goto done;
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    if ((st = read_file(path, &manifest, err)) != ST_OK)
        goto done;
    if (!keep_file(r, "MANIFEST", manifest.data, manifest.len)) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    {
        struct dir_reader d = {r, dir};
        if ((st = manifest_each(&manifest, dir, read_listed, &d, &listed, err)) != ST_OK)
            goto done;
    }
    if (listed > 0 && (st = check_unlisted(r, &manifest, dir, err)) != ST_OK)
        goto done;
    st = load_kept(r, dir, dir, err);
done:
    buf_fini(&manifest);
    if (st != ST_OK) {
        rules_free(r);
        return st;
    }
    *out = r;
    return ST_OK;
}

struct mem_reader {
    int i, n;
    const char *const *names;
    bool ok;
};

static enum status check_listed(void *ud, const char *name, struct err *err)
{
    struct mem_reader *m = ud;

    (void)err;
    m->i++;
    if (m->i >= m->n || strcmp(m->names[m->i], name) != 0)
        m->ok = false;
    return ST_OK;
}

enum status rules_load_stored(struct rules **out, const char *id, int n, const char *const *names,
                              const char *const *data, const size_t *lens,
                              const struct rules_limits *lim, struct err *err)
{
    struct rules *r = NULL;
    char where[64];
    enum status st;
    int listed = 0;

    snprintf(where, sizeof where, "rule set %s", id);
    if ((st = engine_new(&r, lim, err)) != ST_OK)
        goto done;
    if (n < 2 || strcmp(names[0], "MANIFEST") != 0) {
        st = err_set(err, ST_EDB, "%s is stored without its MANIFEST and files", where);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (!keep_file(r, names[i], data[i], lens[i])) {
            st = err_set(err, ST_ENOMEM, "out of memory");
            goto done;
        }
    {
        /* The stored files must be the ones the MANIFEST lists, in order. */
        struct mem_reader m = {0, n, names, true};
        if ((st = manifest_each(&r->files[0], where, check_listed, &m, &listed, err)) != ST_OK)
            goto done;
        if (!m.ok || listed != n - 1) {
            st = err_set(err, ST_EDB, "the files stored for %s are not those its MANIFEST lists",
                         where);
            goto done;
        }
    }
    if ((st = load_kept(r, NULL, where, err)) != ST_OK)
        goto done;
    if (strcmp(r->id, id) != 0) {
        st = err_set(err, ST_EDB, "the files stored for %s hash to %s", where, r->id);
        err_hint(err, "The stored rule set was altered; it cannot be replayed.");
    }
done:
    if (st != ST_OK) {
        rules_free(r);
        return st;
    }
    *out = r;
    return ST_OK;
}

int rules_nfiles(const struct rules *r)
{
    return r->nfiles;
}

const char *rules_file(const struct rules *r, int i, const char **data, size_t *len)
{
    *data = r->files[i].data;
    *len = r->files[i].len;
    return r->names[i];
}

struct param_walk {
    rules_param_fn fn;
    void *ud;
    char path[512];
};

/* Walk the table at the top of the stack, its path in w->path. */
static void walk_params(lua_State *L, struct param_walk *w, int depth)
{
    size_t len = strlen(w->path);

    if (depth > 8)
        return;
    sandbox_contents(L, -1);
    lua_pushnil(L);
    while (lua_next(L, -2)) { /* table, key, value */
        char key[128];

        if (lua_type(L, -2) == LUA_TSTRING)
            snprintf(key, sizeof key, "%s", lua_tostring(L, -2));
        else if (lua_isinteger(L, -2))
            snprintf(key, sizeof key, "%lld", (long long)lua_tointeger(L, -2));
        else
            key[0] = '\0';
        if (key[0]) {
            snprintf(w->path + len, sizeof w->path - len, "%s%s", len ? "." : "", key);
            if (lua_type(L, -1) == LUA_TNUMBER)
                w->fn(w->ud, w->path, lua_tonumber(L, -1));
            else if (lua_type(L, -1) == LUA_TTABLE)
                walk_params(L, w, depth + 1);
            w->path[len] = '\0';
        }
        lua_pop(L, 1); /* keep the key */
    }
}

static int each_param_cb(lua_State *L)
{
    struct param_walk *w = lua_touserdata(L, 2);

    lua_settop(L, 1); /* env */
    sandbox_contents(L, 1);
    lua_pushliteral(L, "PARAMS");
    lua_rawget(L, 1);
    if (lua_type(L, -1) == LUA_TTABLE)
        walk_params(L, w, 0);
    return 0;
}

enum status rules_each_param(struct rules *r, rules_param_fn fn, void *ud, struct err *err)
{
    struct param_walk w = {fn, ud, ""};

    if (!lua_checkstack(r->L, 8))
        return err_set(err, ST_ENOMEM, "out of memory");
    lua_pushcfunction(r->L, each_param_cb);
    lua_rawgeti(r->L, LUA_REGISTRYINDEX, r->env_ref);
    lua_pushlightuserdata(r->L, &w);
    if (lua_pcall(r->L, 2, 0, 0) != LUA_OK) {
        lua_pop(r->L, 1);
        return err_set(err, ST_ENOMEM, "out of memory reading the parameters");
    }
    return ST_OK;
}

const char *rules_sha256(const struct rules *r)
{
    return r->sha256;
}

void rules_set_trace(struct rules *r, bool on)
{
    r->trace = on;
}

bool rules_trace(const struct rules *r)
{
    return r->trace;
}

void rules_set_traceback(struct rules *r, bool on)
{
    r->traceback = on;
}

const char *rules_id(const struct rules *r)
{
    return r->id;
}

/* ----------------------------------------------------------------------
 * Evaluation
 * ----------------------------------------------------------------------
 */

/* evaluate(case, trace) for the charge at 2, with evaluate at 1 and the
 * trace flag at 3: one protected call for building the case and running
 * the rules. */
static int eval_protected(lua_State *L)
{
    const struct charge *c = lua_touserdata(L, 2);
    int trace = lua_toboolean(L, 3);

    lua_settop(L, 1);
    rules_api_push_case(L, c);
    lua_pushboolean(L, trace);
    lua_call(L, 2, 1);
    return 1;
}

struct read_args {
    bool trace;
    struct rec *out;
    char *msg;
    size_t len;
    bool ok;
};

/* rules_api_read_rec on the result at 1: the strings it looks up and
 * converts may need memory. */
static int read_protected(lua_State *L)
{
    struct read_args *a = lua_touserdata(L, 2);

    a->ok = rules_api_read_rec(L, 1, a->trace, a->out, a->msg, a->len);
    return 0;
}

enum status rules_eval(struct rules *r, const struct charge *c, struct rec *out, struct err *err)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    char msg[512];
    int st;

    rec_fini(out);
    if (!timer_ready(r))
        return err_set(err, ST_EIO, "could not start the clock of the rules in process %ld: %s",
                       (long)getpid(), strerror(errno));
    lua_pushcfunction(L, eval_protected);               /* fn */
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->evaluate_ref); /* fn, evaluate */
    lua_pushlightuserdata(L, (void *)(uintptr_t)c);     /* fn, evaluate, c */
    lua_pushboolean(L, r->trace);                       /* fn, evaluate, c, trace */
    st = protected_call(r, 3, 1, 1);                    /* result | nothing */
    /* Shared variables are put back after every case, also one that
     * failed (its error stands, it says why). */
    if (!sandbox_shared_check(L, msg, sizeof msg) && st == LUA_OK) {
        char full[600];
        snprintf(full, sizeof full, "rule error: %s", msg);
        rec_set_error(out, ERROR_RULE, full);
        lua_settop(L, top);
    } else if (st != LUA_OK && r->sys_oom) {
        /* The machine, not the case: the run fails and a rerun evaluates
         * the case again, rather than store an error it does not have. */
        lua_settop(L, top);
        lua_gc(L, LUA_GCCOLLECT);
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    } else if (st != LUA_OK && r->data_error) {
        rec_set_error(out, ERROR_DATA, r->msg);
        lua_settop(L, top);
    } else if (st != LUA_OK) {
        snprintf(msg, sizeof msg, "rule error: %s", r->msg);
        rec_set_error(out, ERROR_RULE, msg);
        lua_settop(L, top);
        lua_gc(L, LUA_GCCOLLECT); /* reclaim what a memory bomb left */
    } else {
        struct read_args a = {r->trace, out, msg, sizeof msg, false};

        lua_pushcfunction(L, read_protected); /* result, fn */
        lua_insert(L, -2);                    /* fn, result */
        lua_pushlightuserdata(L, &a);         /* fn, result, args */
        if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
            lua_settop(L, top);
            rec_fini(out);
            return err_set(err, ST_ENOMEM, "out of memory reading a case's result");
        }
        if (!a.ok) {
            char full[600];
            snprintf(full, sizeof full, "rule result malformed: %s", msg);
            rec_set_error(out, ERROR_RULE, full);
        }
        lua_settop(L, top);
    }
    if (!out->present[R_STATUS])
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    /* An error the rules return is about the case (the law or its facts);
     * one they do not classify is taken to be about the facts. */
    if (out->num[R_STATUS] == STATUS_ERROR && !out->present[R_ERROR_KIND]) {
        if (!rec_set_text(out, R_ERROR_KIND, error_kind_values[ERROR_DATA]))
            return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
        out->num[R_ERROR_KIND] = ERROR_DATA;
    }
    if (!rec_set_text(out, R_RULE_SET, r->id) ||
        !rec_set_text(out, R_CASE_NO, c->acts[0].text[F_CASE_NO]) ||
        !rec_set_text(out, R_DEFENDANT_NO, c->acts[0].text[F_DEFENDANT_NO]) ||
        !rec_set_text(out, R_OFFENSE, c->acts[0].text[F_OFFENSE]))
        return err_set(err, ST_ENOMEM, "out of memory evaluating a case");
    out->num[R_OFFENSE] = c->acts[0].num[F_OFFENSE];
    return ST_OK;
}

/* title(cite) with title at 1 and the cite (a C string) at 2. */
static int title_protected(lua_State *L)
{
    const char *cite = lua_touserdata(L, 2);

    lua_settop(L, 1);
    lua_pushstring(L, cite);
    lua_call(L, 1, 1);
    return 1;
}

bool rules_title(struct rules *r, const char *cite, char *out, size_t len)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    char msg[512];
    bool ok = false;

    out[0] = '\0';
    if (r->title_ref == LUA_NOREF || !timer_ready(r) || !lua_checkstack(L, 4))
        return false;
    lua_pushcfunction(L, title_protected);
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->title_ref);
    lua_pushlightuserdata(L, (void *)(uintptr_t)cite);
    if (protected_call(r, 2, 1, 1) == LUA_OK) {
        size_t n;
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;

        if (s && n > 0 && n < len && utf8_valid(s, n) && !memchr(s, '\0', n)) {
            memcpy(out, s, n + 1);
            ok = true;
        }
    }
    /* like a case: what title() changed of the shared state is put back */
    if (!sandbox_shared_check(L, msg, sizeof msg))
        ok = false;
    lua_settop(L, top);
    if (!ok)
        out[0] = '\0';
    return ok;
}

void rules_free(struct rules *r)
{
    if (!r)
        return;
    if (r->timer_pid == getpid())
        timer_delete(r->timer);
    if (r->L)
        lua_close(r->L);
    for (int i = 0; i < r->nfiles; i++) {
        free(r->names[i]);
        buf_fini(&r->files[i]);
    }
    free(r->names);
    free(r->files);
    free(r);
}

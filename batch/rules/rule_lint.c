/*-------------------------------------------------------------------------
 * rule_lint.c
 *     Static checks of a rule set (see rule_lint.h): a small Lua lexer
 *     over each file for field names and citation ids, and a walk of the
 *     loaded PARAMS for bands, signs and the citation each number carries
 *     in the parameter file's comments.
 *
 * The field check is deliberately simple: a name read as `x.name` must be
 * defined somewhere in the rule set (`name = ...` in a table or an
 * assignment, `function x.name`, or a string literal, for keys built at
 * run time), or be a fact, a result column, a key of the case table or a
 * library function. A misspelling is defined nowhere, whichever branch
 * reads it.
 *
 * About 760 lines, on purpose in one file: a Lua lexer of its own (Lua's
 * parser compiles straight to bytecode and exposes no syntax tree), and
 * the field, citation and parameter checks, each short, that share it.
 *
 * batch/rules/rule_lint.c
 *-------------------------------------------------------------------------
 */
#include "rule_lint.h"

#include "case.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- a Lua lexer: names, strings, operators; comments skipped ---- */

enum tok_kind { T_NAME, T_STRING, T_OP, T_NUMBER, T_END };

struct tok {
    enum tok_kind kind;
    const char *s; /* into the source (a string: its contents, escapes as written) */
    size_t n;
    int line;
};

struct lexer {
    const char *p, *end;
    int line;
};

/* At '[': the level of a long bracket [==[ (>= 0), or -1. */
static int long_open(const char *p, const char *end)
{
    int level = 0;

    if (p >= end || *p != '[')
        return -1;
    for (p++; p < end && *p == '='; p++)
        level++;
    return p < end && *p == '[' ? level : -1;
}

/* Skip a long bracket of the level at lx->p; contents in *s, *n. */
static void long_skip(struct lexer *lx, int level, const char **s, size_t *n)
{
    const char *p = lx->p + level + 2;

    *s = p;
    for (; p < lx->end; p++) {
        if (*p == '\n')
            lx->line++;
        if (*p == ']') {
            const char *q = p + 1;
            int k = 0;

            while (q < lx->end && *q == '=' && k < level)
                q++, k++;
            if (k == level && q < lx->end && *q == ']') {
                *n = (size_t)(p - *s);
                lx->p = q + 1;
                return;
            }
        }
    }
    *n = (size_t)(lx->end - *s);
    lx->p = lx->end;
}

static bool next_tok(struct lexer *lx, struct tok *t)
{
    for (;;) {
        while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (lx->p + 1 < lx->end && lx->p[0] == '-' && lx->p[1] == '-') {
            const char *s;
            size_t n;
            int level;

            lx->p += 2;
            if ((level = long_open(lx->p, lx->end)) >= 0) {
                long_skip(lx, level, &s, &n);
            } else {
                while (lx->p < lx->end && *lx->p != '\n')
                    lx->p++;
            }
            continue;
        }
        break;
    }
    t->line = lx->line;
    if (lx->p >= lx->end) {
        t->kind = T_END;
        return false;
    }
    const char *p = lx->p;
    int level;

    if (isalpha((unsigned char)*p) || *p == '_') {
        while (p < lx->end && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        t->kind = T_NAME;
    } else if (isdigit((unsigned char)*p) ||
               (*p == '.' && p + 1 < lx->end && isdigit((unsigned char)p[1]))) {
        while (p < lx->end && (isalnum((unsigned char)*p) || *p == '.' ||
                               ((*p == '+' || *p == '-') &&
                                (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))))
            p++;
        t->kind = T_NUMBER;
    } else if (*p == '"' || *p == '\'') {
        char q = *p++;

        t->kind = T_STRING;
        t->s = p;
        while (p < lx->end && *p != q && *p != '\n') {
            if (*p == '\\' && p + 1 < lx->end) {
                if (p[1] == '\n')
                    lx->line++;
                p++;
            }
            p++;
        }
        t->n = (size_t)(p - t->s);
        lx->p = p < lx->end ? p + 1 : p;
        return true;
    } else if ((level = long_open(p, lx->end)) >= 0) {
        t->kind = T_STRING;
        long_skip(lx, level, &t->s, &t->n);
        return true;
    } else {
        static const char *const ops[] = {
            "...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>", NULL};
        size_t k = 1;

        for (int i = 0; ops[i]; i++)
            if ((size_t)(lx->end - p) >= strlen(ops[i]) && !strncmp(p, ops[i], strlen(ops[i]))) {
                k = strlen(ops[i]);
                break;
            }
        p += k;
        t->kind = T_OP;
    }
    t->s = lx->p;
    t->n = (size_t)(p - lx->p);
    lx->p = p;
    return true;
}

static bool is_op(const struct tok *t, const char *op)
{
    return t->kind == T_OP && t->n == strlen(op) && memcmp(t->s, op, t->n) == 0;
}

static bool is_name(const struct tok *t, const char *name)
{
    return t->kind == T_NAME && t->n == strlen(name) && memcmp(t->s, name, t->n) == 0;
}

/* ---- sets of names ---- */

struct names {
    char **v;
    size_t n, cap;
    bool sorted;
};

static bool names_add(struct names *s, const char *p, size_t n)
{
    char *copy;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        char **v = realloc(s->v, cap * sizeof *v);

        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    if (!(copy = malloc(n + 1)))
        return false;
    memcpy(copy, p, n);
    copy[n] = '\0';
    s->v[s->n++] = copy;
    s->sorted = false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(struct names *s, const char *name)
{
    if (!s->sorted) {
        if (s->n > 1)
            qsort(s->v, s->n, sizeof *s->v, cmp_str);
        s->sorted = true;
    }
    return s->n > 0 && bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void names_fini(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static bool is_identifier(const char *p, size_t n)
{
    if (n == 0 || n > 64 || !(isalpha((unsigned char)*p) || *p == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '_')
            return false;
    return true;
}

/* What the host gives a rule besides the facts and result columns, and the
 * functions of the libraries the sandbox offers (sandbox.c). */
static const char *const host_names[] = {
    "acts", "case_no", "defendant_no", "offense", "run_date", "assumed",
    /* string */
    "byte", "char", "find", "format", "len", "lower", "rep", "reverse", "sub", "upper",
    /* table */
    "concat", "insert", "move", "remove", "sort", "unpack",
    /* math */
    "abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log", "max", "maxinteger", "min",
    "mininteger", "modf", "pi", "rad", "sin", "sqrt", "tan", "tointeger", "type", "ult", "atan",
    "asin", "acos",
    /* utf8 */
    "codes", "codepoint", "offset", "charpattern", NULL};

/* ---- citation ids (legal-rules.md 8.1) ---- */

static const char *const sources[] = {"CL",     "I2019",  "P2000",  "G2021", "G2024",
                                      "TF2021", "DK2022", "BX2025", NULL};

/* digits from lo to hi at p (all of the rest up to end or stop) */
static const char *number(const char *p, long lo, long hi)
{
    char *e;
    long v;

    if (!isdigit((unsigned char)*p))
        return NULL;
    v = strtol(p, &e, 10);
    return v >= lo && v <= hi ? e : NULL;
}

/* Exactly a number from lo to hi at p. */
static bool whole(const char *p, long lo, long hi)
{
    const char *e = number(p, lo, hi);

    return e && *e == '\0';
}

/* ART[.ITEM] at p and nothing after: ART from 1 to art_hi, ITEM from 1 to
 * item_hi, or with para also pN (a paragraph, I2019:12.p2). */
static bool art_item(const char *p, long art_hi, long item_hi, bool para)
{
    const char *e = number(p, 1, art_hi);

    if (!e)
        return false;
    if (*e == '\0')
        return true;
    if (*e != '.')
        return false;
    e++;
    if (para && *e == 'p')
        return whole(e + 1, 1, 9);
    return whole(e, 1, item_hi);
}

bool rule_lint_citation_ok(const char *id)
{
    static const char *const cl[] = {"286-1", "287-1", "287-2", "37-1", "38", "72", "73", "74",
                                     "17",    "17-1",  "65",    "67",   "68", "27", "12", NULL};
    const char *colon = strchr(id, ':'), *p;

    if (!colon)
        return strcmp(id, "G2024") == 0;
    p = colon + 1;
    if (!strncmp(id, "CL:", 3)) {
        for (int i = 0; cl[i]; i++)
            if (!strcmp(p, cl[i]))
                return true;
        return false;
    }
    if (!strncmp(id, "I2019:", 6))
        return art_item(p, 19, 9, true);
    if (!strncmp(id, "P2000:", 6))
        return whole(p, 1, 9);
    if (!strncmp(id, "G2021:", 6))
        return art_item(p, 3, 23, false);
    if (!strncmp(id, "TF2021:", 7))
        return !strcmp(p, "9.1") || !strcmp(p, "9.2");
    if (!strncmp(id, "DK2022:", 7))
        return !strcmp(p, "4");
    if (!strncmp(id, "BX2025:", 7))
        return whole(p, 1, 11);
    return false;
}

/* A string that names a source: a bare source id, a citation id (checked),
 * or a malformed one ("CL67", "G2021 3.6"). Other strings are not
 * citations. Returns a finding's message, or NULL. */
static const char *check_citation(const char *s, size_t n, char *msg, size_t len)
{
    char id[40];

    if (n == 0 || n >= sizeof id || memchr(s, ';', n) || memchr(s, '\n', n))
        return NULL;
    memcpy(id, s, n);
    id[n] = '\0';
    for (int i = 0; sources[i]; i++) {
        size_t k = strlen(sources[i]);
        const char *rest = id + k;

        if (strncmp(id, sources[i], k) != 0)
            continue;
        if (*rest == '\0')
            return NULL;
        if (*rest == ':') {
            if (rule_lint_citation_ok(id))
                return NULL;
            snprintf(msg, len,
                     "citation id '%s' is not in legal-rules.md 8.1 (for example CL:287-2, "
                     "I2019:12.2, I2019:12.p2, G2021:3.6, P2000:2, TF2021:9.1)",
                     id);
            return msg;
        }
        if (isdigit((unsigned char)*rest) || *rest == '.' ||
            (*rest == ' ' && isdigit((unsigned char)rest[1]))) {
            snprintf(msg, len,
                     "malformed citation id '%s': write %s:<provision> (legal-rules.md 8.1)", id,
                     sources[i]);
            return msg;
        }
    }
    return NULL;
}

/* ---- the files ---- */

struct linter {
    const char *dir;
    FILE *out;
    long *findings;
};

static void finding(struct linter *l, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(struct linter *l, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(l->out, "%s/%s:%d: ", l->dir, file, line);
    va_start(ap, fmt);
    vfprintf(l->out, fmt, ap);
    va_end(ap);
    fputc('\n', l->out);
    (*l->findings)++;
}

struct file_toks {
    struct tok *v;
    size_t n;
};

static bool lex_file(const char *data, size_t len, struct file_toks *ft)
{
    struct lexer lx = {data, data + len, 1};
    size_t cap = 0;
    struct tok t;

    ft->v = NULL;
    ft->n = 0;
    for (;;) {
        bool more = next_tok(&lx, &t);

        if (ft->n == cap) {
            size_t c = cap ? 2 * cap : 1024;
            struct tok *v = realloc(ft->v, c * sizeof *v);

            if (!v)
                return false;
            ft->v = v;
            cap = c;
        }
        ft->v[ft->n++] = t;
        if (!more)
            return true;
    }
}

/* Is the name at i part of `function a.b.name(`? */
static bool in_function_name(const struct file_toks *ft, size_t i)
{
    while (i > 0) {
        const struct tok *t = &ft->v[i - 1];

        if (is_name(t, "function"))
            return true;
        if (!(t->kind == T_NAME || is_op(t, ".") || is_op(t, ":")))
            return false;
        i--;
    }
    return false;
}

/* Collect what the file defines. */
static bool collect_defs(const struct file_toks *ft, struct names *defs)
{
    for (size_t i = 0; i < ft->n; i++) {
        const struct tok *t = &ft->v[i];

        if (t->kind == T_STRING && is_identifier(t->s, t->n) && !names_add(defs, t->s, t->n))
            return false;
        if (t->kind != T_NAME)
            continue;
        if ((i + 1 < ft->n && is_op(&ft->v[i + 1], "=")) ||
            (i > 0 && is_op(&ft->v[i - 1], ".") && in_function_name(ft, i)))
            if (!names_add(defs, t->s, t->n))
                return false;
    }
    return true;
}

static void check_uses(struct linter *l, const char *file, const struct file_toks *ft,
                       struct names *defs)
{
    char msg[256];

    for (size_t i = 0; i < ft->n; i++) {
        const struct tok *t = &ft->v[i];

        if (t->kind == T_STRING) {
            if (check_citation(t->s, t->n, msg, sizeof msg))
                finding(l, file, t->line, "%s", msg);
            continue;
        }
        if (t->kind != T_NAME || i == 0 || !is_op(&ft->v[i - 1], "."))
            continue;
        {
            char name[72];

            if (t->n >= sizeof name)
                continue;
            memcpy(name, t->s, t->n);
            name[t->n] = '\0';
            if (!names_has(defs, name))
                finding(l, file, t->line,
                        "'%s' is defined nowhere in the rule set: not a fact, a result column, a "
                        "parameter or a library function (misspelt?)",
                        name);
        }
    }
}

/* ---- parameters ---- */

struct param {
    char *path;
    double value;
};

struct params {
    struct param *v;
    size_t n, cap;
    bool oom;
};

static void on_param(void *ud, const char *path, double value)
{
    struct params *ps = ud;

    if (ps->oom)
        return;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 128;
        struct param *v = realloc(ps->v, cap * sizeof *v);

        if (!v) {
            ps->oom = true;
            return;
        }
        ps->v = v;
        ps->cap = cap;
    }
    if (!(ps->v[ps->n].path = strdup(path))) {
        ps->oom = true;
        return;
    }
    ps->v[ps->n++].value = value;
}

static const struct param *param_find(const struct params *ps, const char *path)
{
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->v[i].path, path))
            return &ps->v[i];
    return NULL;
}

/* The first line at or after from (1-based) where `key =` appears;
 * 0 when there is none. */
static int key_line(const char *src, size_t len, const char *key, size_t kn, int from)
{
    const char *p = src, *end = src + len;
    int line = 1;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (!eol)
            eol = end;
        for (const char *q = p; line >= from && q + kn < eol; q++) {
            if (memcmp(q, key, kn) != 0 ||
                (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_')))
                continue;
            const char *r = q + kn;
            while (r < eol && *r == ' ')
                r++;
            if (r < eol && *r == '=' && (r + 1 >= eol || r[1] != '='))
                return line;
        }
        line++;
        p = eol + 1;
    }
    return 0;
}

/* The line of a parameter in the parameter file: each key of its dotted
 * path looked up after the line of the one before (an array index stops
 * at its table). 1 when not found. */
static int param_line(const char *src, size_t len, const char *path)
{
    int line = 1;

    for (const char *k = path; *k;) {
        const char *dot = strchr(k, '.');
        size_t kn = dot ? (size_t)(dot - k) : strlen(k);
        int at;

        if (isdigit((unsigned char)*k))
            break;
        if (!(at = key_line(src, len, k, kn, line)))
            break;
        line = at;
        k = dot ? dot + 1 : k + kn;
    }
    return line;
}

/* Line ln (1-based) of src: its start and length, or false past the end. */
static bool line_at(const char *src, size_t len, int ln, const char **start, size_t *n)
{
    const char *p = src, *end = src + len, *nl;

    for (int i = 1; i < ln; i++) {
        if (!(nl = memchr(p, '\n', (size_t)(end - p))))
            return false;
        p = nl + 1;
    }
    nl = memchr(p, '\n', (size_t)(end - p));
    *start = p;
    *n = (size_t)((nl ? nl : end) - p);
    return true;
}

/* The line before the one starting at line (src <= line): false at the
 * first line. */
static bool line_before(const char *src, const char **line, size_t *n)
{
    const char *end = *line, *p;

    if (end <= src)
        return false;
    end--; /* its newline */
    for (p = end; p > src && p[-1] != '\n'; p--)
        ;
    *line = p;
    *n = (size_t)(end - p);
    return true;
}

/* Does text (n bytes) name a source of legal-rules.md 8.1 as a word: a
 * citation id (I2019:12.2) or its source alone (TF2021 Art. 9, G2024)? */
static bool names_source(const char *text, size_t n)
{
    for (int i = 0; sources[i]; i++) {
        size_t k = strlen(sources[i]);

        for (const char *q = text; q + k <= text + n; q++) {
            const char *after = q + k;

            if (memcmp(q, sources[i], k) != 0 ||
                (q > text && (isalnum((unsigned char)q[-1]) || q[-1] == '_')))
                continue;
            if (after == text + n || !isalnum((unsigned char)*after))
                return true;
        }
    }
    return false;
}

/* Does the parameter on line ln carry a citation: a source of 8.1 named on
 * its line (a comment, or a cite field), or in the comment lines right
 * above it, above the run of parameter lines it belongs to or above the
 * key of its table (one comment may cite a group of numbers)? */
static bool param_cited(const char *src, size_t len, int ln)
{
    const char *p;
    size_t n;
    bool in_comment = false;

    if (!line_at(src, len, ln, &p, &n))
        return false;
    if (names_source(p, n)) /* its comment, or a cite = "G2021:3.6" beside it */
        return true;
    while (line_before(src, &p, &n)) {
        size_t k = 0;

        while (k < n && (p[k] == ' ' || p[k] == '\t'))
            k++;
        if (k == n)
            return false; /* a blank line ends the group */
        if (n - k >= 2 && p[k] == '-' && p[k + 1] == '-') {
            in_comment = true;
            if (names_source(p + k, n - k))
                return true;
            continue;
        }
        /* code: another parameter of the group, or the key of the table
         * that holds it (its comment cites the table's numbers); a table
         * that closes here, or code above the comment, ends the group */
        if (in_comment || memchr(p, '}', n))
            return false;
    }
    return false;
}

static void check_params(struct linter *l, const struct params *ps, const char *file,
                         const char *src, size_t len)
{
    for (size_t i = 0; i < ps->n; i++) {
        const char *path = ps->v[i].path;
        double v = ps->v[i].value;
        size_t n = strlen(path);

        {
            /* array elements (band.1, band.2) share their key's line:
             * reported once */
            int ln = param_line(src, len, path);
            const char *last = strrchr(path, '.');
            bool later = last && isdigit((unsigned char)last[1]) && strcmp(last + 1, "1") != 0;

            if (!later && !param_cited(src, len, ln))
                finding(l, file, ln,
                        "PARAMS.%s = %g cites no provision: name its citation id (legal-rules.md "
                        "8.1, e.g. -- LAW I2019:12.2) in a comment on its line or right above it",
                        path, v);
        }
        if (!strncmp(path, "adjust.", 7)) {
            char base[256], key[300];
            const struct param *lo, *hi, *cap;

            if (n < 4 || strcmp(path + n - 4, ".pct") != 0 || n - 4 >= sizeof base)
                continue;
            memcpy(base, path, n - 4);
            base[n - 4] = '\0';
            snprintf(key, sizeof key, "%s.band.1", base);
            lo = param_find(ps, key);
            snprintf(key, sizeof key, "%s.band.2", base);
            hi = param_find(ps, key);
            snprintf(key, sizeof key, "%s.cap", base);
            cap = param_find(ps, key);
            if (lo && hi && (v < lo->value || v > hi->value || lo->value > hi->value))
                finding(l, file, param_line(src, len, path),
                        "PARAMS.%s = %g lies outside its guideline band %g..%g", path, v, lo->value,
                        hi->value);
            else if (!lo && cap && (v < cap->value || v > 0))
                finding(l, file, param_line(src, len, path),
                        "PARAMS.%s = %g lies outside 0..%g (its cap)", path, v, cap->value);
            else if (!lo && !cap)
                finding(l, file, param_line(src, len, path),
                        "PARAMS.%s has no guideline band (band = { lo, hi }) to check it against",
                        path);
            continue;
        }
        if (v < 0)
            finding(l, file, param_line(src, len, path),
                    "PARAMS.%s = %g is negative: outside PARAMS.adjust every parameter is a count, "
                    "an amount, a period or a percentage of at least 0",
                    path, v);
    }
}

enum status rule_lint(struct rules *r, const char *dir, FILE *out, long *findings, struct err *err)
{
    struct linter l = {dir, out, findings};
    struct names defs = {0};
    struct params ps = {0};
    int nfiles = rules_nfiles(r);
    struct file_toks *ft = calloc((size_t)nfiles + 1, sizeof *ft);
    enum status st = ST_OK;
    bool ok = ft != NULL;

    *findings = 0;
    for (int i = 0; host_names[i] && ok; i++)
        ok = names_add(&defs, host_names[i], strlen(host_names[i]));
    for (int f = 0; f < F__COUNT && ok; f++)
        ok = names_add(&defs, case_fields[f].name, strlen(case_fields[f].name));
    for (int f = 0; f < R__COUNT && ok; f++)
        ok = names_add(&defs, rec_fields[f].name, strlen(rec_fields[f].name));
    /* file 0 is the MANIFEST */
    for (int i = 1; i < nfiles && ok; i++) {
        const char *data;
        size_t len;

        rules_file(r, i, &data, &len);
        ok = lex_file(data, len, &ft[i]) && collect_defs(&ft[i], &defs);
    }
    if (!ok) {
        st = err_set(err, ST_ENOMEM, "out of memory checking the rule set");
        goto done;
    }
    for (int i = 1; i < nfiles; i++)
        check_uses(&l, rules_file(r, i, &(const char *){NULL}, &(size_t){0}), &ft[i], &defs);

    if ((st = rules_each_param(r, on_param, &ps, err)) != ST_OK)
        goto done;
    if (ps.oom) {
        st = err_set(err, ST_ENOMEM, "out of memory checking the parameters");
        goto done;
    }
    {
        /* the file that assigns PARAMS (params.lua in the shipped set) */
        const char *file = "params.lua", *data = "";
        size_t len = 0;

        for (int i = 1; i < nfiles; i++) {
            const char *d;
            size_t n;
            const char *name = rules_file(r, i, &d, &n);

            if (key_line(d, n, "PARAMS", 6, 1)) {
                file = name, data = d, len = n;
                break;
            }
        }
        check_params(&l, &ps, file, data, len);
    }
done:
    for (int i = 0; ft && i < nfiles; i++)
        free(ft[i].v);
    free(ft);
    for (size_t i = 0; i < ps.n; i++)
        free(ps.v[i].path);
    free(ps.v);
    names_fini(&defs);
    return st;
}

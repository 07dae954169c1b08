/*-------------------------------------------------------------------------
 * rule_tests.c
 *     The golden rule tests (see rule_tests.h): each folder of the tests
 *     holds cases.csv (interchange format) and expected.csv (the key
 *     columns and any recommendations.csv columns to check; see
 *     tests/rules/README.md). Every case is evaluated with the trace and
 *     without, and both results must agree (a replay by explain must give
 *     what the run stored). Failures are reported as FILE:LINE: KEY:
 *     column: expected, got.
 *
 * batch/rules/rule_tests.c
 *-------------------------------------------------------------------------
 */
#include "rule_tests.h"

#include "buf.h"
#include "casefile.h"
#include "csvin.h"
#include "csvout.h"
#include "csvtable.h"
#include "log.h"
#include "recommend.h"
#include "rule_lint.h"
#include "value.h"

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tally {
    long passed, failed, accepted;
    FILE *out;          /* where failures are reported */
    const regex_t *sel; /* --run: the tests to run, NULL: all */
    bool explain;       /* --explain: the trace of each failing case */
    bool accept;        /* --accept: rewrite failing expectations from the results */
};

/* ---- cases.csv -> charges ---- */

static void on_case_reject(void *ud, const struct csvin_reject *rej)
{
    struct tally *t = ud;

    fprintf(t->out, "%s:%ld: %s: %s (test data rejected)\n", rej->file, rej->line,
            rej->column[0] ? rej->column : "(row)", rej->reason);
    t->failed++;
}

/* ---- comparison ---- */

/* How many of the ';'-separated items of a are in b (*in), out of how
 * many (*items); empty items are skipped. */
static void list_match(const char *a, const char *b, int *in, int *items)
{
    *in = *items = 0;
    for (const char *p = a; p && *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n > 0) {
            (*items)++;
            *in += rec_list_has(b, p, n);
        }
        p = e ? e + 1 : NULL;
    }
}

/* The items of a that are (in true) or are not (in false) in b, as
 * "'X', 'Y'" into out. */
static void list_items(const char *a, const char *b, bool in, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (const char *p = a; p && *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n > 0 && rec_list_has(b, p, n) == in && used < len)
            used +=
                (size_t)snprintf(out + used, len - used, "%s'%.*s'", used ? ", " : "", (int)n, p);
        p = e ? e + 1 : NULL;
    }
}

/* Every item of a is in b. */
static bool list_subset(const char *a, const char *b)
{
    int in, items;

    list_match(a, b, &in, &items);
    return in == items;
}

/* Any item of a is in b. */
static bool list_meets(const char *a, const char *b)
{
    int in, items;

    list_match(a, b, &in, &items);
    return in > 0;
}

/* The ';'-separated items of a that are (in true) or are not (in false)
 * in b, ';'-separated into out (--accept). False when out of memory. */
static bool list_keep(const char *a, const char *b, bool in, struct buf *out)
{
    bool ok = true;

    buf_reset(out);
    for (const char *p = a; p && *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n > 0 && rec_list_has(b, p, n) == in) {
            if (out->len > 0)
                ok &= buf_addc(out, ';');
            ok &= buf_add(out, p, n);
        }
        p = e ? e + 1 : NULL;
    }
    return ok;
}

/* Compare one expected cell; on mismatch write why into why. */
static bool cell_matches(const struct rec *r, int f, const char *want, char *got, size_t len)
{
    const struct field_def *d = &rec_fields[f];
    char reason[160];
    int64_t v;

    rec_value_text(r, f, got, len);
    if (!want[0])
        return got[0] == '\0';
    if (!got[0])
        return false;
    switch (d->type) {
    case FT_BOOL:
    case FT_INT:
    case FT_COUNT:
    case FT_AMOUNT: return value_parse(d, want, &v, reason, sizeof reason) && v == r->num[f];
    case FT_LIST: return list_subset(want, got) && list_subset(got, want);
    default: return f == R_ERROR ? strstr(got, want) != NULL : strcmp(got, want) == 0;
    }
}

/* The golden tests are a run of today: a case without a conviction date
 * is tried on the machine's local date (0 if the clock cannot say, and the
 * rules then make such a case an error). */
static int64_t today_local(void);

/* ---- --accept: expected.csv rewritten from the results ---- */

/* The note of a row that --accept adds: the maintainer must say why. */
#define ACCEPTED_NOTE "accepted from the rules' result: say which provision and boundary this tests"

/* The column of expected.csv named name (the check and --accept): its rec
 * field, and whether it is a list's _include (1) or _exclude (-1) column
 * (0: the column itself). */
static int column_field(const char *name, int *side)
{
    char base[128];
    size_t n = strlen(name);

    snprintf(base, sizeof base, "%s", name);
    *side = 0;
    if (n > 8 && strcmp(name + n - 8, "_include") == 0)
        *side = 1;
    else if (n > 8 && strcmp(name + n - 8, "_exclude") == 0)
        *side = -1;
    if (*side)
        base[n - 8] = '\0';
    return rec_field_find(base);
}

/* The cell that makes column c of a row hold for result r, into out:
 * the result's value; for _include the items the result has, for
 * _exclude those it has not. False when out of memory. */
static bool accepted_cell(const struct csvtable *t, int c, const char *want, const struct rec *r,
                          struct buf *out)
{
    int side, f = column_field(t->names[c], &side);
    char got[4200];

    rec_value_text(r, f, got, sizeof got);
    if (side != 0)
        return list_keep(want, got, side > 0, out);
    buf_reset(out);
    return buf_adds(out, got);
}

/* Write path again (through a temporary file renamed over it): the rows
 * of t, each cell replaced by repl[row * ncols + col] where that is set,
 * then one row per charge of add (its key, its result in the plain
 * columns, ACCEPTED_NOTE). */
static enum status write_expected(const char *path, const struct csvtable *t, char *const *repl,
                                  const struct charge *charges, const struct rec *recs,
                                  const size_t *add, size_t nadd, struct err *err)
{
    char tmp[4200];
    struct csvout *w = NULL;
    struct buf cell = {0};
    FILE *fp;
    enum status st;

    snprintf(tmp, sizeof tmp, "%s.accept-tmp", path);
    if (!(fp = fopen(tmp, "w")))
        return err_set(err, ST_EIO, "could not write %s", tmp);
    if ((st = csvout_open(&w, fp, tmp, false, err)) != ST_OK) {
        fclose(fp);
        unlink(tmp);
        return st;
    }
    /* The maintainers' file keeps its bytes: no cell is neutralised. */
    csvout_verbatim(w);
    for (int c = 0; c < t->ncols; c++)
        csvout_str(w, t->names[c], err);
    csvout_end_row(w, err);
    for (int row = 0; row < t->nrows; row++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *v = repl[row * t->ncols + c];

            csvout_str(w, v ? v : t->cells[row * t->ncols + c], err);
        }
        csvout_end_row(w, err);
    }
    for (size_t i = 0; i < nadd; i++) {
        const struct act *a = &charges[add[i]].acts[0];

        for (int c = 0; c < t->ncols; c++) {
            const char *name = t->names[c];
            int side;

            if (strcmp(name, "case_no") == 0)
                csvout_str(w, a->text[F_CASE_NO], err);
            else if (strcmp(name, "defendant_no") == 0)
                csvout_str(w, a->text[F_DEFENDANT_NO], err);
            else if (strcmp(name, "offense") == 0)
                csvout_str(w, a->text[F_OFFENSE], err);
            else if (strcmp(name, "note") == 0)
                csvout_str(w, ACCEPTED_NOTE, err);
            else if (column_field(name, &side) >= 0 && side == 0 &&
                     accepted_cell(t, c, "", &recs[add[i]], &cell))
                csvout_str(w, cell.len ? cell.data : "", err);
            else
                csvout_str(w, "", err);
        }
        csvout_end_row(w, err);
    }
    buf_fini(&cell);
    st = csvout_close(w, err); /* the first failure of any write above */
    if (fclose(fp) != 0 && st == ST_OK)
        st = err_set(err, ST_EIO, "could not write %s", tmp);
    if (st == ST_OK && rename(tmp, path) != 0)
        st = err_set(err, ST_EIO, "could not replace %s", path);
    if (st != ST_OK)
        unlink(tmp);
    return st;
}

static int64_t today_local(void)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now == (time_t)-1 || !localtime_r(&now, &tm))
        return 0;
    return days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

static enum status check_topic(struct rules *rules, const char *dir, struct tally *tally,
                               struct err *err)
{
    char path[4096], exp_path[4096];
    struct casefile cf = {0};
    struct charge *charges;
    struct rec *recs = NULL;
    bool *seen = NULL;
    size_t nch = 0;
    struct csvtable *t = NULL;
    enum status st;
    int kc[3];
    char **repl = NULL; /* --accept: new cells, NULL where unchanged */
    size_t *add = NULL, nadd = 0;
    bool changed = false;
    struct buf cell = {0};

    snprintf(path, sizeof path, "%s/cases.csv", dir);
    snprintf(exp_path, sizeof exp_path, "%s/expected.csv", dir);
    /* Golden tests are hypothetical cases: any date may be tested. */
    if ((st = casefile_read(&cf, path, CSVIN_ANY_DAY, on_case_reject, tally, err)) != ST_OK)
        goto done;
    charges = cf.charges;
    nch = cf.n_charges;
    recs = calloc(nch + 1, sizeof *recs);
    seen = calloc(nch + 1, sizeof *seen);
    if (!recs || !seen) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nch; i++)
        charges[i].run_date = today_local();
    for (size_t i = 0; i < nch; i++) {
        struct rec plain = {0};
        int f;

        /* With the trace (as explain replays it) and without (as the run
         * evaluates): the results must be the same. */
        rules_set_trace(rules, true);
        if ((st = recommend(rules, &charges[i], &recs[i], err)) != ST_OK)
            goto done;
        rules_set_trace(rules, false);
        st = recommend(rules, &charges[i], &plain, err);
        rules_set_trace(rules, true);
        if (st != ST_OK) {
            rec_fini(&plain);
            goto done;
        }
        if ((f = rec_diff(&recs[i], &plain)) >= 0) {
            char with[256], without[256];
            rec_value_text(&recs[i], f, with, sizeof with);
            rec_value_text(&plain, f, without, sizeof without);
            fprintf(tally->out,
                    "%s: %s/%s/%s: %s is '%s' with the trace but '%s' without: the result must "
                    "not depend on evaluate()'s explain argument\n",
                    path, charges[i].acts[0].text[F_CASE_NO],
                    charges[i].acts[0].text[F_DEFENDANT_NO], charges[i].acts[0].text[F_OFFENSE],
                    rec_fields[f].name, with, without);
            tally->failed++;
        }
        rec_fini(&plain);
    }

    if ((st = csvtable_read(&t, exp_path, err)) != ST_OK) {
        st = ST_ERULES;
        goto done;
    }
    kc[0] = csvtable_col(t, "case_no");
    kc[1] = csvtable_col(t, "defendant_no");
    kc[2] = csvtable_col(t, "offense");
    if (kc[0] < 0 || kc[1] < 0 || kc[2] < 0) {
        st = err_set(err, ST_ERULES, "%s: needs the columns case_no, defendant_no, offense",
                     exp_path);
        goto done;
    }
    for (int c = 0; c < t->ncols; c++) {
        const char *name = t->names[c];
        int side, f;

        if (strcmp(name, "note") == 0)
            continue;
        f = column_field(name, &side);
        if (f < 0 || (side != 0 && rec_fields[f].type != FT_LIST)) {
            st = err_set(err, ST_ERULES, "%s:1: unknown column \"%s\"", exp_path, name);
            err_hint(err, "Use recommendations.csv column names, note, or <list column>_include "
                          "/ _exclude.");
            goto done;
        }
    }

    if (tally->accept && (!(repl = calloc((size_t)t->nrows * (size_t)t->ncols + 1, sizeof *repl)) ||
                          !(add = calloc(nch + 1, sizeof *add)))) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    for (int row = 0; row < t->nrows; row++) {
        const char *key[3];
        size_t ci;
        bool ok = true;

        for (int k = 0; k < 3; k++)
            key[k] = t->cells[row * t->ncols + kc[k]];
        if (tally->sel) {
            const char *topic = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
            int nc = csvtable_col(t, "note");
            char name[2048];

            snprintf(name, sizeof name, "%s/%s/%s/%s %s", topic, key[0], key[1], key[2],
                     nc >= 0 ? t->cells[row * t->ncols + nc] : "");
            if (regexec(tally->sel, name, 0, NULL, 0) != 0)
                continue;
        }
        for (ci = 0; ci < nch; ci++)
            if (strcmp(charges[ci].acts[0].text[F_CASE_NO], key[0]) == 0 &&
                strcmp(charges[ci].acts[0].text[F_DEFENDANT_NO], key[1]) == 0 &&
                strcmp(charges[ci].acts[0].text[F_OFFENSE], key[2]) == 0)
                break;
        if (ci == nch) {
            fprintf(tally->out, "%s:%ld: %s/%s/%s: no such charge in cases.csv\n", exp_path,
                    t->lines[row], key[0], key[1], key[2]);
            tally->failed++;
            continue;
        }
        seen[ci] = true;
        /* where the row comes from: its note and the input line */
        char ctx[700];
        {
            int nc = csvtable_col(t, "note");
            const char *note = nc >= 0 ? t->cells[row * t->ncols + nc] : "";

            snprintf(ctx, sizeof ctx, " [cases.csv:%ld%s%s]", charges[ci].acts[0].line,
                     note[0] ? "; " : "", note);
        }
        for (int c = 0; c < t->ncols; c++) {
            const char *name = t->names[c], *want = t->cells[row * t->ncols + c];
            char got[1024];
            int side, f;

            if (c == kc[0] || c == kc[1] || c == kc[2] || strcmp(name, "note") == 0)
                continue;
            f = column_field(name, &side);
            if (side != 0) {
                bool include = side > 0;
                const char *base = rec_fields[f].name;

                rec_value_text(&recs[ci], f, got, sizeof got);
                if (want[0] && (include ? !list_subset(want, got) : list_meets(want, got))) {
                    char items[512];

                    list_items(want, got, !include, items, sizeof items);
                    fprintf(tally->out, "%s:%ld: %s/%s/%s: %s: %s %s (got '%s')%s\n", exp_path,
                            t->lines[row], key[0], key[1], key[2], base,
                            include ? "missing" : "present but excluded:", items, got, ctx);
                    ok = false;
                }
                continue;
            }
            if (!cell_matches(&recs[ci], f, want, got, sizeof got)) {
                char diff[1100] = "";

                /* a list: only what is missing or extra */
                if (rec_fields[f].type == FT_LIST && want[0] && got[0]) {
                    char miss[512], extra[512];

                    list_items(want, got, false, miss, sizeof miss);
                    list_items(got, want, false, extra, sizeof extra);
                    snprintf(diff, sizeof diff, " (%s%s%s%s%s)", miss[0] ? "missing " : "", miss,
                             miss[0] && extra[0] ? "; " : "", extra[0] ? "extra " : "", extra);
                }
                fprintf(tally->out, "%s:%ld: %s/%s/%s: %s: expected '%s', got '%s'%s%s%s%s\n",
                        exp_path, t->lines[row], key[0], key[1], key[2], name, want, got, diff,
                        recs[ci].num[R_STATUS] == STATUS_ERROR && f != R_ERROR ? " -- case error: "
                                                                               : "",
                        recs[ci].num[R_STATUS] == STATUS_ERROR && f != R_ERROR
                            ? recs[ci].text[R_ERROR]
                            : "",
                        ctx);
                ok = false;
            }
        }
        if (!ok && tally->accept) {
            /* every cell that fails, rewritten to what the rules gave */
            for (int c = 0; c < t->ncols; c++) {
                const char *want = t->cells[row * t->ncols + c];
                char **slot = &repl[row * t->ncols + c];

                if (c == kc[0] || c == kc[1] || c == kc[2] || strcmp(t->names[c], "note") == 0)
                    continue;
                if (!accepted_cell(t, c, want, &recs[ci], &cell)) {
                    st = err_set(err, ST_ENOMEM, "out of memory");
                    goto done;
                }
                {
                    const char *now = cell.len ? cell.data : "";
                    int side, f = column_field(t->names[c], &side);
                    char got[4200];

                    rec_value_text(&recs[ci], f, got, sizeof got);
                    /* unchanged where the cell already holds (a list in
                     * another order, an error given by a part of it) */
                    if (side == 0 ? cell_matches(&recs[ci], f, want, got, sizeof got)
                                  : strcmp(now, want) == 0)
                        continue;
                    if (!(*slot = strdup(now))) {
                        st = err_set(err, ST_ENOMEM, "out of memory");
                        goto done;
                    }
                    fprintf(tally->out, "%s:%ld: %s/%s/%s: %s: '%s' -> '%s' (accepted)\n", exp_path,
                            t->lines[row], key[0], key[1], key[2], t->names[c], want, now);
                    changed = true;
                }
            }
            tally->accepted++;
        } else if (ok) {
            tally->passed++;
        } else {
            tally->failed++;
            if (tally->explain)
                fprintf(tally->out, "%s:%ld: trace: %s\n", exp_path, t->lines[row],
                        recs[ci].trace_json ? recs[ci].trace_json : "(none: the case is an error)");
        }
    }
    for (size_t i = 0; i < nch && !tally->sel; i++)
        if (!seen[i]) {
            fprintf(tally->out, "%s: %s/%s/%s: no expected row for this charge%s\n", exp_path,
                    charges[i].acts[0].text[F_CASE_NO], charges[i].acts[0].text[F_DEFENDANT_NO],
                    charges[i].acts[0].text[F_OFFENSE],
                    tally->accept ? " (accepted: a row added with the result; write its note)"
                                  : "");
            if (tally->accept) {
                add[nadd++] = i;
                tally->accepted++;
                changed = true;
            } else {
                tally->failed++;
            }
        }
    if (changed)
        st = write_expected(exp_path, t, repl, charges, recs, add, nadd, err);
done:
    buf_fini(&cell);
    for (int i = 0; repl && t && i < t->nrows * t->ncols; i++)
        free(repl[i]);
    free(repl);
    free(add);
    csvtable_free(t);
    for (size_t i = 0; i < nch; i++)
        rec_fini(&recs[i]);
    free(recs);
    free(seen);
    casefile_fini(&cf);
    return st;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum status run_topics(struct rules *rules, const char *tests_dir, struct tally *t,
                              struct err *err)
{
    FILE *out = t->out;
    struct tally tally = *t;
    DIR *d = NULL;
    struct dirent *e;
    char **topics = NULL;
    size_t nt = 0, cap = 0;
    enum status st = ST_OK;

    {
        /* a topic folder itself: just that topic */
        char path[4096];
        struct stat sb;

        snprintf(path, sizeof path, "%s/cases.csv", tests_dir);
        if (stat(path, &sb) == 0) {
            struct err terr;

            err_clear(&terr);
            rules_set_traceback(rules, true);
            if (check_topic(rules, tests_dir, &tally, &terr) != ST_OK) {
                fprintf(out, "%s: %s%s%s\n", tests_dir, terr.msg, terr.detail[0] ? ": " : "",
                        terr.detail);
                tally.failed++;
            }
            rules_set_traceback(rules, false);
            *t = tally;
            return ST_OK;
        }
    }
    if (!(d = opendir(tests_dir))) {
        st = err_set(err, ST_ERULES, "could not open the rule tests folder \"%s\"", tests_dir);
        err_hint(err, "Give the folder of golden rule tests with --tests DIR (all topics) or "
                      "--tests DIR/TOPIC (one).");
        return st;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/cases.csv", tests_dir, e->d_name);
        if (stat(path, &sb) != 0)
            continue;
        if (nt == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(topics, cap * sizeof *p);
            if (!p) {
                st = err_set(err, ST_ENOMEM, "out of memory");
                goto done;
            }
            topics = p;
        }
        if (!(topics[nt] = strdup(e->d_name))) {
            st = err_set(err, ST_ENOMEM, "out of memory");
            goto done;
        }
        nt++;
    }
    if (nt > 1)
        qsort(topics, nt, sizeof *topics, name_cmp);
    rules_set_traceback(rules, true);
    for (size_t i = 0; i < nt; i++) {
        char dir[4096];
        struct err terr;

        err_clear(&terr);
        snprintf(dir, sizeof dir, "%s/%s", tests_dir, topics[i]);
        if (check_topic(rules, dir, &tally, &terr) != ST_OK) {
            fprintf(out, "%s: %s%s%s\n", dir, terr.msg, terr.detail[0] ? ": " : "", terr.detail);
            tally.failed++;
        }
    }
    if (nt == 0) {
        st = err_set(err, ST_ERULES, "no golden rule tests in \"%s\"", tests_dir);
        err_hint(err, "Each test folder needs cases.csv and expected.csv.");
    }
done:
    rules_set_traceback(rules, false);
    closedir(d);
    for (size_t i = 0; i < nt; i++)
        free(topics[i]);
    free(topics);
    *t = tally;
    return st;
}

enum status rule_tests_run(struct rules *rules, const char *tests_dir,
                           const struct rule_tests_opts *opts, FILE *out,
                           struct rule_tests_counts *n, struct err *err)
{
    struct tally tally = {0, 0, 0, out, NULL, opts && opts->explain, opts && opts->accept};
    regex_t sel;

    if (opts && opts->select) {
        if (regcomp(&sel, opts->select, REG_EXTENDED | REG_NOSUB) != 0) {
            err_set(err, ST_EUSAGE, "--run: \"%s\" is not a regular expression", opts->select);
            err_hint(err, "An extended regular expression over TOPIC/CASE_NO/DEFENDANT_NO/OFFENSE "
                          "and the test's note, e.g. --run 'thresholds-287-2/.*TF2021'.");
            return ST_EUSAGE;
        }
        tally.sel = &sel;
    }
    enum status st = run_topics(rules, tests_dir, &tally, err);

    if (tally.sel)
        regfree(&sel);
    n->passed = tally.passed;
    n->failed = tally.failed;
    n->accepted = tally.accepted;
    return st;
}

enum status rule_tests_load(const char *rules_dir, const char *tests_dir,
                            const struct rule_tests_opts *opts, const struct rules_limits *lim,
                            FILE *out, struct rules **rules, struct rule_tests_counts *n,
                            struct err *err)
{
    enum status st;

    memset(n, 0, sizeof *n);
    if ((st = rules_load(rules, rules_dir, lim, err)) != ST_OK)
        return st;
    /* The static checks first: they cover what no golden row reaches. */
    if ((st = rule_lint(*rules, rules_dir, out, &n->findings, err)) != ST_OK ||
        (st = rule_tests_run(*rules, tests_dir, opts, out, n, err)) != ST_OK) {
        rules_free(*rules);
        *rules = NULL;
    }
    return st;
}

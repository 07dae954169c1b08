/*-------------------------------------------------------------------------
 * diff.c
 *     `sentencer diff --rules DIR`: what a candidate rule set would change.
 *     Every stored charge with a current recommendation (filtered by
 *     --offense, --court, --since) is evaluated on its current facts twice:
 *     with the rule set of that recommendation (loaded from the database)
 *     and with the candidate. Nothing is written to the database; the
 *     differences go to OUT/changes.csv (one row per changed field of a
 *     changed charge, values as recommendations.csv writes them) and
 *     OUT/changes_summary.csv (per offense and field: charges changed, up,
 *     down, mean change), and a short summary to standard output.
 *
 * The candidate's static checks and golden tests run first and are
 * reported, but the evaluation goes on either way: a maintainer wants to
 * see the effect of an edit before updating the expectations. The charges
 * stream through a cursor in one read-only snapshot, 2,000 at a time: the
 * memory does not grow with the database.
 *
 * batch/commands/diff.c
 *-------------------------------------------------------------------------
 */
#include "csvout.h"
#include "ctx.h"
#include "log.h"
#include "outfile.h"
#include "recommend.h"
#include "result.h"
#include "rule_tests.h"
#include "rules.h"
#include "value.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The rule sets of the current recommendations, loaded once each. */
#define MAX_OLD_RULE_SETS 16

struct field_sum {
    long changed, up, down;
    double sum; /* of the numeric changes, in months, years or yuan */
    long nsum;
};

/* What the evaluation counted: a worker's share, or the whole. */
struct diff_stats {
    long evaluated, changed, skipped, rows;
    long by_field[R__COUNT];
    struct field_sum sum[OFFENSE__COUNT][R__COUNT];
    bool done; /* a worker finished its share */
};

struct diff {
    struct ctx *ctx;
    struct db *db;
    struct rules *cand;
    struct rules_limits lim;
    struct {
        char id[24];
        struct rules *r; /* NULL: could not be loaded (warned once) */
    } old[MAX_OLD_RULE_SETS];
    int nold;
    struct csvout *w; /* where the changed fields go */
    int64_t today;
    struct diff_stats st;
};

/* The engine of stored rule set id, or NULL when it cannot be loaded (a
 * rule set recorded before files were stored). */
static enum status old_rules(struct diff *d, const char *id, struct rules **out, struct err *err)
{
    struct db_files f;
    struct err e2;
    enum status st;
    int i;

    for (i = 0; i < d->nold; i++)
        if (strcmp(d->old[i].id, id) == 0) {
            *out = d->old[i].r;
            return ST_OK;
        }
    if (d->nold == MAX_OLD_RULE_SETS)
        return err_set(err, ST_EDB,
                       "the current recommendations come from more than %d rule "
                       "sets; run the current rule set first",
                       MAX_OLD_RULE_SETS);
    snprintf(d->old[i].id, sizeof d->old[i].id, "%s", id);
    d->old[i].r = NULL;
    d->nold++;
    err_clear(&e2);
    if ((st = db_rule_set_files(d->db, id, &f, &e2)) == ST_OK) {
        st = rules_load_stored(&d->old[i].r, id, f.n, (const char *const *)f.names,
                               (const char *const *)f.data, f.lens, &d->lim, &e2);
        db_files_fini(&f);
    } else if (strstr(e2.msg, "are not stored") == NULL) {
        *err = e2; /* the database failed, not the rule set */
        return st;
    }
    if (st == ST_ENOMEM) {
        *err = e2;
        return st;
    }
    if (st != ST_OK)
        log_warning("rule set %s of some current recommendations cannot be evaluated again (%s): "
                    "their charges are left out",
                    id, e2.msg);
    *out = d->old[i].r;
    return ST_OK;
}

/* Count a change of field f of offense off from a to b. */
static void count_change(struct diff *d, int off, int f, const struct rec *a, const struct rec *b)
{
    struct field_sum *s = &d->st.sum[off][f];
    enum ftype t = rec_fields[f].type;

    s->changed++;
    d->st.by_field[f]++;
    if (!a->present[f] || !b->present[f])
        return;
    if (t == FT_BOOL) {
        if (b->num[f] && !a->num[f])
            s->up++;
        else if (!b->num[f] && a->num[f])
            s->down++;
    } else if (t == FT_COUNT || t == FT_INT || t == FT_AMOUNT) {
        double delta = (double)(b->num[f] - a->num[f]) / (t == FT_AMOUNT ? 100.0 : 1.0);

        if (delta > 0)
            s->up++;
        else if (delta < 0)
            s->down++;
        s->sum += delta;
        s->nsum++;
    }
}

/* Compare the two recommendations of charge c; write one row per field
 * that differs. */
static enum status compare(struct diff *d, const struct charge *c, const struct rec *a,
                           const struct rec *b, struct err *err)
{
    char va[4096], vb[4096];
    bool any = false;
    int off = (int)c->acts[0].num[F_OFFENSE];
    enum status st = ST_OK;

    for (int f = 0; f < R__COUNT && st == ST_OK; f++) {
        if (f == R_CASE_NO || f == R_DEFENDANT_NO || f == R_OFFENSE || f == R_RULE_SET)
            continue;
        rec_value_text(a, f, va, sizeof va);
        rec_value_text(b, f, vb, sizeof vb);
        if (strcmp(va, vb) == 0)
            continue;
        any = true;
        count_change(d, off, f, a, b);
        if ((st = csvout_str(d->w, c->acts[0].text[F_CASE_NO], err)) == ST_OK &&
            (st = csvout_str(d->w, c->acts[0].text[F_DEFENDANT_NO], err)) == ST_OK &&
            (st = csvout_str(d->w, c->acts[0].text[F_OFFENSE], err)) == ST_OK &&
            (st = csvout_str(d->w, rec_fields[f].name, err)) == ST_OK &&
            (st = csvout_str(d->w, va, err)) == ST_OK && (st = csvout_str(d->w, vb, err)) == ST_OK)
            st = csvout_end_row(d->w, err);
        d->st.rows++;
    }
    if (any)
        d->st.changed++;
    return st;
}

/* Evaluate one fetched block of charges (the rows of r). */
static enum status diff_block(struct diff *d, const struct result *r, struct err *err)
{
    int n = result_rows(r), c_id = result_col(r, "id"), c_rs = result_col(r, "rule_set");
    int64_t *ids = calloc((size_t)(n ? n : 1), sizeof *ids);
    struct charge *cs = NULL;
    size_t nc = 0, k = 0;
    enum status st;

    if (!ids)
        return err_set(err, ST_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        ids[i] = strtoll(result_get(r, i, c_id), NULL, 10);
    st = db_charges_of(d->db, ids, (size_t)n, d->today, &cs, &nc, err);
    for (int i = 0; i < n && st == ST_OK && k < nc; i++) {
        struct rules *old = NULL;
        struct rec a = {0}, b = {0};

        if (cs[k].id != ids[i])
            continue; /* a charge without acts: nothing to evaluate */
        if ((st = old_rules(d, result_get(r, i, c_rs), &old, err)) != ST_OK)
            break;
        if (!old) {
            d->st.skipped++;
            k++;
            continue;
        }
        if ((st = recommend(old, &cs[k], &a, err)) == ST_OK &&
            (st = recommend(d->cand, &cs[k], &b, err)) == ST_OK) {
            d->st.evaluated++;
            st = compare(d, &cs[k], &a, &b, err);
        }
        rec_fini(&a);
        rec_fini(&b);
        k++;
    }
    for (size_t i = 0; i < nc; i++)
        charge_fini(&cs[i]);
    free(cs);
    free(ids);
    return st;
}

static enum status write_summary(struct diff *d, const char *dir, struct err *err)
{
    static const char *const head[] = {"offense", "field", "charges_changed",
                                       "up",      "down",  "mean_change"};
    struct outfile f;
    char path[4200];
    enum status st;

    snprintf(path, sizeof path, "%s/changes_summary.csv", dir);
    if ((st = outfile_open(&f, NULL, path, true, d->ctx->opt.excel, err)) != ST_OK)
        return st;
    for (size_t i = 0; i < sizeof head / sizeof head[0] && st == ST_OK; i++)
        st = csvout_str(f.w, head[i], err);
    if (st == ST_OK)
        st = csvout_end_row(f.w, err);
    for (int o = 0; o < OFFENSE__COUNT && st == ST_OK; o++)
        for (int fl = 0; fl < R__COUNT && st == ST_OK; fl++) {
            const struct field_sum *s = &d->st.sum[o][fl];
            char mean[64] = "";

            if (s->changed == 0)
                continue;
            if (s->nsum > 0)
                snprintf(mean, sizeof mean, "%.2f", s->sum / (double)s->nsum);
            if ((st = csvout_str(f.w, offense_values[o], err)) == ST_OK &&
                (st = csvout_str(f.w, rec_fields[fl].name, err)) == ST_OK &&
                (st = csvout_int(f.w, s->changed, err)) == ST_OK &&
                (st = csvout_int(f.w, s->up, err)) == ST_OK &&
                (st = csvout_int(f.w, s->down, err)) == ST_OK &&
                (st = csvout_str(f.w, mean, err)) == ST_OK)
                st = csvout_end_row(f.w, err);
        }
    return outfile_finish(&f, st, err);
}

/* The columns of changes.csv: exactly these, in this order. */
static const char *const changes_head[] = {"case_no", "defendant_no", "offense",
                                           "field",   "old",          "new"};
#define CHANGES_NCOLS (sizeof changes_head / sizeof changes_head[0])

static enum status open_changes(struct diff *d, const char *dir, struct outfile *f, struct err *err)
{
    char path[4200];
    enum status st;

    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return err_set(err, ST_EIO, "could not create the folder \"%s\": %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/changes.csv", dir);
    if ((st = outfile_open(f, NULL, path, true, d->ctx->opt.excel, err)) != ST_OK)
        return st;
    d->w = f->w;
    for (size_t i = 0; i < CHANGES_NCOLS && st == ST_OK; i++)
        st = csvout_str(d->w, changes_head[i], err);
    return st == ST_OK ? csvout_end_row(d->w, err) : st;
}

static enum status read_today(struct diff *d, struct err *err)
{
    struct result *r = NULL;
    enum status st;

    if ((st = db_query(d->db, Q_TODAY, 0, NULL, &r, err)) != ST_OK)
        return st;
    d->today = result_rows(r) == 1 ? strtoll(result_get(r, 0, 0), NULL, 10) : 0;
    result_free(r);
    return ST_OK;
}

/* Evaluate the share of worker k of n (n == 1: every charge) of the
 * charges of the open snapshot: the blocks b (of the cursor's 2,000 rows)
 * with b % n == k. blocks NULL: the changed fields go to d->w; else those
 * of block b to blocks/<b>.csv, for the parent to join in order. */
static enum status diff_share(struct diff *d, int k, int n, const char *blocks, struct err *err)
{
    const struct options *o = &d->ctx->opt;
    const char *params[3] = {o->offense, o->court, o->since};
    enum status st;

    if ((st = db_cursor_open(d->db, Q_DIFF_CHARGES, 3, params, err)) != ST_OK)
        return st;
    for (long b = 0;; b++) {
        struct result *r = NULL;
        char path[4300];
        FILE *fp = NULL;

        if ((st = db_cursor_fetch(d->db, &r, err)) != ST_OK)
            break;
        if (result_rows(r) == 0) {
            result_free(r);
            break;
        }
        if (b % n != k) {
            result_free(r);
            continue;
        }
        if (blocks) {
            snprintf(path, sizeof path, "%s/%ld.csv", blocks, b);
            if (!(fp = fopen(path, "wx"))) {
                result_free(r);
                st = err_set(err, ST_EIO, "could not create \"%s\": %s", path, strerror(errno));
                break;
            }
            if ((st = csvout_open(&d->w, fp, path, false, err)) != ST_OK) {
                fclose(fp);
                result_free(r);
                break;
            }
        }
        st = diff_block(d, r, err);
        result_free(r);
        if (blocks) {
            enum status cs = csvout_close(d->w, st == ST_OK ? err : &(struct err){0});
            d->w = NULL;
            if (fclose(fp) != 0 && st == ST_OK)
                st = err_set(err, ST_EIO, "could not write \"%s\": %s", path, strerror(errno));
            if (st == ST_OK)
                st = cs;
        }
        if (st != ST_OK)
            break;
        if (o->verbose)
            log_info("%ld charges evaluated, %ld changed", d->st.evaluated, d->st.changed);
    }
    if (st == ST_OK)
        st = db_cursor_close(d->db, err);
    return st;
}

static enum status end_snapshot(struct db *db, enum status st, struct err *err)
{
    struct err e2;
    enum status es;

    err_clear(&e2);
    es = db_snapshot_end(db, &e2);
    if (st == ST_OK && es != ST_OK) {
        *err = e2;
        return es;
    }
    return st;
}

/* One process: every charge, straight into changes.csv. */
static enum status diff_alone(struct diff *d, const char *dir, struct err *err)
{
    struct outfile f;
    enum status st;

    if ((st = db_snapshot_begin(d->db, err)) != ST_OK)
        return st;
    if ((st = read_today(d, err)) == ST_OK && (st = open_changes(d, dir, &f, err)) == ST_OK) {
        st = diff_share(d, 0, 1, NULL, err);
        enum status fs = outfile_finish(&f, st, err);
        if (st == ST_OK)
            st = fs;
    }
    return end_snapshot(d->db, st, err);
}

/* A worker: its own connection on the parent's snapshot, its share of
 * the blocks, its counts into *out. Returns the exit status. */
static int diff_worker(struct diff *d, int k, int n, const char *snapshot, const char *blocks,
                       struct diff_stats *out)
{
    struct err werr;
    enum status st;

    err_clear(&werr);
    /* The parent's connection is the parent's: this process never uses or
     * closes it. */
    d->db = NULL;
    d->nold = 0;
    memset(&d->st, 0, sizeof d->st);
    if ((st = db_connect(&d->db, &d->ctx->opt.db, &werr)) == ST_OK &&
        (st = db_snapshot_import(d->db, snapshot, &werr)) == ST_OK) {
        st = diff_share(d, k, n, blocks, &werr);
        st = end_snapshot(d->db, st, &werr);
    }
    if (st != ST_OK)
        log_err(&werr);
    *out = d->st;
    out->done = st == ST_OK;
    for (int i = 0; i < d->nold; i++)
        rules_free(d->old[i].r);
    db_close(d->db);
    return st == ST_OK ? 0 : 3;
}

/* Join the blocks the workers wrote into changes.csv, in cursor order. */
static enum status join_blocks(struct diff *d, const char *dir, const char *blocks, struct err *err)
{
    struct outfile f;
    char path[4300], buf[65536];
    enum status st;

    snprintf(path, sizeof path, "%s/changes.csv", dir);
    if ((st = outfile_open(&f, NULL, path, false, false, err)) != ST_OK)
        return st;
    if (d->ctx->opt.excel)
        fputs("\xEF\xBB\xBF", f.fp);
    for (size_t i = 0; i < CHANGES_NCOLS; i++) /* plain names: nothing to quote */
        fprintf(f.fp, "%s%s", i ? "," : "", changes_head[i]);
    fputc('\n', f.fp);
    for (long b = 0;; b++) {
        FILE *in;
        size_t got;

        snprintf(path, sizeof path, "%s/%ld.csv", blocks, b);
        if (!(in = fopen(path, "r"))) {
            if (errno == ENOENT)
                break; /* the blocks are numbered from 0 without a gap */
            st = err_set(err, ST_EIO, "could not read \"%s\": %s", path, strerror(errno));
            break;
        }
        while ((got = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, got, f.fp) != got)
                break;
        if (ferror(in) || ferror(f.fp))
            st = err_set(err, ST_EIO, "could not join \"%s\" into changes.csv", path);
        fclose(in);
        unlink(path);
        if (st != ST_OK)
            break;
    }
    return outfile_finish(&f, st, err);
}

/* n workers on one snapshot; the parent joins what they wrote. */
static enum status diff_workers(struct diff *d, const char *dir, int n, struct err *err)
{
    char snapshot[80], blocks[4200];
    struct diff_stats *shared;
    pid_t pids[64] = {0};
    enum status st;
    int failed = 0;

    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return err_set(err, ST_EIO, "could not create the folder \"%s\": %s", dir, strerror(errno));
    snprintf(blocks, sizeof blocks, "%s/.diff-blocks.XXXXXX", dir);
    if (!mkdtemp(blocks))
        return err_set(err, ST_EIO, "could not create a work folder in \"%s\": %s", dir,
                       strerror(errno));
    shared = mmap(NULL, (size_t)n * sizeof *shared, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        rmdir(blocks);
        return err_set(err, ST_ENOMEM, "out of memory for the workers' counts");
    }
    memset(shared, 0, (size_t)n * sizeof *shared);
    if ((st = db_snapshot_begin(d->db, err)) != ST_OK)
        goto out;
    if ((st = read_today(d, err)) != ST_OK ||
        (st = db_snapshot_export(d->db, snapshot, sizeof snapshot, err)) != ST_OK) {
        st = end_snapshot(d->db, st, err);
        goto out;
    }
    fflush(NULL);
    for (int i = 0; i < n; i++) {
        if ((pids[i] = fork()) < 0) {
            st = err_set(err, ST_EIO, "could not start worker %d: %s", i + 1, strerror(errno));
            err_hint(err, "Rerun with fewer --workers.");
            pids[i] = 0;
            break;
        }
        if (pids[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            _exit(diff_worker(d, i, n, snapshot, blocks, &shared[i]));
        }
    }
    for (int i = 0; i < n; i++) {
        int ws;

        if (pids[i] > 0 && (waitpid(pids[i], &ws, 0) != pids[i] || !WIFEXITED(ws) ||
                            WEXITSTATUS(ws) != 0 || !shared[i].done))
            failed++;
    }
    /* The snapshot was held open for the workers to take it. */
    st = end_snapshot(d->db, st, err);
    if (st == ST_OK && failed)
        st = err_set(err, ST_ERULES, "%d of %d diff workers failed (see above); nothing written",
                     failed, n);
    if (st == ST_OK) {
        for (int i = 0; i < n; i++) {
            const struct diff_stats *w = &shared[i];

            d->st.evaluated += w->evaluated;
            d->st.changed += w->changed;
            d->st.skipped += w->skipped;
            d->st.rows += w->rows;
            for (int f = 0; f < R__COUNT; f++) {
                d->st.by_field[f] += w->by_field[f];
                for (int o = 0; o < OFFENSE__COUNT; o++) {
                    struct field_sum *a = &d->st.sum[o][f];
                    const struct field_sum *b = &w->sum[o][f];

                    a->changed += b->changed;
                    a->up += b->up;
                    a->down += b->down;
                    a->sum += b->sum;
                    a->nsum += b->nsum;
                }
            }
        }
        st = join_blocks(d, dir, blocks, err);
    }
out : {
    /* what a failed worker left */
    DIR *dd = opendir(blocks);
    struct dirent *e;
    char path[4400];

    while (dd && (e = readdir(dd)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", blocks, e->d_name);
            unlink(path);
        }
    if (dd)
        closedir(dd);
    rmdir(blocks);
}
    munmap(shared, (size_t)n * sizeof *shared);
    return st;
}

static void print_summary(const struct diff *d, const char *dir)
{
    printf("diff: %ld charge%s evaluated, %ld changed (candidate rule set %s)\n", d->st.evaluated,
           d->st.evaluated == 1 ? "" : "s", d->st.changed, rules_id(d->cand));
    for (int f = 0; f < R__COUNT; f++)
        if (d->st.by_field[f])
            printf("  %-24s %ld\n", rec_fields[f].name, d->st.by_field[f]);
    if (d->st.skipped)
        printf("  (%ld charge%s left out: their rule set cannot be evaluated again)\n",
               d->st.skipped, d->st.skipped == 1 ? "" : "s");
    printf("changes in %s/changes.csv (%ld row%s), %s/changes_summary.csv\n", dir, d->st.rows,
           d->st.rows == 1 ? "" : "s", dir);
}

enum status cmd_diff(struct ctx *ctx, struct err *err)
{
    struct diff *d = calloc(1, sizeof *d);
    const char *dir = ctx->opt.out ? ctx->opt.out : "diff";
    struct rule_tests_counts n;
    enum status st;

    if (!d)
        return err_set(err, ST_ENOMEM, "out of memory");
    setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines between the candidate's findings */
    d->ctx = ctx;
    rules_limits_set(&d->lim, ctx->opt.verbose, ctx->opt.case_time_ms);
    /* The candidate's checks are reported; the evaluation goes on. */
    st = rule_tests_load(ctx->opt.rules_dir, ctx->opt.tests_dir, NULL, &d->lim, stderr, &d->cand,
                         &n, err);
    if (st != ST_OK)
        goto done;
    printf("candidate rule set %s: static checks %ld finding%s; golden tests %ld passed, %ld "
           "failed%s\n",
           rules_id(d->cand), n.findings, n.findings == 1 ? "" : "s", n.passed, n.failed,
           n.findings || n.failed ? " (evaluated anyway: fix them before it runs)" : "");
    fflush(stdout);
    if ((st = db_connect(&d->db, &ctx->opt.db, err)) != ST_OK ||
        (st = db_check_schema(d->db, err)) != ST_OK)
        goto done;
    if ((st = ctx->opt.workers > 1 ? diff_workers(d, dir, ctx->opt.workers, err)
                                   : diff_alone(d, dir, err)) != ST_OK)
        goto done;
    if ((st = write_summary(d, dir, err)) != ST_OK)
        goto done;
    print_summary(d, dir);
    if (d->st.skipped)
        ctx->partial = true;
done:
    for (int i = 0; i < d->nold; i++)
        rules_free(d->old[i].r);
    rules_free(d->cand);
    db_close(d->db);
    free(d);
    return st;
}

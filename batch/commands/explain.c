/*-------------------------------------------------------------------------
 * explain.c
 *     `sentencer explain [--run N] [--format text|json] CASE_NO
 *     [DEFENDANT_NO]`: how a recommendation was reached. Its case is
 *     evaluated again, in the sandbox, on the facts revision it records
 *     with the rule set it records (both stored: sql/004), and the trace of
 *     that replay is printed: each test or adjustment, the facts it read,
 *     its result and its provision. The replay must give exactly the stored
 *     result; a difference is an error naming the column and both values.
 *     Recommendations stored before rule sets were stored print the trace
 *     stored with them.
 *
 * batch/commands/explain.c
 *-------------------------------------------------------------------------
 */
#include "buf.h"
#include "ctx.h"
#include "db.h"
#include "recommend.h"
#include "rules.h"
#include "value.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>

/* The cell at (r, c) ("" for NULL or a missing column). */
static const char *cell(const struct result *t, int r, int c)
{
    const char *v = result_get(t, r, c);

    return v ? v : "";
}

/* Print stored text with control and invisible characters escaped
 * (text_escape): data imported before the reader refused them may hold ESC
 * and the like, which a terminal would obey. Returns the bytes printed. */
static size_t put(const char *s)
{
    char buf[256];
    size_t len = strlen(s), out = 0;

    while (len > 0) {
        size_t n = text_escape(buf, sizeof buf, s, len);

        fputs(buf, stdout);
        out += strlen(buf);
        s += n;
        len -= n;
    }
    return out;
}

static enum status print_trace(struct db *db, const char *trace, struct err *err)
{
    const char *params[1] = {trace};
    struct result *t = NULL;
    enum status st = db_query(db, Q_EXPLAIN_TRACE, 1, params, &t, err);

    if (st != ST_OK)
        return st;
    int c_facts = result_col(t, "facts"), c_pct = result_col(t, "pct"),
        c_note = result_col(t, "note"), c_result = result_col(t, "result"),
        c_cite = result_col(t, "cite"), c_step = result_col(t, "step"),
        c_thr = result_col(t, "threshold");
    for (int r = 0; r < result_rows(t); r++) {
        const char *facts = cell(t, r, c_facts), *pct = cell(t, r, c_pct);
        const char *note = cell(t, r, c_note), *result = cell(t, r, c_result);
        size_t width;

        printf("  ");
        width = put(cell(t, r, c_cite));
        printf("%*s ", width < 13 ? (int)(13 - width) : 0, ""); /* as %-13s */
        put(cell(t, r, c_step));
        if (result[0]) {
            printf(" -> ");
            put(result);
        }
        if (pct[0]) {
            printf(" (");
            put(pct);
            printf("%%)");
        }
        printf("\n");
        if (strcmp(facts, "{}") != 0) {
            printf("                facts: ");
            put(facts);
            printf("\n");
        }
        if (c_thr >= 0 && strcmp(cell(t, r, c_thr), "{}") != 0) {
            printf("                threshold: ");
            put(cell(t, r, c_thr));
            printf("\n");
        }
        if (note[0]) {
            printf("                ");
            put(note);
            printf("\n");
        }
    }
    result_free(t);
    return ST_OK;
}

/* The engine of the rule set last replayed (explain of one case needs one
 * or two). */
struct replayer {
    struct rules *rules;
    char label[256];
    struct rules_limits lim;
};

static enum status replayer_load(struct replayer *rp, struct db *db, const char *id,
                                 struct err *err)
{
    struct db_files f;
    enum status st;

    if (rp->rules && strcmp(rules_id(rp->rules), id) == 0)
        return ST_OK;
    rules_free(rp->rules);
    rp->rules = NULL;
    if ((st = db_rule_set_files(db, id, &f, err)) != ST_OK)
        return st;
    snprintf(rp->label, sizeof rp->label, "%s", f.label);
    st = rules_load_stored(&rp->rules, id, f.n, (const char *const *)f.names,
                           (const char *const *)f.data, f.lens, &rp->lim, err);
    db_files_fini(&f);
    return st;
}

/* Evaluate the stored recommendation's facts revision again with its rule
 * set into *out (trace included), and compare: a difference is an error
 * naming the column and both values. */
static enum status replay(struct replayer *rp, struct db *db, const struct db_stored *s,
                          struct rec *out, struct err *err)
{
    struct charge c;
    enum status st;
    int f;

    if ((st = replayer_load(rp, db, s->rec.text[R_RULE_SET], err)) != ST_OK)
        return st;
    if ((st = db_charge_at(db, s->charge_id, s->facts_rev, &c, err)) != ST_OK)
        return st;
    if (c.n_acts == 0) {
        charge_fini(&c);
        err_set(err, ST_EDB, "the facts of revision %" PRId64 " of this charge are not stored",
                s->facts_rev);
        err_hint(err, "Facts are kept by revision from schema version 4 on.");
        return ST_EDB;
    }
    rules_set_trace(rp->rules, true);
    c.run_date = s->run_date; /* as the run saw it */
    st = recommend(rp->rules, &c, out, err);
    charge_fini(&c);
    if (st != ST_OK)
        return st;
    if ((f = rec_diff(&s->rec, out)) >= 0) {
        char stored[256], now[256];
        rec_value_text(&s->rec, f, stored, sizeof stored);
        rec_value_text(out, f, now, sizeof now);
        err_set(err, ST_ERULES,
                "the replay does not give the stored result: %s is '%s' when replayed, '%s' as "
                "stored%s%s",
                rec_fields[f].name, now, stored, out->num[R_STATUS] == STATUS_ERROR ? ": " : "",
                out->num[R_STATUS] == STATUS_ERROR && out->text[R_ERROR] ? out->text[R_ERROR] : "");
        err_hint(err, "The rules must give the same result on the same facts every time (no "
                      "clock, randomness or state between cases); report this case with its "
                      "rule set.");
        return ST_ERULES;
    }
    return ST_OK;
}

/* ---- text ---- */

static void field(const struct rec *r, int f, char *buf, size_t len)
{
    rec_value_text(r, f, buf, len);
}

/* The whole recommendation, as a judge's assistant reads it. */
static void print_recommendation(const struct rec *r)
{
    char a[256], b[256];

    field(r, R_RECOMMENDED_KIND, a, sizeof a);
    printf("  recommended: ");
    put(a);
    if (r->present[R_RECOMMENDED_MONTHS]) {
        printf(" of %" PRId64 " months (band %" PRId64 "-%" PRId64 ")",
               r->num[R_RECOMMENDED_MONTHS], r->num[R_RANGE_LOW_MONTHS],
               r->num[R_RANGE_HIGH_MONTHS]);
    }
    field(r, R_STATUTORY_KINDS, a, sizeof a);
    printf("; the law allows: ");
    put(a[0] ? a : "a fine only");
    printf(", fixed term up to %" PRId64 " months\n", r->num[R_STATUTORY_MAX_MONTHS]);
    printf("  suspension: %s", r->num[R_SUSPENSION_ALLOWED] ? "allowed" : "not allowed");
    if (r->present[R_RECOMMENDED_SUSPENDED] && r->num[R_RECOMMENDED_SUSPENDED])
        printf(", recommended, probation %" PRId64 "-%" PRId64 " months",
               r->num[R_PROBATION_MIN_MONTHS], r->num[R_PROBATION_MAX_MONTHS]);
    else
        printf(", not recommended");
    field(r, R_RECOMMENDED_FINE_YUAN, a, sizeof a);
    field(r, R_FINE_MIN_YUAN, b, sizeof b);
    printf("\n  fine: ");
    put(a[0] ? a : "none");
    printf(a[0] ? " yuan" : "");
    if (b[0]) {
        printf(" (not below ");
        put(b);
        printf(" yuan)");
    }
    printf("\n  occupational ban: ");
    if (r->num[R_BAN_ELIGIBLE])
        printf("eligible, %" PRId64 "-%" PRId64 " years, recommended %" PRId64 "\n",
               r->num[R_BAN_MIN_YEARS], r->num[R_BAN_MAX_YEARS], r->num[R_BAN_RECOMMENDED_YEARS]);
    else
        printf("not eligible\n");
    printf("  injunction: %s\n", r->num[R_INJUNCTION_ELIGIBLE] ? "eligible" : "not eligible");
    field(r, R_REVIEW_FLAGS, a, sizeof a);
    printf("  review: ");
    put(a[0] ? a : "none");
    field(r, R_LAW_VERSION, b, sizeof b);
    printf("\n  law applied: ");
    put(b[0] ? b : "not recorded (stored before schema 5)");
    printf("\n  citations: ");
    field(r, R_CITATIONS, a, sizeof a);
    put(a);
    printf("\n");
}

static void print_head(const struct db_stored *s, const char *label)
{
    const struct rec *r = &s->rec;

    put(r->text[R_CASE_NO]);
    printf("  defendant ");
    put(r->text[R_DEFENDANT_NO]);
    printf("  ");
    put(r->text[R_OFFENSE]);
    printf("\n  rule set ");
    put(r->text[R_RULE_SET]);
    if (label && label[0]) {
        printf(" (");
        put(label);
        printf(")");
    }
    printf(", run %" PRId64 ", facts revision %" PRId64 ": status %s", s->run_id, s->facts_rev,
           r->num[R_STATUS] == STATUS_ERROR ? "error" : "ok");
    if (r->num[R_STATUS] == STATUS_ERROR) {
        printf(": ");
        put(r->text[R_ERROR] ? r->text[R_ERROR] : "");
        printf("\n");
        return;
    }
    printf(", threshold met %s [",
           r->present[R_THRESHOLD_MET] && r->num[R_THRESHOLD_MET] ? "yes" : "no");
    put(r->text[R_THRESHOLD_BASIS] ? r->text[R_THRESHOLD_BASIS] : "");
    printf("]\n");
    print_recommendation(r);
}

/* ---- json ---- */

static bool add_rec_json(struct buf *b, const struct rec *r)
{
    bool ok = buf_addc(b, '{'), first = true;

    for (int f = 0; ok && f < R__COUNT; f++) {
        char v[4096];

        if (!r->present[f])
            continue;
        ok = (first || buf_addc(b, ',')) &&
             buf_add_json_str(b, rec_fields[f].name, strlen(rec_fields[f].name)) &&
             buf_addc(b, ':');
        first = false;
        rec_value_text(r, f, v, sizeof v);
        switch (rec_fields[f].type) {
        case FT_BOOL: ok = ok && buf_adds(b, r->num[f] ? "true" : "false"); break;
        case FT_INT:
        case FT_COUNT: ok = ok && buf_addi(b, r->num[f]); break;
        default: ok = ok && buf_add_json_str(b, v, strlen(v)); break;
        }
    }
    return ok && buf_addc(b, '}');
}

static bool add_json(struct buf *b, const struct db_stored *s, const char *label, bool replayed,
                     const char *trace)
{
    const struct rec *r = &s->rec;

    return buf_adds(b, "{\"case_no\":") &&
           buf_add_json_str(b, r->text[R_CASE_NO], strlen(r->text[R_CASE_NO])) &&
           buf_adds(b, ",\"defendant_no\":") &&
           buf_add_json_str(b, r->text[R_DEFENDANT_NO], strlen(r->text[R_DEFENDANT_NO])) &&
           buf_adds(b, ",\"offense\":") &&
           buf_add_json_str(b, r->text[R_OFFENSE], strlen(r->text[R_OFFENSE])) &&
           buf_printf(b, ",\"run\":%" PRId64 ",\"facts_rev\":%" PRId64 ",\"rule_set\":", s->run_id,
                      s->facts_rev) &&
           buf_add_json_str(b, r->text[R_RULE_SET], strlen(r->text[R_RULE_SET])) &&
           buf_adds(b, ",\"rule_set_label\":") &&
           (label && label[0] ? buf_add_json_str(b, label, strlen(label)) : buf_adds(b, "null")) &&
           buf_adds(b, replayed ? ",\"replayed\":true,\"replay_matches\":true"
                                : ",\"replayed\":false,\"replay_matches\":null") &&
           buf_adds(b, ",\"recommendation\":") && add_rec_json(b, r) &&
           buf_adds(b, ",\"trace\":") && buf_adds(b, trace ? trace : "[]") && buf_addc(b, '}');
}

enum status cmd_explain(struct ctx *ctx, struct err *err)
{
    struct db *db;
    struct db_stored *v = NULL;
    struct replayer rp = {0};
    struct buf json = {0};
    size_t n = 0;
    const char *case_no = ctx->opt.args[0],
               *defendant_no = ctx->opt.nargs > 1 ? ctx->opt.args[1] : NULL;
    enum status st;

    rules_limits_set(&rp.lim, false, ctx->opt.case_time_ms);
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) != ST_OK ||
        (st = db_stored_recs(db, ctx->opt.run_id, case_no, defendant_no, &v, &n, err)) != ST_OK)
        goto done;
    if (n == 0) {
        char shown_case[128], shown_def[64] = "";

        /* The arguments may have been pasted from a file that holds ESC. */
        text_show(shown_case, sizeof shown_case, case_no, strlen(case_no));
        if (defendant_no)
            text_show(shown_def, sizeof shown_def, defendant_no, strlen(defendant_no));
        if (ctx->opt.run_id > 0) {
            st = err_set(err, ST_EINPUT, "run %ld stored no recommendation for case \"%s\"%s%s",
                         ctx->opt.run_id, shown_case, defendant_no ? " defendant " : "", shown_def);
            err_hint(err, "Without --run, explain shows the current recommendation; \"sentencer "
                          "status\" lists the runs.");
        } else {
            st = err_set(err, ST_EINPUT, "no current recommendation for case \"%s\"%s%s",
                         shown_case, defendant_no ? " defendant " : "", shown_def);
            err_hint(err, "Check the case number (exact text), import the case and run "
                          "\"sentencer run\".");
        }
        goto done;
    }
    if (ctx->opt.json && !buf_addc(&json, '[')) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const struct db_stored *s = &v[i];
        struct rec again = {0};
        bool stored_trace = s->rec.trace_json != NULL;
        const char *trace;

        /* Recommendations stored before rule sets were: their trace. */
        if (!stored_trace && (st = replay(&rp, db, s, &again, err)) != ST_OK) {
            rec_fini(&again);
            if (!ctx->opt.json)
                print_head(s, NULL);
            break;
        }
        trace = stored_trace ? s->rec.trace_json : again.trace_json;
        if (ctx->opt.json) {
            if ((i > 0 && !buf_addc(&json, ',')) ||
                !add_json(&json, s, stored_trace ? NULL : rp.label, !stored_trace, trace))
                st = err_set(err, ST_ENOMEM, "out of memory");
        } else {
            print_head(s, stored_trace ? NULL : rp.label);
            if (stored_trace)
                printf("  (the trace stored with it: recorded before rule sets were stored, so "
                       "not replayed)\n");
            else
                printf("  (replayed: the same result as stored)\n");
            if (s->rec.num[R_STATUS] == STATUS_OK)
                st = print_trace(db, trace ? trace : "[]", err);
            printf("\n");
        }
        rec_fini(&again);
    }
    if (st == ST_OK && ctx->opt.json) {
        if (!buf_adds(&json, "]\n"))
            st = err_set(err, ST_ENOMEM, "out of memory");
        else
            fputs(json.data, stdout);
    }
done:
    buf_fini(&json);
    rules_free(rp.rules);
    db_stored_free(v, n);
    db_close(db);
    return st;
}

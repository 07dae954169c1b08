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
 *     stored with them. Offline, `explain --cases FILE [--rules DIR]`
 *     evaluates the case's rows of a cases.csv file with a rule folder and
 *     needs no database. Each cited provision is printed with the title
 *     the rule set gives it (its title(cite)).
 *
 * batch/commands/explain.c
 *-------------------------------------------------------------------------
 */
#include "buf.h"
#include "casefile.h"
#include "ctx.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "recommend.h"
#include "rules.h"
#include "value.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The JSON text of v, or a string's text as it is (what PostgreSQL's ->>
 * gives), printed escaped. */
static void put_value(const struct json *v, struct buf *tmp)
{
    buf_reset(tmp);
    if (v->type == JSON_STRING)
        put(v->text);
    else if (json_write(tmp, v) && tmp->len)
        put(tmp->data);
}

/* facts, with each fact the case did not record (a key of assumed) shown
 * as "not recorded", not as the 0 or false the rules read it as. */
static bool facts_text(struct buf *b, const struct json *facts, const struct json *assumed)
{
    bool ok = buf_addc(b, '{');

    for (size_t i = 0; ok && i < facts->n; i++) {
        ok = (i == 0 || buf_adds(b, ", ")) &&
             buf_add_json_str(b, facts->keys[i], strlen(facts->keys[i])) && buf_adds(b, ": ");
        if (ok && json_get(assumed, facts->keys[i]))
            ok = buf_adds(b, "\"not recorded\"");
        else if (ok)
            ok = json_write(b, &facts->items[i]);
    }
    return ok && buf_addc(b, '}');
}

/* A trace (the JSON array the rules return with explain) as text, one
 * step a line: provision, step, result, then its facts, thresholds and
 * note indented below. */
static enum status print_trace(const char *trace, struct err *err)
{
    struct json *t = NULL;
    struct buf tmp = {0};
    enum status st = json_parse(trace, strlen(trace), &t, err);

    if (st != ST_OK)
        return st;
    for (size_t i = 0; t->type == JSON_ARRAY && i < t->n; i++) {
        const struct json *e = &t->items[i], *v;
        size_t width = 0;

        if (e->type != JSON_OBJECT)
            continue;
        printf("  ");
        if ((v = json_get(e, "cite")) != NULL && v->type == JSON_STRING)
            width = put(v->text);
        else if (v && v->type != JSON_NULL)
            put_value(v, &tmp);
        printf("%*s ", width < 13 ? (int)(13 - width) : 0, ""); /* as %-13s */
        if ((v = json_get(e, "step")) != NULL && v->type != JSON_NULL)
            put_value(v, &tmp);
        if ((v = json_get(e, "result")) != NULL && v->type != JSON_NULL) {
            printf(" -> ");
            put_value(v, &tmp);
        }
        if ((v = json_get(e, "pct")) != NULL && v->type != JSON_NULL) {
            printf(" (");
            put_value(v, &tmp);
            printf("%%)");
        }
        printf("\n");
        if ((v = json_get(e, "facts")) != NULL && v->type == JSON_OBJECT && v->n > 0) {
            buf_reset(&tmp);
            if (!facts_text(&tmp, v, json_get(e, "assumed"))) {
                st = err_set(err, ST_ENOMEM, "out of memory");
                break;
            }
            printf("                facts: ");
            put(tmp.data);
            printf("\n");
        }
        if ((v = json_get(e, "threshold")) != NULL && v->type == JSON_OBJECT && v->n > 0) {
            printf("                threshold: ");
            put_value(v, &tmp);
            printf("\n");
        }
        if ((v = json_get(e, "note")) != NULL && v->type != JSON_NULL &&
            !(v->type == JSON_STRING && v->len == 0)) {
            printf("                ");
            put_value(v, &tmp);
            printf("\n");
        }
    }
    buf_fini(&tmp);
    json_free(t);
    return st;
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

typedef bool (*provision_fn)(void *ud, const char *id, const char *title);

/* fn for each provision the recommendation cites (basis, then the
 * citations not in the basis) that the rule set gives a title (its
 * title(cite), rules_title); none when rules is NULL (a stored trace, not
 * replayed) or the rule set gives no titles. Stops when fn fails. */
static bool each_provision(struct rules *rules, const struct rec *r, provision_fn fn, void *ud)
{
    const char *lists[2] = {r->text[R_THRESHOLD_BASIS], r->text[R_CITATIONS]};
    char id[128], title[1024];

    for (int l = 0; rules && l < 2; l++)
        for (const char *p = lists[l]; p && *p;) {
            const char *e = strchr(p, ';');
            size_t n = e ? (size_t)(e - p) : strlen(p);

            if (n > 0 && n < sizeof id && (l == 0 || !rec_list_has(lists[0], p, n))) {
                memcpy(id, p, n);
                id[n] = '\0';
                if (rules_title(rules, id, title, sizeof title) && !fn(ud, id, title))
                    return false;
            }
            p = e ? e + 1 : NULL;
        }
    return true;
}

static bool print_provision(void *ud, const char *id, const char *title)
{
    bool *head = ud;

    if (!*head)
        printf("  provisions:\n");
    *head = true;
    printf("    %-13s ", id);
    put(title);
    printf("\n");
    return true;
}

/* The first lines: the charge, where the result comes from (origin), its
 * status and threshold, then the whole recommendation. */
static void print_head(const struct rec *r, const char *label, const char *origin)
{
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
    printf(", ");
    put(origin);
    printf(": status %s", r->num[R_STATUS] == STATUS_ERROR ? "error" : "ok");
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

struct provisions_json {
    struct buf *b;
    bool first;
};

static bool add_provision_json(void *ud, const char *id, const char *title)
{
    struct provisions_json *pj = ud;
    bool ok = (pj->first || buf_addc(pj->b, ',')) && buf_add_json_str(pj->b, id, strlen(id)) &&
              buf_addc(pj->b, ':') && buf_add_json_str(pj->b, title, strlen(title));

    pj->first = false;
    return ok;
}

/* {"CL:287-2": "title", ...}: the provisions explain prints. */
static bool add_provisions_json(struct buf *b, struct rules *rules, const struct rec *r)
{
    struct provisions_json pj = {b, true};

    return buf_addc(b, '{') && each_provision(rules, r, add_provision_json, &pj) &&
           buf_addc(b, '}');
}

/* Where one explained result comes from. */
struct origin {
    int64_t run_id, facts_rev; /* stored: the run and facts revision; 0 offline */
    const char *cases_file;    /* offline: the file, else NULL */
    long line;                 /* offline: the line of the charge's first act */
    bool replayed;             /* evaluated again here (stored: and it matched) */
};

static bool add_json(struct buf *b, const struct rec *r, const char *label, const struct origin *o,
                     const char *trace, struct rules *rules)
{
    bool ok = buf_adds(b, "{\"case_no\":") &&
              buf_add_json_str(b, r->text[R_CASE_NO], strlen(r->text[R_CASE_NO])) &&
              buf_adds(b, ",\"defendant_no\":") &&
              buf_add_json_str(b, r->text[R_DEFENDANT_NO], strlen(r->text[R_DEFENDANT_NO])) &&
              buf_adds(b, ",\"offense\":") &&
              buf_add_json_str(b, r->text[R_OFFENSE], strlen(r->text[R_OFFENSE]));

    if (o->cases_file)
        ok = ok && buf_adds(b, ",\"run\":null,\"facts_rev\":null,\"cases_file\":") &&
             buf_add_json_str(b, o->cases_file, strlen(o->cases_file)) &&
             buf_printf(b, ",\"line\":%ld", o->line);
    else
        ok = ok &&
             buf_printf(b, ",\"run\":%" PRId64 ",\"facts_rev\":%" PRId64 ",\"cases_file\":null",
                        o->run_id, o->facts_rev);
    return ok && buf_adds(b, ",\"rule_set\":") &&
           buf_add_json_str(b, r->text[R_RULE_SET], strlen(r->text[R_RULE_SET])) &&
           buf_adds(b, ",\"rule_set_label\":") &&
           (label && label[0] ? buf_add_json_str(b, label, strlen(label)) : buf_adds(b, "null")) &&
           buf_adds(b, !o->replayed    ? ",\"replayed\":false,\"replay_matches\":null"
                       : o->cases_file ? ",\"replayed\":true,\"replay_matches\":null"
                                       : ",\"replayed\":true,\"replay_matches\":true") &&
           buf_adds(b, ",\"recommendation\":") && add_rec_json(b, r) &&
           buf_adds(b, ",\"provisions\":") && add_provisions_json(b, rules, r) &&
           buf_adds(b, ",\"trace\":") && buf_adds(b, trace ? trace : "[]") && buf_addc(b, '}');
}

/* One explained result, as text or appended to json (then i > 0: not the
 * first). */
static enum status show(const struct ctx *ctx, struct buf *json, size_t i, const struct rec *r,
                        const char *label, const struct origin *o, const char *trace,
                        struct rules *rules, struct err *err)
{
    char where[4400];

    if (ctx->opt.format == FORMAT_JSON) {
        if ((i > 0 && !buf_addc(json, ',')) || !add_json(json, r, label, o, trace, rules))
            return err_set(err, ST_ENOMEM, "out of memory");
        return ST_OK;
    }
    if (o->cases_file)
        snprintf(where, sizeof where, "offline from %s line %ld", o->cases_file, o->line);
    else
        snprintf(where, sizeof where, "run %" PRId64 ", facts revision %" PRId64, o->run_id,
                 o->facts_rev);
    print_head(r, label, where);
    if (r->num[R_STATUS] == STATUS_OK) {
        bool head = false;

        each_provision(rules, r, print_provision, &head);
    }
    if (o->cases_file)
        printf("  (evaluated now from the file: nothing is read from or written to a "
               "database)\n");
    else if (!o->replayed)
        printf("  (the trace stored with it: recorded before rule sets were stored, so "
               "not replayed)\n");
    else
        printf("  (replayed: the same result as stored)\n");
    if (r->num[R_STATUS] == STATUS_OK) {
        enum status st = print_trace(trace ? trace : "[]", err);

        if (st != ST_OK)
            return st;
    }
    printf("\n");
    return ST_OK;
}

/* With --format json: close the array of the results shown and print it. */
static enum status print_json(const struct ctx *ctx, struct buf *json, struct err *err)
{
    if (ctx->opt.format != FORMAT_JSON)
        return ST_OK;
    if (!buf_adds(json, "]\n"))
        return err_set(err, ST_ENOMEM, "out of memory");
    fputs(json->data, stdout);
    return ST_OK;
}

/* The date of the run in China Standard Time (UTC+8, no daylight saving
 * since 1991), as a run takes it: the trial date of a charge with no
 * conviction date. */
static int64_t china_today(void)
{
    time_t now = time(NULL);

    return now == (time_t)-1 ? 0 : ((int64_t)now + 8 * 3600) / 86400;
}

static void on_reject(void *ud, const struct csvin_reject *rej)
{
    (void)ud;
    log_error("%s:%ld: %s: %s (row left out)", rej->file, rej->line,
              rej->column[0] ? rej->column : "(row)", rej->reason);
}

/* explain --cases FILE: the charges of the case in FILE evaluated now with
 * the rule set of --rules, no database. */
static enum status explain_offline(struct ctx *ctx, const char *case_no, const char *defendant_no,
                                   struct err *err)
{
    struct rules_limits lim;
    struct rules *rules = NULL;
    struct casefile cf = {0};
    struct buf json = {0};
    size_t shown = 0;
    int64_t today = china_today();
    enum status st;

    rules_limits_set(&lim, false, ctx->opt.case_time_ms);
    if ((st = rules_load(&rules, ctx->opt.rules_dir, &lim, err)) != ST_OK)
        return st;
    if ((st = casefile_read(&cf, ctx->opt.cases, today, on_reject, NULL, err)) != ST_OK)
        goto done;
    if (ctx->opt.format == FORMAT_JSON && !buf_addc(&json, '[')) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    rules_set_trace(rules, true);
    for (size_t i = 0; i < cf.n_charges && st == ST_OK; i++) {
        struct charge *c = &cf.charges[i];
        struct origin o = {0, 0, ctx->opt.cases, c->acts[0].line, true};
        struct rec r = {0};

        if (strcmp(c->acts[0].text[F_CASE_NO], case_no) != 0 ||
            (defendant_no && strcmp(c->acts[0].text[F_DEFENDANT_NO], defendant_no) != 0))
            continue;
        c->run_date = today;
        if ((st = recommend(rules, c, &r, err)) == ST_OK)
            st = show(ctx, &json, shown++, &r, NULL, &o, r.trace_json, rules, err);
        rec_fini(&r);
    }
    if (st == ST_OK && shown == 0) {
        char shown_case[128], shown_def[64] = "";

        text_show(shown_case, sizeof shown_case, case_no, strlen(case_no));
        if (defendant_no)
            text_show(shown_def, sizeof shown_def, defendant_no, strlen(defendant_no));
        st = err_set(err, ST_EINPUT, "no case \"%s\"%s%s in %s", shown_case,
                     defendant_no ? " defendant " : "", shown_def, ctx->opt.cases);
        err_hint(err, "Check the case number (exact text) and that its rows were not rejected "
                      "(above).");
    }
    if (st == ST_OK)
        st = print_json(ctx, &json, err);
done:
    buf_fini(&json);
    casefile_fini(&cf);
    rules_free(rules);
    return st;
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

    if (ctx->opt.cases) {
        if (ctx->opt.run_id > 0) {
            err_set(err, ST_EUSAGE, "--run and --cases do not go together");
            err_hint(err, "--run replays what a run stored; --cases evaluates a file now.");
            return ST_EUSAGE;
        }
        return explain_offline(ctx, case_no, defendant_no, err);
    }
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
    if (ctx->opt.format == FORMAT_JSON && !buf_addc(&json, '[')) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const struct db_stored *s = &v[i];
        struct rec again = {0};
        bool stored_trace = s->rec.trace_json != NULL;
        struct origin o = {s->run_id, s->facts_rev, NULL, 0, !stored_trace};

        /* Recommendations stored before rule sets were: their trace. */
        if (!stored_trace && (st = replay(&rp, db, s, &again, err)) != ST_OK) {
            rec_fini(&again);
            if (ctx->opt.format != FORMAT_JSON) {
                char where[128];

                snprintf(where, sizeof where, "run %" PRId64 ", facts revision %" PRId64, s->run_id,
                         s->facts_rev);
                print_head(&s->rec, NULL, where);
            }
            break;
        }
        st = show(ctx, &json, i, &s->rec, stored_trace ? NULL : rp.label, &o,
                  stored_trace ? s->rec.trace_json : again.trace_json,
                  stored_trace ? NULL : rp.rules, err);
        rec_fini(&again);
    }
    if (st == ST_OK)
        st = print_json(ctx, &json, err);
done:
    buf_fini(&json);
    rules_free(rp.rules);
    db_stored_free(v, n);
    db_close(db);
    return st;
}
